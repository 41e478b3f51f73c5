package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
)

const adminPassword = "bootstrap-Secret-4711"

// cheap keeps the API suite fast; the production cost is benchmarked in
// server/auth.
var cheap = auth.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// syncBuffer collects the server log for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	app  *App
	url  string // http://127.0.0.1:port (or https://)
	addr string
	logs *syncBuffer
}

type serverOption func(*config.Config)

func withTLS() serverOption { return func(c *config.Config) { c.Server.Plaintext = false } }

// startBench is start for benchmarks.
func startBench(b *testing.B) *testServer {
	b.Helper()
	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Storage.DataDir = b.TempDir()
	cfg.Bootstrap.AdminPassword = adminPassword
	return serve(b, cfg)
}

// start runs a real server on a loopback port over a fresh database of the
// given dialect, and stops it when the test ends.
func start(t *testing.T, dialect string, opts ...serverOption) *testServer {
	t.Helper()
	return serve(t, testConfig(t, dialect, opts...))
}

// testConfig is the configuration start uses: plaintext on loopback, a
// fresh data directory and database of the given dialect.
func testConfig(t *testing.T, dialect string, opts ...serverOption) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Storage.DataDir = t.TempDir()
	cfg.Bootstrap.AdminPassword = adminPassword
	if dialect == "postgres" {
		cfg.Storage.DatabaseURL = databasetest.NewPostgresURL(t)
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func serve(t testing.TB, cfg config.Config) *testServer {
	t.Helper()
	s, _ := serveOn(t, cfg, "127.0.0.1:0")
	return s
}

// serveOn is serve on a given address, returning a stop function as well
// (for tests that restart a server on the same data and port). Stopping
// twice is harmless; the test's cleanup stops it too.
func serveOn(t testing.TB, cfg config.Config, addr string) (*testServer, func()) {
	t.Helper()
	return serveWith(t, cfg, addr, nil)
}

// serveWith is serveOn with the app options changed by opts (a clock,
// job schedules), when opts is not nil.
func serveWith(t testing.TB, cfg config.Config, addr string, opts func(*Options)) (*testServer, func()) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{HashParams: cheap, Stdout: logs}
	if opts != nil {
		opts(&o)
	}
	a, err := New(ctx, cfg, log, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			a.Close()
		})
	}
	t.Cleanup(stop)
	scheme := "http"
	if !cfg.Server.Plaintext {
		scheme = "https"
	}
	s := &testServer{app: a, url: scheme + "://" + ln.Addr().String(), addr: ln.Addr().String(), logs: logs}
	s.waitReady(t)
	return s, stop
}

func (s *testServer) waitReady(t testing.TB) {
	t.Helper()
	client := insecureHTTPClient()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not become ready")
}

// addUser creates a local user directly in the store (the users API arrives
// with its own issue).
func (s *testServer) addUser(t *testing.T, name, password string, role user.Role) {
	t.Helper()
	hash, err := auth.HashPassword(password, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.db.Ent.User.Create().SetUsername(name).SetRole(role).SetPasswordHash(hash).
		Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// post sends a raw request and returns status and body.
func (s *testServer) post(t *testing.T, path, contentType, body string, header http.Header) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func (s *testServer) get(t *testing.T, path string, header http.Header) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	res, err := insecureHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b), res.Header
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// forEachDialect runs fn against a server on SQLite and one on PostgreSQL.
func forEachDialect(t *testing.T, fn func(t *testing.T, s *testServer)) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, start(t, d))
		})
	}
}
