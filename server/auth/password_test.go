package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashFormat(t *testing.T) {
	h, err := HashPassword("correct horse", HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash must name the algorithm and parameters (IM-12): %s", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	h2, _ := HashPassword("correct horse", HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1})
	if h == h2 {
		t.Fatal("two hashes of one password must differ (per-hash salt)")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false} {
		ok, err := VerifyPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("verify %q: %v %v, want %v", pw, ok, err, want)
		}
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$"} {
		if ok, err := VerifyPassword("x", h); ok || err == nil {
			t.Errorf("%q: want an error, got ok=%v err=%v", h, ok, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("pw", HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1})
	f.Add("pw", good)
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$a2V5")
	f.Fuzz(func(t *testing.T, pw, encoded string) {
		// Hostile stored values must never panic. Inputs that parse to an
		// expensive (but bounded) cost are only parsed, to keep the fuzzer fast.
		if p, _, _, err := parseHash(encoded); err == nil && p.MemoryKiB*p.Iterations > 4096 {
			return
		}
		_, _ = VerifyPassword(pw, encoded)
	})
}

// BenchmarkHashPasswordDefault measures the production sign-in cost.
func BenchmarkHashPasswordDefault(b *testing.B) {
	h, _ := HashPassword("a reasonably long passphrase", DefaultHashParams)
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := VerifyPassword("a reasonably long passphrase", h); !ok {
			b.Fatal("mismatch")
		}
	}
}
