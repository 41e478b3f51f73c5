package secrets_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/server/platform/secrets"
)

func newBox(t testing.TB) *secrets.Box {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	b, err := secrets.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := newBox(t)
	ad := []byte("bridge/3/password")
	for _, plaintext := range [][]byte{{}, []byte("x"), []byte("correct horse battery staple"), bytes.Repeat([]byte{0}, 4096)} {
		sealed, err := b.Seal(plaintext, ad)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != len(plaintext)+29 || sealed[0] != 1 {
			t.Errorf("sealed %d bytes into %d bytes starting %#x; want +29 and version 1", len(plaintext), len(sealed), sealed[0])
		}
		got, err := b.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, plaintext) {
			t.Errorf("Open(Seal(%q)) = %q, %v", plaintext, got, err)
		}
	}
	s, err := b.SealString("hunter2", "ldap/bind")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.OpenString(s, "ldap/bind"); err != nil || got != "hunter2" {
		t.Errorf("OpenString(SealString) = %q, %v", got, err)
	}
}

func TestSealedNeverContainsPlaintext(t *testing.T) {
	b := newBox(t)
	plaintext := []byte("the Call Bridge API password is swordfish")
	seen := map[string]bool{}
	for range 50 {
		sealed, _ := b.Seal(plaintext, nil)
		if bytes.Contains(sealed, plaintext) || bytes.Contains(sealed, []byte("swordfish")) {
			t.Fatalf("sealed value contains the plaintext: %q", sealed)
		}
		if seen[string(sealed)] {
			t.Fatal("two seals of the same plaintext are equal; the nonce is not random")
		}
		seen[string(sealed)] = true
	}
	s, _ := b.SealString("swordfish", "")
	if strings.Contains(s, "swordfish") {
		t.Fatalf("SealString result contains the plaintext: %s", s)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	b := newBox(t)
	sealed, _ := b.Seal([]byte("secret value"), []byte("ad"))
	for i := range sealed {
		for _, bit := range []byte{0x01, 0x80} {
			forged := bytes.Clone(sealed)
			forged[i] ^= bit
			got, err := b.Open(forged, []byte("ad"))
			if err == nil {
				t.Fatalf("flipping bit %#x of byte %d went unnoticed: %q", bit, i, got)
			}
			want := secrets.ErrAuthentication
			if i == 0 {
				want = secrets.ErrMalformed // the version byte
			}
			if !errors.Is(err, want) {
				t.Errorf("byte %d: err = %v, want %v", i, err, want)
			}
		}
	}
	for _, cut := range []int{0, 1, 28, 29, len(sealed) - 1} {
		if _, err := b.Open(sealed[:cut], []byte("ad")); err == nil {
			t.Errorf("a value truncated to %d bytes opened", cut)
		}
	}
	if _, err := b.Open(append(bytes.Clone(sealed), 0), []byte("ad")); !errors.Is(err, secrets.ErrAuthentication) {
		t.Errorf("a value with a byte appended: err = %v", err)
	}
	if _, err := b.OpenString("not base64!", "ad"); !errors.Is(err, secrets.ErrMalformed) {
		t.Errorf("OpenString of bad base64: err = %v", err)
	}
}

func TestWrongAssociatedDataOrKey(t *testing.T) {
	b := newBox(t)
	sealed, _ := b.Seal([]byte("secret"), []byte("bridge/1/password"))
	for _, ad := range [][]byte{nil, []byte("bridge/2/password"), []byte("bridge/1/password ")} {
		if _, err := b.Open(sealed, ad); !errors.Is(err, secrets.ErrAuthentication) {
			t.Errorf("Open with associated data %q: err = %v, want ErrAuthentication", ad, err)
		}
	}
	if _, err := newBox(t).Open(sealed, []byte("bridge/1/password")); !errors.Is(err, secrets.ErrAuthentication) {
		t.Errorf("Open with another key: err = %v, want ErrAuthentication", err)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := secrets.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	b1, err := secrets.LoadOrCreate(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, secrets.KeyFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != secrets.KeySize {
		t.Errorf("key file mode %04o size %d, want 0600 and %d", fi.Mode().Perm(), fi.Size(), secrets.KeySize)
	}
	if di, _ := os.Stat(dataDir); di.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", di.Mode().Perm())
	}
	entries, _ := os.ReadDir(dataDir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key file", len(entries))
	}

	// A second load uses the same key.
	sealed, _ := b1.Seal([]byte("kept"), nil)
	b2, err := secrets.LoadOrCreate(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(sealed, nil); err != nil || string(got) != "kept" {
		t.Errorf("reloaded key opens %q, %v", got, err)
	}
}

func TestLoadOrCreateConcurrently(t *testing.T) {
	dataDir := t.TempDir()
	const n = 8
	boxes := make([]*secrets.Box, n)
	var wg sync.WaitGroup
	for i := range boxes {
		wg.Go(func() {
			b, err := secrets.LoadOrCreate(dataDir)
			if err != nil {
				t.Error(err)
			}
			boxes[i] = b
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sealed, _ := boxes[0].Seal([]byte("same key"), nil)
	for i, b := range boxes {
		if _, err := b.Open(sealed, nil); err != nil {
			t.Errorf("box %d has a different key: %v", i, err)
		}
	}
}

func TestLoadOrCreateRefusesUnsafeKeyFiles(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		wantErr string
	}{
		{"group readable", func(t *testing.T, path string) { writeKey(t, path, secrets.KeySize, 0o640) }, "mode 0640"},
		{"world readable", func(t *testing.T, path string) { writeKey(t, path, secrets.KeySize, 0o604) }, "mode 0604"},
		{"short", func(t *testing.T, path string) { writeKey(t, path, 16, 0o600) }, "holds 16"},
		{"empty", func(t *testing.T, path string) { writeKey(t, path, 0, 0o600) }, "holds 0"},
		{"long", func(t *testing.T, path string) { writeKey(t, path, 64, 0o600) }, "holds more"},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			path := filepath.Join(dataDir, secrets.KeyFileName)
			tt.setup(t, path)
			before, _ := os.ReadFile(path)
			_, err := secrets.LoadOrCreate(dataDir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadOrCreate = %v, want an error naming %s and containing %q", err, path, tt.wantErr)
			}
			// A bad key file is never replaced: that would lose every
			// secret sealed with it.
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("LoadOrCreate changed the refused key file")
			}
		})
	}
}

func writeKey(t *testing.T, path string, size int, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte{7}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod rather than WriteFile's mode, which the umask would narrow.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// FuzzOpen feeds Open arbitrary bytes: it must never panic, must fail with
// one of its two errors, and nothing but a value sealed under the key may
// open. Run it with go test -run '^$' -fuzz FuzzOpen ./server/platform/secrets.
func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{0x42}, secrets.KeySize)
	b, err := secrets.New(key)
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := b.Seal([]byte("valid"), []byte("ad"))
	f.Add(valid, []byte("ad"))
	f.Add(valid, []byte("other"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte{})
	f.Add(bytes.Repeat([]byte{1}, 29), []byte{})
	f.Add(append([]byte{2}, valid[1:]...), []byte("ad"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		plaintext, err := b.Open(sealed, ad)
		switch {
		// The fuzzer runs this in several processes, each with its own
		// random seal of "valid", so a success is checked by content.
		case err == nil && !(string(plaintext) == "valid" && string(ad) == "ad"):
			t.Fatalf("a value that was never sealed opened: %x → %q", sealed, plaintext)
		case err != nil && !errors.Is(err, secrets.ErrMalformed) && !errors.Is(err, secrets.ErrAuthentication):
			t.Fatalf("unexpected error %v", err)
		case err != nil && plaintext != nil:
			t.Fatal("Open returned plaintext with an error")
		}
	})
}
