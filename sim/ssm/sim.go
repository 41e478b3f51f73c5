package ssmsim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"
)

// Clock is the simulator's source of simulated time: token expiry,
// registration and authorization periods and report stamps follow it.
// Reply latency uses real time. *cmssim.ManualClock satisfies it.
type Clock interface {
	// Now returns the current simulated time.
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Entitlement is a licence type a virtual account can hold, named by its
// tag on the wire.
type Entitlement string

// The entitlements Switchboard tracks. The tags are Switchboard's own: the
// real CSSM entitlement tags are not known (docs/ssm-protocol.md).
const (
	PMPPlus            Entitlement = "PMP_PLUS"
	SMPPlus            Entitlement = "SMP_PLUS"
	RecordingStreaming Entitlement = "RECORDING_STREAMING"
	Customization      Entitlement = "CUSTOMIZATION"
)

// Entitlements lists every entitlement in wire order.
var Entitlements = []Entitlement{PMPPlus, SMPPlus, RecordingStreaming, Customization}

var entitlementNames = map[Entitlement]string{
	PMPPlus:            "PMP Plus",
	SMPPlus:            "SMP Plus",
	RecordingStreaming: "Recording/Streaming",
	Customization:      "Customization",
}

// Name returns the display name SSM shows for the entitlement.
func (e Entitlement) Name() string { return entitlementNames[e] }

// Valid reports whether e is one of Entitlements.
func (e Entitlement) Valid() bool { _, ok := entitlementNames[e]; return ok }

// Sentinel errors of the Go API.
var (
	// ErrNotFound: no such account, token or instance.
	ErrNotFound = errors.New("ssmsim: not found")
	// ErrExists: an account of that name exists already.
	ErrExists = errors.New("ssmsim: already exists")
	// ErrInvalid: a negative count or an unknown entitlement.
	ErrInvalid = errors.New("ssmsim: invalid argument")
)

// Options configures a Sim. The zero value is usable.
type Options struct {
	// Clock is the simulated clock; nil means the real clock.
	Clock Clock
	// Seed makes tokens, credentials and report ids reproducible.
	Seed uint64
	// AuthorizationPeriod is how long an authorization stays valid after
	// registration or renewal (default 90 days).
	AuthorizationPeriod time.Duration
	// RegistrationMonths is how long a registration stays valid after
	// registration or renewal, in calendar months (default 6).
	RegistrationMonths int
}

func (o *Options) setDefaults() {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.AuthorizationPeriod <= 0 {
		o.AuthorizationPeriod = 90 * 24 * time.Hour
	}
	if o.RegistrationMonths <= 0 {
		o.RegistrationMonths = 6
	}
}

// Account is a virtual account as the Go API reports it.
type Account struct {
	// Name is the virtual account's name, unique in the Sim.
	Name string `json:"name"`
	// Purchased is the count bought per entitlement (0 when absent).
	Purchased map[Entitlement]int `json:"purchased"`
}

// Token is a registration token as the Go API reports it.
type Token struct {
	Value     string    `json:"value"`
	Account   string    `json:"account"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked"`
	Uses      int       `json:"uses"`
}

// Instance is a registered product instance as the Go API reports it.
type Instance struct {
	ID                    string    `json:"id"`
	ProductName           string    `json:"productName"`
	Account               string    `json:"account"`
	Credential            string    `json:"credential"`
	RegisteredAt          time.Time `json:"registeredAt"`
	RegistrationExpiresAt time.Time `json:"registrationExpiresAt"`
	AuthorizedAt          time.Time `json:"authorizedAt"`
	AuthorizationExpires  time.Time `json:"authorizationExpiresAt"`
}

// UsageReport is one usage report as the simulator stored it.
type UsageReport struct {
	ReportID   string              `json:"reportId"`
	Instance   string              `json:"instance"`
	Account    string              `json:"account"`
	MeasuredAt time.Time           `json:"measuredAt"`
	ReceivedAt time.Time           `json:"receivedAt"`
	Usage      map[Entitlement]int `json:"usage"`
	Compliance string              `json:"compliance"`
}

// Op names a protocol operation, for Requests.
type Op string

// The protocol operations.
const (
	OpRegister           Op = "register"
	OpRenewAuthorization Op = "renewAuthorization"
	OpRenewRegistration  Op = "renewRegistration"
	OpDeregister         Op = "deregister"
	OpUsage              Op = "usage"
)

// Request is one protocol request the simulator answered (whatever the
// answer), for tests that count calls.
type Request struct {
	Op       Op        `json:"op"`
	Instance string    `json:"instance"`
	At       time.Time `json:"at"`
	Status   int       `json:"status"`
	Reason   string    `json:"reason,omitempty"`
}

type instance struct {
	Instance
	reports map[string]int // report id -> index in Sim.reports[id]
}

// Sim is one simulated SSM.
type Sim struct {
	opts  Options
	clock Clock
	ca    *authority
	srv   *server
	err   error

	mu        sync.Mutex
	rng       *rand.Rand
	accounts  map[string]*Account
	tokens    map[string]*Token
	instances map[string]*instance
	reports   map[string][]UsageReport // by instance id; kept after deregistration
	requests  []Request
	// faults
	rejectTokens bool
	alreadyReg   bool
	latency      time.Duration
	fail503      int
	control      *server
}

// New returns a running simulator with no accounts, listening on
// 127.0.0.1 on a free port. Err reports a failure to start.
func New(opts Options) *Sim {
	opts.setDefaults()
	s := &Sim{
		opts: opts, clock: opts.Clock,
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x73736d)),
		accounts:  map[string]*Account{},
		tokens:    map[string]*Token{},
		instances: map[string]*instance{},
		reports:   map[string][]UsageReport{},
	}
	ca, err := newAuthority("Switchboard SSM simulator CA")
	if err != nil {
		s.err = fmt.Errorf("ssmsim: create CA: %w", err)
		return s
	}
	s.ca = ca
	leaf, err := ca.issue("127.0.0.1", "localhost")
	if err != nil {
		s.err = fmt.Errorf("ssmsim: issue certificate: %w", err)
		return s
	}
	tc := &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	s.srv = newServer("127.0.0.1:0", s.apiHandler(), tc)
	if err := s.srv.start(); err != nil {
		s.err = fmt.Errorf("ssmsim: start listener: %w", err)
	}
	return s
}

// Err returns the error that kept New from starting, or nil.
func (s *Sim) Err() error { return s.err }

// Close stops the listener and the control API.
func (s *Sim) Close() {
	if s.srv != nil {
		s.srv.stop()
	}
	s.mu.Lock()
	ctl := s.control
	s.control = nil
	s.mu.Unlock()
	if ctl != nil {
		ctl.stop()
	}
}

// URL returns the protocol's base URL, "https://127.0.0.1:port/ssm/v1".
func (s *Sim) URL() string { return "https://" + s.srv.address() + "/ssm/v1" }

// Addr returns the listener's host:port.
func (s *Sim) Addr() string { return s.srv.address() }

// CACertPEM returns the PEM certificate of the CA that signs the listener's
// certificate.
func (s *Sim) CACertPEM() []byte { return append([]byte(nil), s.ca.certPEM...) }

// CACertPool returns a pool holding only the simulator CA.
func (s *Sim) CACertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.ca.cert)
	return p
}

// Clock returns the simulated clock.
func (s *Sim) Clock() Clock { return s.clock }

// AddAccount creates a virtual account with purchased counts.
func (s *Sim) AddAccount(name string, purchased map[Entitlement]int) error {
	if name == "" {
		return fmt.Errorf("%w: empty account name", ErrInvalid)
	}
	p, err := checkCounts(purchased)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[name]; ok {
		return fmt.Errorf("%w: account %q", ErrExists, name)
	}
	s.accounts[name] = &Account{Name: name, Purchased: p}
	return nil
}

// SetPurchased sets the purchased count of one entitlement of an account
// (a purchase or a licence moved between accounts).
func (s *Sim) SetPurchased(account string, e Entitlement, n int) error {
	if _, err := checkCounts(map[Entitlement]int{e: n}); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[account]
	if !ok {
		return fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	a.Purchased[e] = n
	return nil
}

func checkCounts(in map[Entitlement]int) (map[Entitlement]int, error) {
	out := map[Entitlement]int{}
	for e, n := range in {
		if !e.Valid() {
			return nil, fmt.Errorf("%w: unknown entitlement %q", ErrInvalid, e)
		}
		if n < 0 {
			return nil, fmt.Errorf("%w: negative count %d for %s", ErrInvalid, n, e)
		}
		out[e] = n
	}
	return out, nil
}

// Accounts returns every account, by name.
func (s *Sim) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, copyAccount(a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func copyAccount(a *Account) Account {
	p := make(map[Entitlement]int, len(a.Purchased))
	for k, v := range a.Purchased {
		p[k] = v
	}
	return Account{Name: a.Name, Purchased: p}
}

// IssueToken issues a registration token for account, valid for ttl of
// simulated time. A token serves any number of registrations until it
// expires or is revoked.
func (s *Sim) IssueToken(account string, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[account]; !ok {
		return "", fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	v := s.randLocked("tok", 24)
	s.tokens[v] = &Token{Value: v, Account: account, ExpiresAt: s.clock.Now().Add(ttl)}
	return v, nil
}

// RevokeToken revokes a token; later registrations with it are refused.
func (s *Sim) RevokeToken(value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		return fmt.Errorf("%w: token", ErrNotFound)
	}
	t.Revoked = true
	return nil
}

// Token returns a token by value.
func (s *Sim) Token(value string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		return Token{}, false
	}
	return *t, true
}

// Instance returns a registered instance by product instance id.
func (s *Sim) Instance(id string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok {
		return Instance{}, false
	}
	return in.Instance, true
}

// Instances returns every registered instance, by id.
func (s *Sim) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Instance, 0, len(s.instances))
	for _, in := range s.instances {
		out = append(out, in.Instance)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Deregister removes an instance on SSM's side, as an administrator does
// in the SSM portal; the product's next call finds itself not registered.
func (s *Sim) Deregister(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.instances[id]; !ok {
		return fmt.Errorf("%w: instance %q", ErrNotFound, id)
	}
	delete(s.instances, id)
	return nil
}

// UsageReports returns the usage reports received from an instance, in
// arrival order, duplicates (same report id) stored once. Reports survive
// the instance's deregistration.
func (s *Sim) UsageReports(id string) []UsageReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports[id])
}

// Requests returns every protocol request answered so far.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests of op were answered with status 2xx.
func (s *Sim) Count(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Op == op && r.Status/100 == 2 {
			n++
		}
	}
	return n
}

// SetUnreachable takes the listener down (true) or brings it back on the
// same address (false).
func (s *Sim) SetUnreachable(on bool) error {
	if on {
		s.srv.stop()
		return nil
	}
	return s.srv.start()
}

// Unreachable reports whether the listener is down.
func (s *Sim) Unreachable() bool { return !s.srv.running() }

// SetTokensRejected makes every registration be refused with reason
// tokenRejected, whatever the token, until turned off.
func (s *Sim) SetTokensRejected(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectTokens = on
}

// SetAlreadyRegistered makes every registration without force be refused
// with reason alreadyRegistered, as if SSM held a stale registration of
// the instance, until turned off.
func (s *Sim) SetAlreadyRegistered(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alreadyReg = on
}

// SetLatency delays every protocol reply by d of real time (0 turns it off).
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Fail503 answers the next n protocol requests with 503 without applying
// them.
func (s *Sim) Fail503(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail503 = n
}

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func (s *Sim) randLocked(prefix string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return prefix + "-" + string(b)
}
