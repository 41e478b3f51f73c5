package ssm

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeReply feeds arbitrary bytes to every reply decoder. None may
// panic, and whatever one accepts must satisfy the invariants the callers
// rely on (ids and times present, no negative or duplicated counts, a
// known compliance value).
func FuzzDecodeReply(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"virtualAccount":"VA","authorizedAt":"2026-01-01T00:00:00Z","expiresAt":"2026-01-01T00:00:00Z","entitlements":[{"tag":"A","count":-1}]}`))
	f.Add([]byte(`{"virtualAccount":"VA","authorizedAt":"2026-01-01T00:00:00Z","expiresAt":"2026-01-01T00:00:00Z","entitlements":[{"tag":"A"},{"tag":"A"}]}`))
	f.Add([]byte(`{"reportId":"r","receivedAt":"2026-01-01T00:00:00Z","compliance":"MAYBE"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"error":"flat"}`))
	f.Add([]byte("\xff\x00["))
	f.Fuzz(func(t *testing.T, in []byte) {
		if r, err := DecodeRegistered(in); err == nil {
			if r.Credential == "" || r.ProductInstanceID == "" || r.ExpiresAt.IsZero() {
				t.Fatalf("registration accepted without credential, id or expiry: %+v", r)
			}
			checkAuthorization(t, &r.Authorization)
		}
		if r, err := DecodeRegistration(in); err == nil {
			if r.ProductInstanceID == "" || r.VirtualAccount == "" || r.RegisteredAt.IsZero() || r.ExpiresAt.IsZero() {
				t.Fatalf("renewal accepted incomplete: %+v", r)
			}
		}
		if a, err := DecodeAuthorization(in); err == nil {
			checkAuthorization(t, a)
		} else if err.Error() == "" {
			t.Fatal("empty error message")
		}
		if u, err := DecodeUsageReceipt(in); err == nil {
			if u.ReportID == "" || u.ReceivedAt.IsZero() || u.Compliance.validate() != nil {
				t.Fatalf("receipt accepted incomplete: %+v", u)
			}
			for _, l := range u.Entitlements {
				if l.Tag == "" || l.Purchased < 0 || l.Used < 0 || l.Status.validate() != nil {
					t.Fatalf("receipt line accepted: %+v", l)
				}
			}
		}
		reason, msg := decodeError(in)
		if len(msg) > 512 {
			t.Fatalf("error message not bounded: %d bytes", len(msg))
		}
		_ = kindOf(400, reason)
	})
}

func checkAuthorization(t *testing.T, a *Authorization) {
	t.Helper()
	if a.VirtualAccount == "" || a.AuthorizedAt.IsZero() || a.ExpiresAt.IsZero() {
		t.Fatalf("authorization accepted incomplete: %+v", a)
	}
	seen := map[Entitlement]bool{}
	for _, c := range a.Entitlements {
		if c.Tag == "" || c.Count < 0 || seen[c.Tag] {
			t.Fatalf("authorization accepted bad entitlement %+v", c)
		}
		seen[c.Tag] = true
	}
}

// TestDecodeSeeds pins the decoders' answers on the seed files.
func TestDecodeSeeds(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	r, err := DecodeRegistered(read("registered.json"))
	if err != nil || r.Credential != "cred-ABC" || r.Authorization.Count(PMPPlus) != 10 || r.VirtualAccount != "VA1" {
		t.Fatalf("registered: %+v, %v", r, err)
	}
	a, err := DecodeAuthorization(read("authorization.json"))
	if err != nil || a.Count(PMPPlus) != 25 || a.Count("FUTURE_TAG") != 1 || a.Count(SMPPlus) != 0 {
		t.Fatalf("authorization (unknown tags pass through): %+v, %v", a, err)
	}
	if _, err := DecodeRegistration(read("registration.json")); err != nil {
		t.Fatal(err)
	}
	u, err := DecodeUsageReceipt(read("receipt.json"))
	if err != nil || u.Compliance != OutOfCompliance || u.Entitlements[0].Used != 6 {
		t.Fatalf("receipt: %+v, %v", u, err)
	}
	if reason, msg := decodeError(read("error.json")); reason != "tokenExpired" || msg == "" {
		t.Fatalf("error body: %q %q", reason, msg)
	}
	// A registration reply is not an authorization, and garbage is nothing.
	if _, err := DecodeRegistered(read("authorization.json")); err == nil {
		t.Fatal("authorization decoded as a registration")
	}
	if _, err := DecodeAuthorization([]byte(`{"virtualAccount":"VA"} trailing`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}
