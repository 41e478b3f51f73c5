package tlscert

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSelfSignedIsGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	first, err := Load("", "", dir, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(first.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Errorf("certificate must cover localhost: %v", err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("certificate must cover 127.0.0.1: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", st.Mode().Perm())
	}
	second, err := Load("", "", dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(second.Certificate[0]) != string(first.Certificate[0]) {
		t.Error("a second start must reuse the generated certificate")
	}
}

func TestConfiguredFilesMustExist(t *testing.T) {
	if _, err := Load("/nonexistent/c.pem", "/nonexistent/k.pem", t.TempDir(), time.Now()); err == nil {
		t.Fatal("want an error for missing configured files")
	}
}
