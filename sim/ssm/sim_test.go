package ssmsim

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *stepClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newSim(t *testing.T) (*Sim, *stepClock) {
	t.Helper()
	clk := &stepClock{t: time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)}
	s := New(Options{Clock: clk, Seed: 1})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.AddAccount("VA1", map[Entitlement]int{PMPPlus: 3}); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func httpsClient(s *Sim) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CACertPool()}}, Timeout: 5 * time.Second}
}

// call sends a raw protocol request and returns status and decoded body.
func call(t *testing.T, s *Sim, method, path, cred, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	resp, err := httpsClient(s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, out
}

func reason(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	r, _ := e["reason"].(string)
	return r
}

func TestProtocolIsStrict(t *testing.T) {
	s, _ := newSim(t)
	tok, _ := s.IssueToken("VA1", time.Hour)
	for _, body := range []string{
		`{"token":"` + tok + `","productInstanceId":"p","extra":1}`,
		`{"token":"` + tok + `"}`,
		`{"token":"` + tok + `","productInstanceId":"p"} {}`,
		`not json`,
	} {
		if st, m := call(t, s, "POST", "/registrations", "", body); st != 400 || reason(m) != ReasonInvalidRequest {
			t.Errorf("%s → %d %v", body, st, m)
		}
	}
	st, m := call(t, s, "POST", "/registrations", "", `{"token":"`+tok+`","productInstanceId":"p","productName":"Switchboard","force":false}`)
	if st != 201 || m["credential"] == "" || m["virtualAccount"] != "VA1" {
		t.Fatalf("register → %d %v", st, m)
	}
	cred := m["credential"].(string)
	if st, m := call(t, s, "POST", "/instances/p/authorization", cred, `{"x":1}`); st != 400 || reason(m) != ReasonInvalidRequest {
		t.Errorf("authorization with a body → %d %v", st, m)
	}
	if st, m := call(t, s, "POST", "/instances/p/authorization", "", ""); st != 401 || reason(m) != ReasonCredentialRejected {
		t.Errorf("authorization without credential → %d %v", st, m)
	}
	for _, body := range []string{
		`{"reportId":"r","measuredAt":"2026-01-31T00:00:00Z","usage":[{"tag":"NOPE","count":1}]}`,
		`{"reportId":"r","measuredAt":"2026-01-31T00:00:00Z","usage":[{"tag":"PMP_PLUS","count":-1}]}`,
		`{"reportId":"r","measuredAt":"2026-01-31T00:00:00Z","usage":[{"tag":"PMP_PLUS","count":1},{"tag":"PMP_PLUS","count":2}]}`,
		`{"measuredAt":"2026-01-31T00:00:00Z","usage":[]}`,
	} {
		if st, m := call(t, s, "POST", "/instances/p/usage", cred, body); st != 400 || reason(m) != ReasonInvalidRequest {
			t.Errorf("usage %s → %d %v", body, st, m)
		}
	}
	if n := len(s.UsageReports("p")); n != 0 {
		t.Fatalf("%d refused reports stored", n)
	}
	if st, _ := call(t, s, "DELETE", "/instances/p", cred, ""); st != 204 {
		t.Fatalf("deregister → %d", st)
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Op != OpDeregister || last.Instance != "p" || last.Status != 204 {
		t.Fatalf("last request = %+v", last)
	}
}

func TestGoAPI(t *testing.T) {
	s, clk := newSim(t)
	if err := s.AddAccount("VA1", nil); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate account: %v", err)
	}
	if err := s.AddAccount("VA9", map[Entitlement]int{"NOPE": 1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown entitlement: %v", err)
	}
	if err := s.SetPurchased("VA1", SMPPlus, -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative count: %v", err)
	}
	if err := s.SetPurchased("VA9", SMPPlus, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := s.IssueToken("VA9", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("token for unknown account: %v", err)
	}
	tok, _ := s.IssueToken("VA1", time.Hour)
	if info, ok := s.Token(tok); !ok || info.Account != "VA1" || !info.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("token = %+v", info)
	}
	// Same seed, same tokens: tests can be reproduced.
	s2 := New(Options{Clock: clk, Seed: 1})
	defer s2.Close()
	_ = s2.AddAccount("VA1", nil)
	if tok2, _ := s2.IssueToken("VA1", time.Hour); tok2 != tok {
		t.Errorf("seeded tokens differ: %s vs %s", tok, tok2)
	}
	if err := s.Deregister("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deregister unknown: %v", err)
	}
}

func TestControlHandler(t *testing.T) {
	s, _ := newSim(t)
	addr, err := s.ServeControl("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctl := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewBufferString(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, b := ctl("POST", "/v1/accounts", `{"name":"VA2","purchased":{"SMP_PLUS":4}}`); st != 200 {
		t.Fatalf("add account: %d %s", st, b)
	}
	if st, _ := ctl("POST", "/v1/accounts", `{"name":"VA2"}`); st != 409 {
		t.Fatalf("duplicate account: %d", st)
	}
	if st, b := ctl("POST", "/v1/accounts/VA2/purchased", `{"tag":"PMP_PLUS","count":7}`); st != 200 {
		t.Fatalf("purchase: %d %s", st, b)
	}
	if a := s.Accounts(); len(a) != 2 || a[1].Purchased[PMPPlus] != 7 || a[1].Purchased[SMPPlus] != 4 {
		t.Fatalf("accounts = %+v", a)
	}
	st, b := ctl("POST", "/v1/accounts/VA2/tokens", `{"ttlHours":2}`)
	var tok struct{ Token string }
	if st != 200 || json.Unmarshal(b, &tok) != nil || tok.Token == "" {
		t.Fatalf("token: %d %s", st, b)
	}
	if st, _ := ctl("POST", "/v1/accounts/VA9/tokens", ``); st != 404 {
		t.Fatalf("token for unknown account: %d", st)
	}
	for path, check := range map[string]func() bool{
		"/v1/reject-tokens":      func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.rejectTokens },
		"/v1/already-registered": func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.alreadyReg },
		"/v1/unreachable":        s.Unreachable,
	} {
		if st, _ := ctl("POST", path, `{"on":true}`); st != 200 || !check() {
			t.Errorf("%s on: %d", path, st)
		}
		if st, _ := ctl("POST", path, `{"on":false}`); st != 200 || check() {
			t.Errorf("%s off: %d", path, st)
		}
	}
	if st, _ := ctl("POST", "/v1/latency", `{"ms":5}`); st != 200 || func() time.Duration { s.mu.Lock(); defer s.mu.Unlock(); return s.latency }() != 5*time.Millisecond {
		t.Errorf("latency: %d", st)
	}
	s.SetLatency(0)
	if st, _ := ctl("POST", "/v1/fail503", `{"count":1}`); st != 200 {
		t.Errorf("fail503: %d", st)
	}
	if st, m := call(t, s, "POST", "/registrations", "", `{"token":"`+tok.Token+`","productInstanceId":"p"}`); st != 503 || reason(m) != ReasonUnavailable {
		t.Fatalf("after fail503: %d %v", st, m)
	}
	st, m := call(t, s, "POST", "/registrations", "", `{"token":"`+tok.Token+`","productInstanceId":"p"}`)
	if st != 201 {
		t.Fatalf("register: %d %v", st, m)
	}
	call(t, s, "POST", "/instances/p/usage", m["credential"].(string), `{"reportId":"d1","measuredAt":"2026-01-31T00:00:00Z","usage":[{"tag":"PMP_PLUS","count":2}]}`)
	st, b = ctl("GET", "/v1/instances/p/usage", "")
	var reps []UsageReport
	if st != 200 || json.Unmarshal(b, &reps) != nil || len(reps) != 1 || reps[0].Usage[PMPPlus] != 2 || reps[0].Account != "VA2" {
		t.Fatalf("usage via control: %d %s", st, b)
	}
	if st, b := ctl("GET", "/v1/instances", ""); st != 200 || !bytes.Contains(b, []byte(`"id":"p"`)) {
		t.Fatalf("instances: %d %s", st, b)
	}
	if st, b := ctl("GET", "/v1/requests", ""); st != 200 || !bytes.Contains(b, []byte(`"op":"usage"`)) {
		t.Fatalf("requests: %d %s", st, b)
	}
	if st, _ := ctl("POST", "/v1/tokens/"+tok.Token+"/revoke", ""); st != 200 {
		t.Fatal("revoke")
	}
	if st, m := call(t, s, "POST", "/registrations", "", `{"token":"`+tok.Token+`","productInstanceId":"q"}`); st != 400 || reason(m) != ReasonTokenRevoked {
		t.Fatalf("revoked token: %d %v", st, m)
	}
	if st, _ := ctl("DELETE", "/v1/instances/p", ""); st != 200 {
		t.Fatal("deregister via control")
	}
	if _, ok := s.Instance("p"); ok {
		t.Fatal("instance survived deregistration via control")
	}
	if st, b := ctl("GET", "/v1/ca.pem", ""); st != 200 || !bytes.Equal(b, s.CACertPEM()) {
		t.Fatal("ca.pem")
	}
	if _, err := s.ServeControl("127.0.0.1:0"); err == nil {
		t.Fatal("second ServeControl accepted")
	}
}
