package cmssim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// BridgeInfo is how the control API describes a bridge.
type BridgeInfo struct {
	Name          string   `json:"name"`
	ID            string   `json:"id"`
	Cluster       string   `json:"cluster"`
	Clustered     bool     `json:"clustered"`
	URL           string   `json:"url"`
	APIBase       string   `json:"apiBase"`
	Username      string   `json:"username"`
	Password      string   `json:"password"`
	Down          bool     `json:"down"`
	CDRSession    string   `json:"cdrSession"`
	CDRReceivers  []string `json:"cdrReceivers"`
	Calls         int      `json:"calls"`
	Legs          int      `json:"legs"`
	EventSessions int      `json:"eventSessions"`
}

// Info describes the bridge as the control API and cmd/cmsim report it.
func (b *Bridge) Info() BridgeInfo {
	b.cl.mu.Lock()
	clustered := b.cl.clustered
	calls, legs := len(b.calls), len(b.legs)
	session := b.session
	b.cl.mu.Unlock()
	return BridgeInfo{
		Name: b.name, ID: b.id, Cluster: b.cl.Name, Clustered: clustered, URL: b.URL(), APIBase: b.URL() + "/api/v1",
		Username: b.Username(), Password: b.Password(), Down: b.Down(), CDRSession: session,
		CDRReceivers: b.CDRReceivers(), Calls: calls, Legs: legs, EventSessions: b.EventSessions(),
	}
}

// ControlHandler returns the simulator's JSON control API, for driving
// faults and calls from outside the test process (cmd/cmsim serves it on
// loopback). Bridges are named by name or id. Routes:
//
//	GET    /v1/bridges                          list bridges
//	GET    /v1/bridges/{b}                      one bridge
//	POST   /v1/bridges/{b}/down                 listener down
//	POST   /v1/bridges/{b}/up                   listener up
//	POST   /v1/bridges/{b}/restart              process restart
//	POST   /v1/bridges/{b}/latency              {"ms": 250}
//	POST   /v1/bridges/{b}/fail503              {"count": 3}
//	POST   /v1/bridges/{b}/drop-cdr-acks        {"count": 2} lose the next 2 CDR acknowledgements
//	POST   /v1/bridges/{b}/password             {"password": "new"}
//	POST   /v1/bridges/{b}/malformed            {"on": true}
//	POST   /v1/bridges/{b}/revoke               revoke the leaf certificate
//	POST   /v1/bridges/{b}/close-events         close every events websocket
//	POST   /v1/bridges/{b}/events-refused       {"on": true}
//	GET    /v1/bridges/{b}/calls                calls with their legs
//	POST   /v1/bridges/{b}/calls                {"name": "...", "coSpace": "..."}
//	DELETE /v1/bridges/{b}/calls/{call}         end a call
//	POST   /v1/bridges/{b}/calls/{call}/legs    {"name": "...", "remote": "..."}
//	DELETE /v1/bridges/{b}/legs/{leg}           the participant hangs up
//	POST   /v1/bridges/{b}/licensing            {"preset": "default" | "no-license-file" | "no-activation-key"}
//	POST   /v1/bridges/{b}/license-usage        {"days": 90, "usage": {"PMP": 20, "SMPFull": 8, ...}} preload office-hours history
//	GET    /v1/clusters/{c}/licensing-raw       what was written to /clusterLicensing/raw
//	POST   /v1/crl                              {"available": false}
//	GET    /v1/ca.pem                           the CA certificate
func (s *Sim) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	bridge := func(w http.ResponseWriter, r *http.Request) *Bridge {
		b := s.Bridge(r.PathValue("b"))
		if b == nil {
			ctlError(w, http.StatusNotFound, errors.New("no such bridge"))
		}
		return b
	}
	mux.HandleFunc("GET /v1/bridges", func(w http.ResponseWriter, _ *http.Request) {
		out := []BridgeInfo{}
		for _, b := range s.Bridges() {
			out = append(out, b.Info())
		}
		ctlJSON(w, out)
	})
	mux.HandleFunc("GET /v1/bridges/{b}", func(w http.ResponseWriter, r *http.Request) {
		if b := bridge(w, r); b != nil {
			ctlJSON(w, b.Info())
		}
	})
	simple := map[string]func(*Bridge) error{
		"down":         func(b *Bridge) error { return b.SetDown(true) },
		"up":           func(b *Bridge) error { return b.SetDown(false) },
		"restart":      (*Bridge).Restart,
		"revoke":       (*Bridge).RevokeCertificate,
		"close-events": func(b *Bridge) error { b.CloseEvents(); return nil },
	}
	for name, f := range simple {
		mux.HandleFunc("POST /v1/bridges/{b}/"+name, func(w http.ResponseWriter, r *http.Request) {
			if b := bridge(w, r); b != nil {
				ctlResult(w, f(b))
			}
		})
	}
	withBody := func(f func(*Bridge, *http.Request, ctlRequest) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b := bridge(w, r)
			if b == nil {
				return
			}
			var in ctlRequest
			data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			if len(data) > 0 {
				if err := json.Unmarshal(data, &in); err != nil {
					ctlError(w, http.StatusBadRequest, err)
					return
				}
			}
			out, err := f(b, r, in)
			if err != nil {
				ctlResult(w, err)
				return
			}
			if out == nil {
				out = map[string]bool{"ok": true}
			}
			ctlJSON(w, out)
		}
	}
	mux.HandleFunc("POST /v1/bridges/{b}/latency", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.SetLatency(time.Duration(in.MS) * time.Millisecond)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/fail503", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.Fail503(in.Count)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/drop-cdr-acks", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.DropCDRAcks(in.Count)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/password", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.SetPassword(in.Password)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/malformed", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.SetMalformedXML(in.On)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/events-refused", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		b.SetEventsRefused(in.On)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/licensing", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		l := DefaultLicensing(s.clock.Now())
		switch in.Preset {
		case "default", "":
		case "no-license-file":
			l = l.NoLicenseFile()
		case "no-activation-key":
			l = l.WithoutActivationKey()
		default:
			return nil, errors.New("preset must be default, no-license-file or no-activation-key")
		}
		b.SetLicensing(l)
		return nil, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/license-usage", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		if in.Days < 1 || in.Days > 92 {
			return nil, errors.New("days must be 1 to 92")
		}
		now := s.clock.Now().UTC().Truncate(UsageInterval)
		b.PreloadLicenseUsage("", now.AddDate(0, 0, -in.Days), now, OfficeHoursUsage(in.Usage, s.opts.Seed))
		return map[string]int{"snapshots": b.LicenseUsageLen("")}, nil
	}))
	mux.HandleFunc("GET /v1/clusters/{c}/licensing-raw", func(w http.ResponseWriter, r *http.Request) {
		cl := s.Cluster(r.PathValue("c"))
		if cl == nil {
			ctlError(w, http.StatusNotFound, errors.New("no such cluster"))
			return
		}
		data, writes := cl.LicensingRaw()
		ctlJSON(w, map[string]any{"data": data, "writes": writes})
	})
	type callView struct {
		Call
		Legs []Leg `json:"legs"`
	}
	mux.HandleFunc("GET /v1/bridges/{b}/calls", withBody(func(b *Bridge, _ *http.Request, _ ctlRequest) (any, error) {
		legs := b.Legs()
		out := []callView{}
		for _, c := range b.Calls() {
			v := callView{Call: c, Legs: []Leg{}}
			for _, l := range legs {
				if l.CallID == c.ID {
					v.Legs = append(v.Legs, l)
				}
			}
			out = append(out, v)
		}
		return out, nil
	}))
	mux.HandleFunc("POST /v1/bridges/{b}/calls", withBody(func(b *Bridge, _ *http.Request, in ctlRequest) (any, error) {
		return b.StartCall(CallOptions{Name: in.Name, CoSpace: in.CoSpace})
	}))
	mux.HandleFunc("DELETE /v1/bridges/{b}/calls/{call}", func(w http.ResponseWriter, r *http.Request) {
		if b := bridge(w, r); b != nil {
			ctlResult(w, b.EndCall(r.PathValue("call")))
		}
	})
	mux.HandleFunc("POST /v1/bridges/{b}/calls/{call}/legs", withBody(func(b *Bridge, r *http.Request, in ctlRequest) (any, error) {
		return b.Join(r.PathValue("call"), LegOptions{Name: in.Name, Remote: in.Remote})
	}))
	mux.HandleFunc("DELETE /v1/bridges/{b}/legs/{leg}", func(w http.ResponseWriter, r *http.Request) {
		if b := bridge(w, r); b != nil {
			ctlResult(w, b.Leave(r.PathValue("leg")))
		}
	})
	mux.HandleFunc("POST /v1/crl", func(w http.ResponseWriter, r *http.Request) {
		var in ctlRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.Available == nil {
			ctlError(w, http.StatusBadRequest, errors.New(`want {"available": true|false}`))
			return
		}
		ctlResult(w, s.SetCRLAvailable(*in.Available))
	})
	mux.HandleFunc("GET /v1/ca.pem", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CACertPEM())
	})
	return mux
}

// ctlRequest is the union of the control API's request bodies.
type ctlRequest struct {
	MS        int    `json:"ms"`
	Count     int    `json:"count"`
	Password  string `json:"password"`
	On        bool   `json:"on"`
	Name      string `json:"name"`
	CoSpace   string `json:"coSpace"`
	Remote    string `json:"remote"`
	Available *bool  `json:"available"`
	Preset    string `json:"preset"`
	Days      int    `json:"days"`
	Usage     Usage  `json:"usage"`
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

func ctlResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		ctlJSON(w, map[string]bool{"ok": true})
	case errors.Is(err, ErrNotFound):
		ctlError(w, http.StatusNotFound, err)
	default:
		ctlError(w, http.StatusBadRequest, err)
	}
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
		return "", errors.New("cmssim: control API already served")
	}
	s.control = srv
	return srv.address(), nil
}
