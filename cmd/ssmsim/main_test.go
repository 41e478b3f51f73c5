package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe to read while ssmsim writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSsmsimStartsReportsAndStops starts ssmsim with two accounts, reads
// the printed set-up, registers with a token over HTTPS trusting the
// written CA, sees the instance in the control API, and stops it.
func TestSsmsimStartsReportsAndStops(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	out := &syncBuffer{}
	cmd := command(out)
	cmd.SetArgs([]string{"--account", "VA1=PMP_PLUS:10", "--account", "VA2=SMP_PLUS:3", "--ca-file", ca, "--seed", "5", "--json"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var setup struct {
		URL, CAFile, Control string
		Tokens               map[string]string
	}
	deadline := time.Now().Add(10 * time.Second)
	for json.Unmarshal([]byte(out.String()), &setup) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no set-up printed: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if setup.CAFile != ca || len(setup.Tokens) != 2 || !strings.HasPrefix(setup.URL, "https://127.0.0.1:") {
		t.Fatalf("set-up %+v", setup)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	body := `{"token":"` + setup.Tokens["VA1"] + `","productInstanceId":"sb-test","productName":"Switchboard","force":false}`
	res, err := hc.Post(setup.URL+"/registrations", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", res.StatusCode)
	}
	res, err = http.Get(setup.Control + "/v1/instances")
	if err != nil {
		t.Fatal(err)
	}
	var instances []struct{ ID, Account string }
	if err := json.NewDecoder(res.Body).Decode(&instances); err != nil || len(instances) != 1 || instances[0].Account != "VA1" {
		t.Fatalf("instances %+v %v", instances, err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBadAccountIsRefused(t *testing.T) {
	for _, a := range []string{"=PMP_PLUS:1", "VA1=PMP_PLUS", "VA1=PMP_PLUS:x", "VA1=NOPE:1"} {
		cmd := command(&bytes.Buffer{})
		cmd.SetArgs([]string{"--account", a, "--ca-file", filepath.Join(t.TempDir(), "ca.pem")})
		if err := cmd.ExecuteContext(context.Background()); err == nil {
			t.Errorf("--account %q accepted", a)
		}
	}
}
