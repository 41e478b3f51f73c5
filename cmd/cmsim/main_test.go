package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe to read while cmsim writes.
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

func TestCmsimStartsReportsAndStops(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	out := &syncBuffer{}
	cmd := command(out)
	cmd.SetArgs([]string{"--clusters", "2", "--bridges", "2", "--scenario", "busy", "--speed", "60", "--ca-file", ca, "--seed", "9"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	re := regexp.MustCompile(`control API (http://127\.0\.0\.1:\d+)/v1/bridges`)
	var ctl string
	deadline := time.Now().Add(10 * time.Second)
	for ctl == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			ctl = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no control API line in:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	text := out.String()
	if strings.Count(text, "/api/v1  id ") != 4 || !strings.Contains(text, "cluster London (clustered") || !strings.Contains(text, "password admin") {
		t.Errorf("report:\n%s", text)
	}
	pem, err := os.ReadFile(ca)
	if err != nil || !bytes.HasPrefix(pem, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("CA file: %v", err)
	}
	resp, err := http.Get(ctl + "/v1/bridges")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var bridges []map[string]any
	if err := json.Unmarshal(data, &bridges); err != nil || len(bridges) != 4 {
		t.Fatalf("control API: %s", data)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cmsim did not stop")
	}
	if !strings.Contains(out.String(), "cmsim: stopping") {
		t.Errorf("no stop line")
	}
}

func TestCmsimRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--scenario", "huge"}, {"--bridges", "0"}} {
		cmd := command(io.Discard)
		cmd.SetArgs(append(args, "--ca-file", filepath.Join(t.TempDir(), "ca.pem")))
		if err := cmd.ExecuteContext(context.Background()); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
