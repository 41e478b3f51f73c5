package cmssim

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bridge is one simulated Call Bridge with its own HTTPS listener.
type Bridge struct {
	sim    *Sim
	cl     *Cluster
	name   string
	id     string
	hostID string
	host   string
	srv    *server
	hub    *eventHub

	// dropCDRAcks is the budget of the lost-acknowledgement fault.
	dropCDRAcks atomic.Int64

	// fmu guards the fault switches and transport settings below; they are
	// read on every request, outside the cluster lock.
	fmu             sync.Mutex
	username        string
	password        string
	latency         time.Duration
	fail503         int
	malformed       bool
	down            bool
	receiverRefusal string
	eventsRefused   bool
	tlsMin          uint16
	tlsMax          uint16
	cert            tls.Certificate
	serial          *big.Int
	reqLog          []Request
	tokens          map[string]time.Time
	dialOut         func(remoteParty string) string
	stopped         bool

	// Guarded by cl.mu.
	calls         []*call
	callByID      map[string]*call
	parts         map[string]*participant
	legs          map[string]*leg
	boot          time.Time
	session       string
	corr          uint64
	legsCompleted int
	legsMaxActive int
	receivers     *table
	emitters      map[string]*receiver
	clusterCfg    map[string]string
	alarms        map[string]*alarm
	lic           Licensing
	usage         []*usageHistory // MPLicenseUsage per host id, own first
	usageNext     time.Time       // instant of the next snapshot
}

// Request is one API or events request a bridge received, for tests that
// assert what a client did (or did not) ask.
type Request struct {
	Time   time.Time // real time of arrival
	Method string
	Path   string
	Query  string
	Status int
}

const reqLogMax = 10000

func newBridge(cl *Cluster, name, host, addr string) (*Bridge, error) {
	s := cl.sim
	b := &Bridge{
		sim: s, cl: cl, name: name, id: s.ids.guid(), hostID: s.ids.guid(), host: host,
		username: cl.opts.Username, password: cl.opts.Password,
		tlsMin: tls.VersionTLS12, tokens: map[string]time.Time{},
		callByID: map[string]*call{}, parts: map[string]*participant{}, legs: map[string]*leg{},
		boot: s.clock.Now(), session: s.ids.guid(),
		receivers: newTable(), emitters: map[string]*receiver{},
		clusterCfg: map[string]string{
			"newConferenceLoadLimitBasisPoints":      "5000",
			"existingConferenceLoadLimitBasisPoints": "8000",
		},
		alarms: map[string]*alarm{},
	}
	b.dialOut = defaultDialOut
	b.lic = DefaultLicensing(b.boot)
	if cl.opts.Licensing != nil {
		b.lic = cloneLicensing(*cl.opts.Licensing)
	}
	b.usage = []*usageHistory{{host: b.hostID}}
	b.usageNext = b.boot.Truncate(time.Second)
	hosts := []string{"127.0.0.1", "localhost"}
	if host != "" && host != "127.0.0.1" && host != "localhost" {
		hosts = append([]string{host}, hosts...)
	}
	cert, serial, err := s.ca.issue(hosts...)
	if err != nil {
		return nil, err
	}
	b.cert, b.serial = cert, serial
	b.hub = newEventHub(b)
	tlsConf := &tls.Config{
		NextProtos: []string{"http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			b.fmu.Lock()
			defer b.fmu.Unlock()
			return &tls.Config{
				Certificates: []tls.Certificate{b.cert},
				MinVersion:   b.tlsMin,
				MaxVersion:   b.tlsMax,
				NextProtos:   []string{"http/1.1"},
			}, nil
		},
	}
	b.srv = newServer(addr, http.HandlerFunc(b.serveHTTP), tlsConf)
	return b, nil
}

// defaultDialOut fails dial-outs to the reserved .invalid domain, so demos
// and tests can provoke a failed dial-out without configuration.
func defaultDialOut(remote string) string {
	host := remote
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if strings.HasSuffix(strings.ToLower(host), ".invalid") {
		return "unknownDestination"
	}
	return ""
}

// Name returns the bridge's name: its uniqueName and its name in /callBridges.
func (b *Bridge) Name() string { return b.name }

// ID returns the id the cluster's /callBridges knows this bridge by, which is
// also the callBridge attribute of its CDRs when clustered.
func (b *Bridge) ID() string { return b.id }

// HostID returns the hostId reported by /system/status.
func (b *Bridge) HostID() string { return b.hostID }

// Cluster returns the cluster the bridge belongs to.
func (b *Bridge) Cluster() *Cluster { return b.cl }

// URL returns the bridge's base URL, "https://127.0.0.1:PORT"; the API base
// is URL()+"/api/v1".
func (b *Bridge) URL() string { return "https://" + b.srv.address() }

// Addr returns the bridge's listen address, host:port.
func (b *Bridge) Addr() string { return b.srv.address() }

// Username returns the API account name.
func (b *Bridge) Username() string {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.username
}

// Password returns the password the bridge currently accepts.
func (b *Bridge) Password() string {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.password
}

// Certificate returns the leaf certificate the bridge currently presents.
func (b *Bridge) Certificate() tls.Certificate {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.cert
}

// ---- faults ----

// SetDown takes the bridge's HTTPS listener away (true: connections are
// refused and open ones, websockets included, are cut) or brings it back on
// the same port (false). Calls and the CDR emitter keep running, as when a
// bridge's management interface is unreachable; use Restart for a bridge
// process restart.
func (b *Bridge) SetDown(down bool) error {
	b.fmu.Lock()
	if b.stopped {
		b.fmu.Unlock()
		return errClosed
	}
	b.down = down
	b.fmu.Unlock()
	if down {
		b.srv.stop()
		b.hub.closeAll()
		return nil
	}
	return b.srv.start()
}

// Down reports whether the bridge's listener is down.
func (b *Bridge) Down() bool {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.down
}

// Restart simulates a Call Bridge process restart: the listener and every
// websocket drop, every active call, participant and leg disappears without
// end records (the process that would have written them is gone), CDRs not
// yet acknowledged are lost, and CDRs start a new session whose
// correlatorIndex and per-receiver recordIndex begin again. Configuration
// (coSpaces, profiles, CDR receivers, cluster settings) survives, as it lives
// in the database.
func (b *Bridge) Restart() error {
	b.fmu.Lock()
	if b.stopped {
		b.fmu.Unlock()
		return errClosed
	}
	wasDown := b.down
	b.tokens = map[string]time.Time{}
	b.fmu.Unlock()
	b.srv.stop()
	b.hub.closeAll()

	cl := b.cl
	cl.mu.Lock()
	now := cl.sim.clock.Now()
	for _, c := range append([]*call(nil), b.calls...) {
		b.dropCallLocked(c, now)
	}
	b.boot = now
	b.session = cl.sim.ids.guid()
	b.corr = 0
	b.legsCompleted, b.legsMaxActive = 0, 0
	for _, r := range b.emitters {
		r.reset(b.session)
	}
	cl.mu.Unlock()
	if wasDown {
		return nil
	}
	return b.srv.start()
}

// SetLatency delays every HTTP request to the bridge by d (real time).
func (b *Bridge) SetLatency(d time.Duration) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.latency = d
}

// Fail503 makes the next n HTTP requests answer 503 Service Unavailable.
func (b *Bridge) Fail503(n int) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.fail503 = n
}

// DropCDRAcks makes the bridge lose the acknowledgement of the next n CDR
// batches its receivers answer with 200 OK, as if the connection broke
// after the receiver had stored them: each such batch counts as not
// delivered and is re-sent unchanged (same session, recordIndex and
// correlatorIndex), so the receiver sees it again and must de-duplicate.
func (b *Bridge) DropCDRAcks(n int) { b.dropCDRAcks.Store(int64(n)) }

// takeDroppedAck reports whether the acknowledgement just received is to
// be lost, counting it against the DropCDRAcks budget. It takes no lock:
// it runs after every delivered batch.
func (b *Bridge) takeDroppedAck() bool {
	for {
		n := b.dropCDRAcks.Load()
		if n <= 0 {
			return false
		}
		if b.dropCDRAcks.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// SetPassword changes the password the API account accepts; clients still
// using the old one get 401.
func (b *Bridge) SetPassword(p string) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.password = p
}

// SetCredentials changes both the API user name and its password.
func (b *Bridge) SetCredentials(user, pass string) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.username, b.password = user, pass
}

// SetMalformedXML makes every XML reply body invalid (truncated and
// corrupted) while keeping the status code.
func (b *Bridge) SetMalformedXML(on bool) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.malformed = on
}

// RevokeCertificate lists the bridge's current leaf certificate in the
// simulator's CRL. The bridge keeps presenting it.
func (b *Bridge) RevokeCertificate() error {
	b.fmu.Lock()
	serial := b.serial
	b.fmu.Unlock()
	if serial == nil {
		return errors.New("cmssim: the bridge's certificate was not issued by the simulator CA")
	}
	return b.sim.ca.revoke(serial)
}

// ReissueCertificate replaces the leaf with a fresh one from the simulator
// CA naming hosts (IP literals become IP SANs). The first host is the CN.
func (b *Bridge) ReissueCertificate(hosts ...string) error {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	cert, serial, err := b.sim.ca.issue(hosts...)
	if err != nil {
		return err
	}
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.cert, b.serial = cert, serial
	return nil
}

// UseSelfSignedCertificate makes the bridge present a self-signed leaf
// (for 127.0.0.1 and localhost) that no CA vouches for.
func (b *Bridge) UseSelfSignedCertificate() error {
	cert, err := selfSigned("127.0.0.1", "localhost")
	if err != nil {
		return err
	}
	b.SetCertificate(cert)
	return nil
}

// SetCertificate makes the bridge present cert from the next handshake on.
func (b *Bridge) SetCertificate(cert tls.Certificate) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.cert, b.serial = cert, nil
}

// SetTLSVersions limits the TLS versions the bridge accepts (0 keeps Go's
// default for that end), e.g. SetTLSVersions(tls.VersionTLS10,
// tls.VersionTLS11) for a bridge offering only TLS 1.1.
func (b *Bridge) SetTLSVersions(minVersion, maxVersion uint16) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.tlsMin, b.tlsMax = minVersion, maxVersion
}

// CloseEvents closes every open events websocket of the bridge.
func (b *Bridge) CloseEvents() { b.hub.closeAll() }

// SetEventsRefused makes the bridge refuse (true) or accept (false) new
// events websockets; refused upgrades answer 503.
func (b *Bridge) SetEventsRefused(on bool) {
	b.fmu.Lock()
	b.eventsRefused = on
	b.fmu.Unlock()
	if on {
		b.hub.closeAll()
	}
}

// RefuseCDRReceivers makes POST /system/cdrReceivers fail with the
// failureDetails reason (say "invalidOperation"), as a bridge whose
// administrator locked its receiver list would; "" accepts again.
func (b *Bridge) RefuseCDRReceivers(reason string) {
	b.fmu.Lock()
	b.receiverRefusal = reason
	b.fmu.Unlock()
}

func (b *Bridge) receiverRefused() string {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.receiverRefusal
}

// SetDialOutRule decides the fate of dial-outs: rule receives the remote
// party and returns "" to answer, or a callLegEnd reason (for example
// "unknownDestination") to fail. nil restores the default, which fails
// only addresses in the reserved .invalid domain.
func (b *Bridge) SetDialOutRule(rule func(remoteParty string) string) {
	if rule == nil {
		rule = defaultDialOut
	}
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.dialOut = rule
}

// Requests returns the requests the bridge received (most recent last,
// bounded to the last 10000).
func (b *Bridge) Requests() []Request {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return append([]Request(nil), b.reqLog...)
}

// ClearRequests forgets the recorded requests.
func (b *Bridge) ClearRequests() {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.reqLog = nil
}

func (b *Bridge) shutdown() {
	b.fmu.Lock()
	b.stopped = true
	b.fmu.Unlock()
	b.srv.stop()
	b.hub.closeAll()
	b.cl.mu.Lock()
	for _, r := range b.emitters {
		r.stop()
	}
	b.cl.mu.Unlock()
}

// ---- HTTP front door ----

// statusRecorder captures the status for the request log and corrupts XML
// bodies when the malformed-XML fault is on.
type statusRecorder struct {
	http.ResponseWriter
	status    int
	malformed bool
	buf       *bytes.Buffer
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	if w.malformed {
		return // written with the corrupted body in finish
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.malformed {
		return w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets the websocket library reach the connection's http.Hijacker.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) finish() {
	if !w.malformed {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	body := w.buf.Bytes()
	if len(body) > 0 {
		// Cut the document in the middle of a tag and leave a stray
		// markup character, so no XML parser accepts it.
		body = append(append([]byte(nil), body[:len(body)/2]...), []byte("<</")...)
	}
	w.ResponseWriter.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}

func (b *Bridge) serveHTTP(w http.ResponseWriter, r *http.Request) {
	b.fmu.Lock()
	latency := b.latency
	fail := b.fail503 > 0
	if fail {
		b.fail503--
	}
	malformed := b.malformed
	b.fmu.Unlock()

	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		b.fmu.Lock()
		b.reqLog = append(b.reqLog, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
		if len(b.reqLog) > reqLogMax {
			b.reqLog = append([]Request(nil), b.reqLog[len(b.reqLog)-reqLogMax:]...)
		}
		b.fmu.Unlock()
	}()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			rec.status = 499
			return
		}
	}
	if fail {
		rec.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/v1/") || r.URL.Path == "/api/v1":
		if malformed {
			rec.malformed = true
			rec.buf = &bytes.Buffer{}
			defer rec.finish()
		}
		if !b.authorized(r) {
			rec.Header().Set("WWW-Authenticate", `Basic realm="Cisco Meeting Server API"`)
			rec.WriteHeader(http.StatusUnauthorized)
			return
		}
		b.serveAPI(rec, r)
	case r.URL.Path == "/events/v1":
		b.serveEvents(rec, r)
	default:
		http.NotFound(rec, r)
	}
}

func (b *Bridge) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	b.fmu.Lock()
	wantU, wantP := b.username, b.password
	b.fmu.Unlock()
	return subtle.ConstantTimeCompare([]byte(user), []byte(wantU)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(wantP)) == 1
}

// issueToken records a fresh single-use events token.
func (b *Bridge) issueToken() string {
	tok := randomToken(24)
	b.fmu.Lock()
	defer b.fmu.Unlock()
	now := time.Now()
	for t, exp := range b.tokens {
		if now.After(exp) {
			delete(b.tokens, t)
		}
	}
	b.tokens[tok] = now.Add(b.sim.opts.TokenTTL)
	return tok
}

// redeemToken consumes tok, reporting whether it was valid.
func (b *Bridge) redeemToken(tok string) bool {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	exp, ok := b.tokens[tok]
	if !ok {
		return false
	}
	delete(b.tokens, tok)
	return time.Now().Before(exp)
}

// sleepCtx waits d of real time or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
