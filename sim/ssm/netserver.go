package ssmsim

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// server is an HTTPS server that can be stopped and started again on the
// same address, which is how the simulated SSM becomes unreachable and
// comes back.
type server struct {
	mu      sync.Mutex
	addr    string // fixed after the first start
	handler http.Handler
	tlsConf *tls.Config // nil serves plain HTTP
	srv     *http.Server
	done    chan struct{}
}

func newServer(addr string, h http.Handler, tlsConf *tls.Config) *server {
	return &server{addr: addr, handler: h, tlsConf: tlsConf}
}

// start listens (again) on the server's address. The first start resolves
// port 0 to a concrete port that every later start reuses.
func (s *server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	var ln net.Listener
	var err error
	// A just-closed port can take a moment to be released by the kernel.
	for i := 0; i < 50; i++ {
		ln, err = net.Listen("tcp", s.addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	s.addr = ln.Addr().String()
	if s.tlsConf != nil {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		// TLS handshake failures are expected in certificate tests; keep
		// them out of test output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.srv = srv
	done := make(chan struct{})
	s.done = done
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return nil
}

// stop closes the listener and every open (non-hijacked) connection.
func (s *server) stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-done
}

// running reports whether the server is listening.
func (s *server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// address returns host:port.
func (s *server) address() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}
