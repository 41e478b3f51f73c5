package cms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sleeps records the waits a client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newTestClient starts a TLS test server with h (checking Basic auth
// admin/secret) and returns a client for it; cfg's zero fields get test
// defaults (no real sleeping).
func newTestClient(t *testing.T, h http.HandlerFunc, cfg Config) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg.Address = strings.TrimPrefix(srv.URL, "https://")
	if cfg.Username == "" {
		cfg.Username, cfg.Password = "admin", "secret"
	}
	if cfg.Sleep == nil {
		cfg.Sleep = (&sleeps{}).sleep
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestUnverifiedTLSIsReported(t *testing.T) {
	c := goldenServer(t)
	if c.TLSVerified() {
		t.Error("a client without a trusted chain must report TLSVerified() == false")
	}
	if _, err := c.SystemStatus(context.Background()); err != nil {
		t.Errorf("unverified TLS must still connect: %v", err)
	}
}

func TestGETRetriesOn503WithCappedBackoff(t *testing.T) {
	var n atomic.Int32
	s := &sleeps{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`<status><softwareVersion>3.4</softwareVersion></status>`))
	}, Config{Sleep: s.sleep, Retry: Retry{Attempts: 5, Base: 100 * time.Millisecond, Max: 250 * time.Millisecond}})
	st, err := c.SystemStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.SoftwareVersion != "3.4" || n.Load() != 4 {
		t.Errorf("version %q after %d attempts", st.SoftwareVersion, n.Load())
	}
	got := s.get()
	ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if len(got) != 3 {
		t.Fatalf("waits: %v", got)
	}
	for i, d := range got {
		if d < ceilings[i]/2 || d > ceilings[i] {
			t.Errorf("wait %d = %v, want in [%v, %v] (doubling, capped)", i+1, d, ceilings[i]/2, ceilings[i])
		}
	}
}

func TestRetriesGiveUpWithTheLastError(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`<failureDetails><databaseNotReady/></failureDetails>`))
	}, Config{Retry: Retry{Attempts: 3}})
	_, err := Collect(c.Calls(context.Background(), CallQuery{}))
	ae, _ := err.(*APIError)
	if !errors.Is(err, ErrUnavailable) || ae == nil || ae.Reason != "databaseNotReady" || ae.Status != 503 {
		t.Fatalf("want the 503 with its reason after the last attempt, got %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("a 503 must not match ErrNotFound")
	}
	if n.Load() != 3 {
		t.Errorf("attempts = %d, want 3", n.Load())
	}
}

func TestRetryAfterIsHonouredButCapped(t *testing.T) {
	var n atomic.Int32
	s := &sleeps{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`<cluster><uniqueName>x</uniqueName></cluster>`))
	}, Config{Sleep: s.sleep, Retry: Retry{Max: 3 * time.Second}})
	if _, err := c.ClusterConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.get(); len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("waits = %v, want one of 3s (Retry-After 120s capped)", got)
	}
	noRetry := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	}, Config{Retry: Retry{Attempts: 1}})
	_, err := noRetry.ClusterConfig(context.Background())
	if ae, ok := err.(*APIError); !ok || ae.Status != 503 {
		t.Errorf("with Retry-After the caller still gets the *APIError itself: %T %v", err, err)
	}
}

func TestWritesRetryOnlyWhenNotApplied(t *testing.T) {
	var posts, puts, deletes atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			// 503 means "not applied": safe to send again.
			if posts.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Location", "/api/v1/coSpaces/new-id")
		case http.MethodPut:
			puts.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		case http.MethodDelete:
			// A dropped connection after the request was sent: the
			// bridge may have applied it, so it must not be repeated.
			deletes.Add(1)
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		}
	}, Config{})
	ctx := context.Background()
	id, err := c.CreateCoSpace(ctx, CoSpaceParams{Name: Set("x")})
	if err != nil || id != "new-id" || posts.Load() != 2 {
		t.Errorf("POST after a 503: id %q, err %v, %d attempts", id, err, posts.Load())
	}
	var ae *APIError
	if err := c.UpdateCoSpace(ctx, "s", CoSpaceParams{Name: Set("y")}); !errors.As(err, &ae) || ae.Status != 500 || puts.Load() != 1 {
		t.Errorf("PUT on 500 must not be retried: %v after %d attempts", err, puts.Load())
	}
	if err := c.DeleteCoSpace(ctx, "s"); err == nil || deletes.Load() != 1 {
		t.Errorf("DELETE on a dropped connection must not be retried: %v after %d attempts", err, deletes.Load())
	}
}

func TestGETRetriesADroppedConnection(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		w.Write([]byte(`<callBridges total="0"/>`))
	}, Config{})
	got, err := Collect(c.CallBridges(context.Background(), ListOptions{}))
	if err != nil || len(got) != 0 || n.Load() != 2 {
		t.Errorf("%v %v after %d attempts", got, err, n.Load())
	}
}

func TestLocationIDs(t *testing.T) {
	cases := []struct {
		loc, want string
	}{
		{"/api/v1/coSpaces/9a8b7c6d-0000-4000-8000-000000000001", "9a8b7c6d-0000-4000-8000-000000000001"},
		{"/api/v1/coSpaces/s1/accessMethods/am-2", "am-2"},
		{"https://cms1.example.com:445/api/v1/participants/p-3", "p-3"},
		{"/ap1/v1/callBridges/cb-4", "cb-4"}, // the APIARY typo still yields the id
		{"/api/v1/system/cdrReceivers/r-5/", "r-5"},
	}
	var loc atomic.Value
	var lastPath, lastBody atomic.Value
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lastPath.Store(r.URL.Path)
		lastBody.Store(string(b))
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("POST content type %q", r.Header.Get("Content-Type"))
		}
		if l := loc.Load().(string); l != "" {
			w.Header().Set("Location", l)
		}
	}, Config{})
	ctx := context.Background()
	for _, tc := range cases {
		loc.Store(tc.loc)
		id, err := c.AddParticipant(ctx, "call-1", ParticipantParams{RemoteParty: Set("sip:ada@example.com")})
		if err != nil || id != tc.want {
			t.Errorf("Location %q: id %q, %v; want %q", tc.loc, id, err, tc.want)
		}
	}
	if p := lastPath.Load(); p != "/api/v1/calls/call-1/participants" {
		t.Errorf("dial-out path %v", p)
	}
	if b := lastBody.Load(); b != "remoteParty=sip%3Aada%40example.com" {
		t.Errorf("dial-out body %v", b)
	}
	loc.Store("")
	_, err := c.CreateCDRReceiver(ctx, "https://sb.example.com/cdr")
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "no Location header") {
		t.Errorf("create without Location: %v", err)
	}
	if b := lastBody.Load(); b != "uri=https%3A%2F%2Fsb.example.com%2Fcdr" {
		t.Errorf("cdrReceiver body %v: the parameter is uri", b)
	}
}

// pagedServer serves n objects with a server-side page cap, the way a
// bridge does: min(limit, cap, remaining) objects per reply.
func pagedServer(t *testing.T, n, pageCap int, mutate func(call int, items []string) []string) (*Client, *[]string) {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("s%02d", i)
	}
	var mu sync.Mutex
	var log []string
	calls := 0
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if mutate != nil {
			items = mutate(calls, items)
		}
		q := r.URL.Query()
		log = append(log, q.Encode())
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit := pageCap
		if l, err := strconv.Atoi(q.Get("limit")); err == nil && l < limit {
			limit = l
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><coSpaces total="%d">`, len(items))
		for i := offset; i < len(items) && i < offset+limit; i++ {
			fmt.Fprintf(w, `<coSpace id="%s"><name>%s</name></coSpace>`, items[i], items[i])
		}
		fmt.Fprint(w, `</coSpaces>`)
	}, Config{})
	return c, &log
}

func names(t *testing.T, seq func(func(CoSpace, error) bool)) []string {
	t.Helper()
	var out []string
	for s, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.ID)
	}
	return out
}

func TestPaginationCopesWithThePageCap(t *testing.T) {
	c, log := pagedServer(t, 23, 10, nil)
	got := names(t, c.CoSpaces(context.Background(), CoSpaceQuery{ListOptions: ListOptions{PageSize: 50, Filter: "s"}, TenantFilter: "t1"}))
	if len(got) != 23 || got[0] != "s00" || got[22] != "s22" {
		t.Fatalf("got %d spaces: %v", len(got), got)
	}
	want := []string{
		"filter=s&limit=50&offset=0&tenantFilter=t1",
		"filter=s&limit=50&offset=10&tenantFilter=t1",
		"filter=s&limit=50&offset=20&tenantFilter=t1",
	}
	if strings.Join(*log, " ") != strings.Join(want, " ") {
		t.Errorf("requests:\n%v\nwant\n%v", *log, want)
	}
}

func TestPaginationSmallerLimitAndOffset(t *testing.T) {
	c, log := pagedServer(t, 7, 10, nil)
	got := names(t, c.CoSpaces(context.Background(), CoSpaceQuery{ListOptions: ListOptions{Offset: 2, PageSize: 3}}))
	if strings.Join(got, ",") != "s02,s03,s04,s05,s06" {
		t.Errorf("got %v", got)
	}
	if len(*log) != 2 {
		t.Errorf("requests %v: offset 2 + 3 + 2 reaches total 7 after two pages", *log)
	}
}

func TestPaginationStopsEarlyWhenTheCallerDoes(t *testing.T) {
	c, log := pagedServer(t, 100, 10, nil)
	for s, err := range c.CoSpaces(context.Background(), CoSpaceQuery{}) {
		if err != nil || s.ID == "s12" {
			break
		}
	}
	if len(*log) != 2 {
		t.Errorf("requests %v: breaking out must stop paging", *log)
	}
}

func TestPaginationShiftedPagesDoNotRepeat(t *testing.T) {
	// An object created before the second request pushes s09 onto the
	// second page: it must not be yielded twice.
	c, _ := pagedServer(t, 15, 10, func(call int, items []string) []string {
		if call == 2 {
			return append([]string{"new"}, items...)
		}
		return items
	})
	got := names(t, c.CoSpaces(context.Background(), CoSpaceQuery{}))
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s yielded %d times", id, n)
		}
	}
	if len(got) != 15 {
		t.Errorf("got %d: %v", len(got), got)
	}
}

func TestPaginationWithoutTotalStopsOnEmptyOrStalePage(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// Ignores offset and sends no total: a broken server.
		fmt.Fprint(w, `<coSpaces><coSpace id="a"/><coSpace id="b"/></coSpaces>`)
	}, Config{})
	got := names(t, c.CoSpaces(context.Background(), CoSpaceQuery{}))
	if len(got) != 2 || calls.Load() != 2 {
		t.Errorf("got %v after %d requests", got, calls.Load())
	}
}

func TestPaginationErrorIsYieldedOnce(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "0" {
			fmt.Fprint(w, `<calls total="5"><call id="a"/></calls>`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	}, Config{})
	var ids []string
	var errs []error
	for call, err := range c.Calls(context.Background(), CallQuery{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, call.ID)
	}
	var ae *APIError
	if len(ids) != 1 || len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Status != 400 {
		t.Errorf("ids %v errs %v", ids, errs)
	}
}

func TestWrongRootIsADecodeError(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<coSpaces total="1"><coSpace id="a"/></coSpaces>`)
	}, Config{})
	_, err := Collect(c.Calls(context.Background(), CallQuery{}))
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "coSpace") || de.Path != "calls" {
		t.Errorf("got %v", err)
	}
}

func TestFailureDetailsBecomeTypedErrors(t *testing.T) {
	cases := []struct {
		status         int
		body           string
		reason, param  string
		detail         string
		notFound, busy bool
	}{
		{404, `<?xml version="1.0"?><failureDetails><coSpaceDoesNotExist /></failureDetails>`, "coSpaceDoesNotExist", "", "", true, false},
		{400, `<failureDetails><duplicateCoSpaceUri/></failureDetails>`, "duplicateCoSpaceUri", "", "", false, false},
		{400, `<failureDetails><parameterError parameter="defaultLayout" error="invalidValue"/></failureDetails>`, "parameterError", "defaultLayout", "invalidValue", false, false},
		{400, `<failureDetails><parameterError><parameter>passcode</parameter><error>tooShort</error></parameterError></failureDetails>`, "parameterError", "passcode", "tooShort", false, false},
		{400, `<failureDetails><tooManyCdrReceivers/></failureDetails>`, "tooManyCdrReceivers", "", "", false, false},
		{503, ``, "", "", "", false, true},
		{404, `<html>Not Found</html>`, "", "", "", true, false},
	}
	for _, tc := range cases {
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			fmt.Fprint(w, tc.body)
		}, Config{Retry: Retry{Attempts: 1}})
		err := c.UpdateCoSpace(context.Background(), "s1", CoSpaceParams{DefaultLayout: Set(Layout("bogus"))})
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Errorf("%d %s: want *APIError, got %T %v", tc.status, tc.body, err, err)
			continue
		}
		if ae.Status != tc.status || ae.Reason != tc.reason || ae.Parameter != tc.param || ae.Detail != tc.detail ||
			ae.Method != "PUT" || ae.Path != "coSpaces/s1" {
			t.Errorf("%s: got %+v", tc.body, ae)
		}
		if errors.Is(err, ErrNotFound) != tc.notFound || errors.Is(err, ErrUnavailable) != tc.busy {
			t.Errorf("%d: ErrNotFound %v ErrUnavailable %v", tc.status, errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable))
		}
		if tc.reason != "" && !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("message %q lacks the reason", err)
		}
	}
}

func TestBadCredentials(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request with bad credentials reached the handler")
	}, Config{Username: "admin", Password: "wrong"})
	_, err := c.SystemStatus(context.Background())
	var ce *ConnError
	if !errors.Is(err, ErrBadCredentials) || !errors.As(err, &ce) || ce.Kind != KindBadCredentials {
		t.Errorf("got %v", err)
	}
	if !strings.Contains(err.Error(), "bad credentials") || !strings.Contains(err.Error(), c.Addr()) {
		t.Errorf("message %q should name the kind and the address", err)
	}
}

func TestNotACallBridge(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"404 on status": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) },
		"html page": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Welcome</title></head><body>nginx</body></html>")
		},
		"json": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"ok"}`) },
		"other xml": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<?xml version="1.0"?><health><ok/></health>`)
		},
		"redirect to login": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) },
	}
	for name, h := range cases {
		c := newTestClient(t, h, Config{})
		_, err := c.SystemStatus(context.Background())
		var ce *ConnError
		if !errors.Is(err, ErrNotCallBridge) || !errors.As(err, &ce) || ce.Kind != KindNotCallBridge {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestContextCancelAndPerCallTimeout(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	s := &sleeps{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-release // never answers while the client waits
	}, Config{Timeout: 50 * time.Millisecond, Retry: Retry{Attempts: 3}, Sleep: s.sleep})
	defer close(release)

	// A per-attempt timeout on a GET is retried, then reported. (Attempts
	// are counted by the waits between them: under load an attempt can
	// time out before it reaches the handler.)
	start := time.Now()
	_, err := c.SystemStatus(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("timeouts: want a deadline error, got %v", err)
	}
	if got := len(s.get()); got != 2 {
		t.Errorf("%d waits, want 2 (3 attempts)", got)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}

	// Cancelling the caller's context stops at once, without retries.
	reached := make(chan struct{}, 1)
	c2 := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case reached <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}, Config{Retry: Retry{Attempts: 5}})
	n.Store(0)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	_, err = c2.CallLeg(ctx, "l1")
	if !errors.Is(err, context.Canceled) || n.Load() != 1 {
		t.Errorf("cancel: %v after %d attempts", err, n.Load())
	}
	// A context cancelled while waiting to retry ends the wait.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	c3 := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}, Config{Retry: Retry{Attempts: 5, Base: time.Hour, Max: time.Hour}, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while the client waits an hour
		return sleepCtx(ctx, d)
	}})
	_, err = c3.Call(ctx, "c")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "gave up waiting") {
		t.Errorf("cancel during backoff: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s := &sleeps{}
	c, err := New(Config{Address: addr, Sleep: s.sleep, Retry: Retry{Attempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SystemStatus(context.Background())
	var ce *ConnError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &ce) || ce.Addr != addr {
		t.Errorf("got %v", err)
	}
	// Nothing was sent, so even a write may be retried.
	s.d = nil
	_, err = c.CreateCall(context.Background(), CallParams{Name: Set("x")})
	if !errors.Is(err, ErrUnreachable) || len(s.get()) != 1 {
		t.Errorf("POST to a closed port: %v, waits %v", err, s.get())
	}
}

func TestNotTLS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, err := New(Config{Address: strings.TrimPrefix(srv.URL, "http://"), Retry: Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SystemStatus(context.Background())
	if !errors.Is(err, ErrTLSHandshake) {
		t.Errorf("plain HTTP server: %v", err)
	}
}

func TestPUTOmittedEmptyAndSetAreDistinct(t *testing.T) {
	var body atomic.Value
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body.Store(r.Method + " " + r.URL.Path + " " + string(b))
	}, Config{})
	ctx := context.Background()
	err := c.UpdateCallLeg(ctx, "leg-1", CallLegUpdate{
		ChosenLayout:    Set(LayoutSpeakerOnly),
		CallLegSettings: CallLegSettings{RxAudioMute: Set(true), RxVideoMute: Clear[bool](), NeedsActivation: Set(false)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "PUT /api/v1/callLegs/leg-1 chosenLayout=speakerOnly&needsActivation=false&rxAudioMute=true&rxVideoMute=" {
		t.Errorf("got %q", got)
	}
	if err := c.UpdateCoSpace(ctx, "s/1", CoSpaceParams{Tenant: Clear[string](), Passcode: Set("")}); err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "PUT /api/v1/coSpaces/s%2F1 passcode=&tenant=" && got != "PUT /api/v1/coSpaces/s/1 passcode=&tenant=" {
		t.Errorf("got %q", got)
	}
	if err := c.UpdateAllParticipants(ctx, "c1", AllParticipantsUpdate{RxAudioMute: Set(true), FilterIDs: Set(JoinIDs("p1", "p2")), Mode: Set("exclude")}); err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "PUT /api/v1/calls/c1/participants/* rxAudioMute=true&filterIds=p1%2Cp2&mode=exclude" {
		t.Errorf("got %q", got)
	}
	if err := c.UpdateParticipant(ctx, "p1", ParticipantUpdate{Importance: Set(5), Deactivated: Set(false)}); err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "PUT /api/v1/participants/p1 importance=5&deactivated=false" {
		t.Errorf("got %q", got)
	}
	if err := c.SetLegacyCDRReceiver(ctx, Clear[string]()); err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "PUT /api/v1/system/cdrReceiver uri=" {
		t.Errorf("got %q", got)
	}
	if err := c.DeleteCallLeg(ctx, "leg-1"); err != nil {
		t.Fatal(err)
	}
	if got := body.Load(); got != "DELETE /api/v1/callLegs/leg-1 " {
		t.Errorf("got %q", got)
	}
}

func TestAuthToken(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/authTokens" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("X-Cisco-CMS-Auth-Token", "tok-1")
	}, Config{})
	tok, err := c.AuthToken(context.Background())
	if err != nil || tok != "tok-1" {
		t.Errorf("%q %v", tok, err)
	}
	c2 := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {}, Config{})
	if _, err := c2.AuthToken(context.Background()); err == nil || !strings.Contains(err.Error(), "X-Cisco-CMS-Auth-Token") {
		t.Errorf("missing header: %v", err)
	}
}

func TestFormOf(t *testing.T) {
	f := FormOf(&CallLegProfileParams{Name: Set("a b"), CallLegSettings: CallLegSettings{JoinToneParticipantThreshold: Set(10), VideoMode: Clear[string]()}})
	if got := f.Encode(); got != "name=a+b&joinToneParticipantThreshold=10&videoMode=" {
		t.Errorf("got %q", got)
	}
	if got := FormOf(CallParams{}).Encode(); got != "" {
		t.Errorf("empty params must send nothing, got %q", got)
	}
	if got := FormOf(nil).Len(); got != 0 {
		t.Errorf("nil: %d", got)
	}
	var f2 Form
	f2.Set("a", "1").Set("b", "").Set("a", "2")
	if v, ok := f2.Get("a"); !ok || v != "2" || f2.Encode() != "a=2&b=" {
		t.Errorf("Form: %q", f2.Encode())
	}
	v, ok := Set(3.5).Value()
	if !ok || v != 3.5 || !Clear[int]().IsCleared() || !(Field[bool]{}).IsOmitted() {
		t.Error("Field accessors")
	}
	if _, err := url.ParseQuery(FormOf(CoSpaceParams{Name: Set("x&y=z")}).Encode()); err != nil {
		t.Error(err)
	}
}

func TestRetryDelay(t *testing.T) {
	r := Retry{Base: 100 * time.Millisecond, Max: time.Second}.withDefaults()
	for n := 1; n <= 12; n++ {
		ceil := min(100*time.Millisecond<<(n-1), time.Second)
		for range 20 {
			if d := r.Delay(n); d < ceil/2 || d > ceil {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", n, d, ceil/2, ceil)
			}
		}
	}
}

func TestSplitAddress(t *testing.T) {
	cases := []struct {
		in         string
		port       int
		host, addr string
		err        string
	}{
		{"cms1.example.com", 0, "cms1.example.com", "cms1.example.com:443", ""},
		{"cms1.example.com:445", 0, "cms1.example.com", "cms1.example.com:445", ""},
		{"cms1.example.com", 9443, "cms1.example.com", "cms1.example.com:9443", ""},
		{"10.0.0.5", 0, "10.0.0.5", "10.0.0.5:443", ""},
		{"10.0.0.5:8443", 0, "10.0.0.5", "10.0.0.5:8443", ""},
		{"[2001:db8::1]", 0, "2001:db8::1", "[2001:db8::1]:443", ""},
		{"[2001:db8::1]:445", 0, "2001:db8::1", "[2001:db8::1]:445", ""},
		{"2001:db8::1", 445, "2001:db8::1", "[2001:db8::1]:445", ""},
		{"https://[::1]:9443", 0, "::1", "[::1]:9443", ""},
		{" https://cms1.example.com/ ", 0, "cms1.example.com", "cms1.example.com:443", ""},
		{"", 0, "", "", "empty"},
		{"http://cms1", 0, "", "", "only https"},
		{"https://cms1/api/v1", 0, "", "", "not a path"},
		{"cms1:99999", 0, "", "", "bad port"},
		{"cms1:445", 443, "", "", "names port 445 but port 443"},
		{"[2001:db8::zz]", 0, "", "", "not a valid IPv6"},
		{"user@cms1", 0, "", "", "not a host name"},
	}
	for _, tc := range cases {
		host, addr, err := splitAddress(tc.in, tc.port)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || host != tc.host || addr != tc.addr {
			t.Errorf("%q: %q %q %v", tc.in, host, addr, err)
		}
	}
}

func TestCRLNeedsAChain(t *testing.T) {
	_, err := New(Config{Address: "cms1", CRL: NewCRLChecker(CRLOptions{})})
	if err == nil || !strings.Contains(err.Error(), "needs a trusted chain") {
		t.Errorf("got %v", err)
	}
}

func TestTLSHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		// Accept and say nothing: a port that is open but not TLS.
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err := New(Config{Address: ln.Addr().String(), Timeout: 200 * time.Millisecond, Retry: Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SystemStatus(context.Background())
	if err == nil || errors.Is(err, ErrNotCallBridge) {
		t.Fatalf("silent port: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrTLSHandshake) {
		t.Errorf("silent port: want a timeout or a handshake failure, got %v", err)
	}
}
