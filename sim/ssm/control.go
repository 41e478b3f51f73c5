package ssmsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// ControlHandler returns the simulator's JSON control API, for setting up
// accounts and driving faults from outside the test process. Routes:
//
//	GET  /v1/accounts                     list accounts
//	POST /v1/accounts                     {"name": "VA1", "purchased": {"PMP_PLUS": 10}}
//	POST /v1/accounts/{a}/purchased       {"tag": "SMP_PLUS", "count": 5}
//	POST /v1/accounts/{a}/tokens          {"ttlHours": 720} → {"token": "..."}
//	POST /v1/tokens/{t}/revoke            revoke a token
//	GET  /v1/instances                    registered instances
//	DELETE /v1/instances/{id}             deregister on SSM's side
//	GET  /v1/instances/{id}/usage         usage reports received from it
//	GET  /v1/requests                     protocol requests answered so far
//	POST /v1/unreachable                  {"on": true} listener down / up
//	POST /v1/reject-tokens                {"on": true}
//	POST /v1/already-registered           {"on": true}
//	POST /v1/latency                      {"ms": 250}
//	POST /v1/fail503                      {"count": 3}
//	GET  /v1/ca.pem                       the CA certificate
func (s *Sim) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/accounts", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, s.Accounts()) })
	mux.HandleFunc("POST /v1/accounts", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		return nil, s.AddAccount(in.Name, in.Purchased)
	}))
	mux.HandleFunc("POST /v1/accounts/{a}/purchased", withBody(func(r *http.Request, in ctlRequest) (any, error) {
		return nil, s.SetPurchased(r.PathValue("a"), in.Tag, in.Count)
	}))
	mux.HandleFunc("POST /v1/accounts/{a}/tokens", withBody(func(r *http.Request, in ctlRequest) (any, error) {
		ttl := time.Duration(in.TTLHours) * time.Hour
		if ttl <= 0 {
			ttl = 30 * 24 * time.Hour
		}
		t, err := s.IssueToken(r.PathValue("a"), ttl)
		if err != nil {
			return nil, err
		}
		return map[string]string{"token": t}, nil
	}))
	mux.HandleFunc("POST /v1/tokens/{t}/revoke", withBody(func(r *http.Request, _ ctlRequest) (any, error) {
		return nil, s.RevokeToken(r.PathValue("t"))
	}))
	mux.HandleFunc("GET /v1/instances", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, s.Instances()) })
	mux.HandleFunc("DELETE /v1/instances/{id}", withBody(func(r *http.Request, _ ctlRequest) (any, error) {
		return nil, s.Deregister(r.PathValue("id"))
	}))
	mux.HandleFunc("GET /v1/instances/{id}/usage", func(w http.ResponseWriter, r *http.Request) {
		out := s.UsageReports(r.PathValue("id"))
		if out == nil {
			out = []UsageReport{}
		}
		ctlJSON(w, out)
	})
	mux.HandleFunc("GET /v1/requests", func(w http.ResponseWriter, _ *http.Request) {
		out := s.Requests()
		if out == nil {
			out = []Request{}
		}
		ctlJSON(w, out)
	})
	mux.HandleFunc("POST /v1/unreachable", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		return nil, s.SetUnreachable(in.On)
	}))
	mux.HandleFunc("POST /v1/reject-tokens", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		s.SetTokensRejected(in.On)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/already-registered", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		s.SetAlreadyRegistered(in.On)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/latency", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		s.SetLatency(time.Duration(in.MS) * time.Millisecond)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/fail503", withBody(func(_ *http.Request, in ctlRequest) (any, error) {
		s.Fail503(in.Count)
		return nil, nil
	}))
	mux.HandleFunc("GET /v1/ca.pem", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CACertPEM())
	})
	return mux
}

// ctlRequest is the union of the control API's request bodies.
type ctlRequest struct {
	Name      string              `json:"name"`
	Purchased map[Entitlement]int `json:"purchased"`
	Tag       Entitlement         `json:"tag"`
	Count     int                 `json:"count"`
	TTLHours  int                 `json:"ttlHours"`
	On        bool                `json:"on"`
	MS        int                 `json:"ms"`
}

func withBody(f func(*http.Request, ctlRequest) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in ctlRequest
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if len(data) > 0 {
			if err := json.Unmarshal(data, &in); err != nil {
				ctlError(w, http.StatusBadRequest, err)
				return
			}
		}
		out, err := f(r, in)
		switch {
		case errors.Is(err, ErrNotFound):
			ctlError(w, http.StatusNotFound, err)
		case errors.Is(err, ErrExists):
			ctlError(w, http.StatusConflict, err)
		case err != nil:
			ctlError(w, http.StatusBadRequest, err)
		case out == nil:
			ctlJSON(w, map[string]bool{"ok": true})
		default:
			ctlJSON(w, out)
		}
	}
}

func ctlJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func ctlError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// ServeControl serves ControlHandler over plain HTTP on addr (for example
// "127.0.0.1:0") until Close, and returns the address it listens on.
func (s *Sim) ServeControl(addr string) (string, error) {
	srv := newServer(addr, s.ControlHandler(), nil)
	if err := srv.start(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.control != nil {
		srv.stop()
		return "", errors.New("ssmsim: control API already served")
	}
	s.control = srv
	return srv.address(), nil
}
