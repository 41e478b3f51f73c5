package cmssim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Sim. The zero value is usable: real clock, seed 0.
type Options struct {
	// Seed makes object ids, call-leg quality and scenarios reproducible.
	Seed uint64
	// Clock is the simulated clock; nil means the real clock.
	Clock Clock
	// SoftwareVersion is reported by /system/status (default "3.9.2").
	SoftwareVersion string
	// Logger receives the simulator's own diagnostics; nil discards them.
	Logger *slog.Logger

	// CDRBatchMax is the most records sent in one POST (default 100).
	CDRBatchMax int
	// CDRBacklog bounds the records queued per receiver beyond the batch
	// in flight (default 10000); older records are dropped on overflow and
	// the next batch carries numPreceedingRecordsMissing.
	CDRBacklog int
	// CDRRetryMin and CDRRetryMax bound the real-time back-off between
	// re-sends of an unacknowledged batch (defaults 500ms and 30s).
	CDRRetryMin, CDRRetryMax time.Duration
	// CDRClient posts CDR batches. The default trusts any certificate, as
	// receivers in tests use throw-away certificates.
	CDRClient *http.Client

	// EventsAckWindow is how many event messages may be unacknowledged on
	// one websocket before the bridge stops sending (default 32).
	EventsAckWindow int
	// TokenTTL is how long (real time) an events auth token stays usable
	// (default 60s). Tokens are single use.
	TokenTTL time.Duration

	// RingTime is how long (simulated) a dial-out rings before it is
	// answered or fails (default 0: ringing and answer are reported at once).
	RingTime time.Duration
	// PageCaps overrides the per-endpoint page cap, keyed by collection
	// name as in the URL ("coSpaces", "callLegs", ...).
	PageCaps map[string]int
}

func (o *Options) setDefaults() {
	if o.Clock == nil {
		o.Clock = RealClock()
	}
	if o.SoftwareVersion == "" {
		o.SoftwareVersion = "3.9.2"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.CDRBatchMax <= 0 {
		o.CDRBatchMax = 100
	}
	if o.CDRBacklog <= 0 {
		o.CDRBacklog = 10000
	}
	if o.CDRRetryMin <= 0 {
		o.CDRRetryMin = 500 * time.Millisecond
	}
	if o.CDRRetryMax < o.CDRRetryMin {
		o.CDRRetryMax = 30 * time.Second
		if o.CDRRetryMax < o.CDRRetryMin {
			o.CDRRetryMax = o.CDRRetryMin
		}
	}
	if o.CDRClient == nil {
		o.CDRClient = &http.Client{
			Timeout: 15 * time.Second,
			Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // receivers in tests use throw-away certificates
				MaxIdleConns:        256,
				MaxIdleConnsPerHost: 8,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	if o.EventsAckWindow <= 0 {
		o.EventsAckWindow = 32
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 60 * time.Second
	}
}

// Sim is a set of simulated Call Bridges sharing one CA, one CRL
// distribution point, one clock and one seeded id generator.
type Sim struct {
	opts  Options
	clock Clock
	ids   *idGen
	log   *slog.Logger
	ca    *authority
	crl   *server
	err   error // set when New could not start the CRL server

	mu       sync.Mutex
	clusters []*Cluster
	bridges  []*Bridge
	closed   bool
	control  *server
}

// New returns a running simulator with no bridges. Its CA and CRL
// distribution point exist from the start, so CACertPEM and CRLURL can be
// read before the first cluster is added.
func New(opts Options) *Sim {
	opts.setDefaults()
	s := &Sim{opts: opts, clock: opts.Clock, ids: newIDGen(opts.Seed, 0x636d73), log: opts.Logger}
	ca, err := newAuthority("Switchboard CMS simulator CA")
	if err != nil {
		s.err = fmt.Errorf("cmssim: create CA: %w", err)
		return s
	}
	s.ca = ca
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ca.crl", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(ca.crl())
	})
	mux.HandleFunc("GET /ca.pem", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(ca.certPEM)
	})
	s.crl = newServer("127.0.0.1:0", mux, nil)
	if err := s.crl.start(); err != nil {
		s.err = fmt.Errorf("cmssim: start CRL server: %w", err)
		return s
	}
	ca.crlURL = "http://" + s.crl.address() + "/ca.crl"
	return s
}

// Close stops every bridge, the CRL server and the control API.
func (s *Sim) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	bridges := append([]*Bridge(nil), s.bridges...)
	ctl := s.control
	s.mu.Unlock()
	for _, b := range bridges {
		b.shutdown()
	}
	if s.crl != nil {
		s.crl.stop()
	}
	if ctl != nil {
		ctl.stop()
	}
}

// Clock returns the simulator's clock.
func (s *Sim) Clock() Clock { return s.clock }

// CACertPEM returns the PEM-encoded CA certificate that signs every bridge
// leaf; clients use it as their trust anchor.
func (s *Sim) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return append([]byte(nil), s.ca.certPEM...)
}

// CACertPool returns a pool holding only the simulator CA.
func (s *Sim) CACertPool() *x509.CertPool {
	p := x509.NewCertPool()
	if s.ca != nil {
		p.AddCert(s.ca.cert)
	}
	return p
}

// CRLURL returns the HTTP URL of the CRL named in every leaf certificate.
func (s *Sim) CRLURL() string {
	if s.ca == nil {
		return ""
	}
	return s.ca.crlURL
}

// SetCRLAvailable stops (false) or restarts (true) the CRL distribution
// point, to test clients that must refuse a peer whose CRL cannot be fetched.
func (s *Sim) SetCRLAvailable(on bool) error {
	if s.crl == nil {
		return s.err
	}
	if on {
		return s.crl.start()
	}
	s.crl.stop()
	return nil
}

// Clusters returns the clusters in the order they were added.
func (s *Sim) Clusters() []*Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Cluster(nil), s.clusters...)
}

// Bridges returns every bridge of every cluster, in creation order.
func (s *Sim) Bridges() []*Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Bridge(nil), s.bridges...)
}

// Bridge finds a bridge by name or id; it returns nil when there is none.
func (s *Sim) Bridge(nameOrID string) *Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bridges {
		if b.name == nameOrID || b.id == nameOrID {
			return b
		}
	}
	return nil
}

// Cluster finds a cluster by name or id; it returns nil when there is none.
func (s *Sim) Cluster(nameOrID string) *Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clusters {
		if c.Name == nameOrID || c.ID == nameOrID {
			return c
		}
	}
	return nil
}

// ClusterOptions describes a cluster of bridges to add.
type ClusterOptions struct {
	// Name is the cluster's name, unique within the Sim (required).
	Name string
	// Bridges is the number of member bridges (default 1).
	Bridges int
	// BridgeNames names the members; missing names default to
	// "<name>-cb<N>" in lower case with spaces replaced by dashes.
	BridgeNames []string
	// Username and Password are the API account on every member (defaults
	// "admin" and "admin").
	Username, Password string
	// SingleNodeCluster makes a one-bridge cluster report clustering on
	// (a cluster of one). By default a one-bridge cluster is a standalone,
	// unclustered bridge: /callBridges is empty and CDRs carry no
	// callBridge attribute.
	SingleNodeCluster bool
	// ListenAddrs sets each member's listen address; missing entries
	// default to "127.0.0.1:0" (a random port).
	ListenAddrs []string
	// CDRReceivers pre-configures these receiver URIs on every member, as a
	// third-party consumer would have done.
	CDRReceivers []string
	// Licensing is every member's licence state (default
	// DefaultLicensing at the bridge's start); see Bridge.SetLicensing.
	Licensing *Licensing
}

// AddCluster creates a cluster and starts its bridges.
func (s *Sim) AddCluster(o ClusterOptions) (*Cluster, error) {
	if s.err != nil {
		return nil, s.err
	}
	if strings.TrimSpace(o.Name) == "" {
		return nil, errors.New("cmssim: cluster name is required")
	}
	if o.Bridges <= 0 {
		o.Bridges = 1
	}
	if o.Username == "" {
		o.Username = "admin"
	}
	if o.Password == "" {
		o.Password = "admin"
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("cmssim: simulator closed")
	}
	for _, c := range s.clusters {
		if c.Name == o.Name {
			s.mu.Unlock()
			return nil, fmt.Errorf("cmssim: cluster %q already exists", o.Name)
		}
	}
	cl := newCluster(s, o)
	s.clusters = append(s.clusters, cl)
	s.mu.Unlock()

	for i := 0; i < o.Bridges; i++ {
		name := ""
		if i < len(o.BridgeNames) {
			name = o.BridgeNames[i]
		}
		addr := ""
		if i < len(o.ListenAddrs) {
			addr = o.ListenAddrs[i]
		}
		if _, err := cl.addBridge(name, addr); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

func (s *Sim) registerBridge(b *Bridge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("cmssim: simulator closed")
	}
	for _, x := range s.bridges {
		if x.name == b.name {
			return fmt.Errorf("cmssim: bridge name %q already in use", b.name)
		}
	}
	s.bridges = append(s.bridges, b)
	return nil
}
