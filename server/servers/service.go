package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/callbridge"
	"github.com/switchboardhq/switchboard/ent/cluster"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
)

// Options are what deployments and tests may change; zero values are the
// defaults.
type Options struct {
	// Now is the clock.
	Now func() time.Time
	// PollInterval is how often each bridge is polled (default 10 s).
	PollInterval time.Duration
	// MaxBackoff caps the wait between polls of a failing bridge
	// (default 60 s).
	MaxBackoff time.Duration
	// RequestTimeout bounds each request to a bridge (default 10 s).
	RequestTimeout time.Duration
	// CRLClient fetches CRLs (default: a client with a 10 s timeout).
	CRLClient *http.Client
	// NoSchedule registers the monitor jobs without a schedule, so that
	// only RunNow or Poll runs them (tests drive the clock themselves).
	NoSchedule bool
}

// Service manages bridges and clusters.
type Service struct {
	db    *ent.Client
	box   *secrets.Box
	notes *notifications.Service
	jobs  *jobs.Registry
	log   *slog.Logger
	now   func() time.Time
	opts  Options
	crl   *cms.CRLChecker

	mu      sync.Mutex
	clients map[int]*cms.Client
	mon     map[int]*monitor
	// watchers are told after every change of bridges or clusters.
	watchers []func()
}

// New returns the service. Call Start to begin monitoring stored bridges.
func New(db *ent.Client, box *secrets.Box, notes *notifications.Service, reg *jobs.Registry, log *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 10 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 60 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	return &Service{db: db, box: box, notes: notes, jobs: reg, log: log, now: opts.Now, opts: opts,
		crl:     cms.NewCRLChecker(cms.CRLOptions{HTTPClient: opts.CRLClient, Now: opts.Now}),
		clients: map[int]*cms.Client{}, mon: map[int]*monitor{}}
}

// Bridge is a managed Call Bridge as the API shows it.
type Bridge struct {
	ID                int
	ClusterID         int
	DisplayName       string
	Address           string
	Port              int
	Username          string
	HasPassword       bool
	VerifyCertificate bool
	TrustedChainPEM   string
	CheckCRL          bool
	BridgeName        string
	SoftwareVersion   string
	State             string
	StateMessage      string
	LastContact       *time.Time
	CreateTime        time.Time
	UpdateTime        time.Time
}

// TLSVerified reports whether the connection verifies the bridge (SV-11).
func (b Bridge) TLSVerified() bool { return b.VerifyCertificate }

// Peer is a cluster member reported by a bridge's API.
type Peer struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Address string `json:"-"`
	Port    int    `json:"-"`
}

// Cluster is a group of bridges with its discovered, not yet added peers.
type Cluster struct {
	ID                int
	DisplayName       string
	CMSClusterID      string
	MeetingManagement bool
	Bridges           []Bridge
	Discovered        []Peer
	CreateTime        time.Time
}

// NewBridge is what AddCallBridge takes.
type NewBridge struct {
	Connection         Connection
	DisplayName        string
	MeetingManagement  *bool
	ClusterDisplayName string
}

// TestConnection tests c without saving anything (IM-18). With existingID
// set and no password given, the stored password of that bridge is used.
func (s *Service) TestConnection(ctx context.Context, c Connection, existingID int) (TestResult, error) {
	if c.Password == "" && existingID != 0 {
		b, err := s.get(ctx, existingID)
		if err != nil {
			return TestResult{}, err
		}
		if c.Password, err = s.password(b); err != nil {
			return TestResult{}, err
		}
	}
	if err := c.normalise("connection."); err != nil {
		return TestResult{}, err
	}
	if c.Password == "" {
		return TestResult{}, errs.Invalid("connection.password", "give the API password")
	}
	cl, err := s.client(c, 1)
	if err != nil {
		return TestResult{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	return probe(ctx, cl), nil
}

// testFailed is the error of an add or edit whose connection test failed.
func testFailed(r TestResult) error {
	e := errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "connection test failed: %s", r.Message)
	e.Metadata = map[string]string{"failure": string(r.Failure)}
	return e
}

// AddCallBridge tests the connection and stores the bridge in the cluster
// its API reports (SV-04, SV-16, SV-17, SV-20).
func (s *Service) AddCallBridge(ctx context.Context, in NewBridge) (*Bridge, *Cluster, error) {
	defer s.changed()
	c := in.Connection
	if err := c.normalise("connection."); err != nil {
		return nil, nil, err
	}
	if c.Password == "" {
		return nil, nil, errs.Invalid("connection.password", "give the API password")
	}
	if in.DisplayName == "" {
		return nil, nil, errs.Invalid("display_name", "give a display name")
	}
	if n, err := s.db.CallBridge.Query().Where(callbridge.Address(c.Address), callbridge.Port(c.Port)).Count(ctx); err != nil {
		return nil, nil, database.Translate(err)
	} else if n > 0 {
		return nil, nil, errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "a Call Bridge at %s is already managed", hostPort(c.Address, c.Port))
	}
	r, err := s.TestConnection(ctx, c, 0)
	if err != nil {
		return nil, nil, err
	}
	if !r.OK {
		return nil, nil, testFailed(r)
	}
	mm := true
	if in.MeetingManagement != nil {
		mm = *in.MeetingManagement
	}
	if mm {
		// The issue asks to refuse meeting management without a receiver
		// address rather than accept it with a warning (SV-25).
		if addr, _, err := s.CDRReceiverAddress(ctx); err != nil {
			return nil, nil, err
		} else if addr == "" && r.ClusterID == "" || addr == "" && !s.clusterExists(ctx, r.ClusterID) {
			return nil, nil, errNoReceiverAddress()
		}
	}
	sealed, err := s.box.Seal([]byte(c.Password), nil)
	if err != nil {
		return nil, nil, err
	}
	var id int
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		var cl *ent.Cluster
		if r.ClusterID != "" {
			cl, err = tx.Cluster.Query().Where(cluster.CmsClusterID(r.ClusterID)).First(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
		}
		if cl == nil {
			name := in.ClusterDisplayName
			if name == "" {
				name = in.DisplayName
			}
			if cl, err = tx.Cluster.Create().SetDisplayName(name).SetCmsClusterID(r.ClusterID).SetMeetingManagement(mm).Save(ctx); err != nil {
				return err
			}
		}
		b, err := tx.CallBridge.Create().SetClusterID(cl.ID).SetDisplayName(in.DisplayName).SetAddress(c.Address).SetPort(c.Port).
			SetUsername(c.Username).SetPasswordSealed(sealed).SetVerifyCertificate(c.VerifyCertificate).
			SetTrustedChainPem(c.TrustedChainPEM).SetCheckCrl(c.CheckCRL).SetBridgeName(r.BridgeName).
			SetCmsClusterID(r.ClusterID).SetSoftwareVersion(r.SoftwareVersion).SetConnectionState(StateConnected).
			SetLastContactTime(s.now().UTC()).Save(ctx)
		if err != nil {
			return err
		}
		id = b.ID
		return nil
	})
	if err != nil {
		if ent.IsConstraintError(errors.Unwrap(err)) || ent.IsConstraintError(err) {
			return nil, nil, errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "a Call Bridge at %s is already managed", hostPort(c.Address, c.Port))
		}
		return nil, nil, database.Translate(err)
	}
	b, err := s.get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	s.log.InfoContext(ctx, "call bridge added", slog.Int("id", id), slog.String("address", hostPort(c.Address, c.Port)))
	s.afterConnect(ctx, b)
	if err := s.startMonitor(b.ID); err != nil {
		return nil, nil, err
	}
	bridge, err := s.GetCallBridge(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	clu, err := s.getCluster(ctx, bridge.ClusterID)
	if err != nil {
		return nil, nil, err
	}
	return bridge, clu, nil
}

func (s *Service) clusterExists(ctx context.Context, cmsID string) bool {
	n, _ := s.db.Cluster.Query().Where(cluster.CmsClusterID(cmsID)).Count(ctx)
	return n > 0
}

func errNoReceiverAddress() error {
	return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"set the CDR receiver address first: with meeting management on, bridges must be told where to send CDRs (ST-14)")
}

// afterConnect runs what follows a successful connection: discovery and
// the CDR receiver registration. Failures become notifications.
func (s *Service) afterConnect(ctx context.Context, b *ent.CallBridge) {
	cl, err := s.clientFor(ctx, b)
	if err != nil {
		s.log.WarnContext(ctx, "bridge client", slog.Any("error", err))
		return
	}
	if err := s.discover(ctx, b, cl); err != nil {
		s.log.WarnContext(ctx, "discovering cluster peers", slog.Int("bridge", b.ID), slog.Any("error", err))
	}
	if err := s.syncReceiver(ctx, b, cl); err != nil {
		s.log.WarnContext(ctx, "registering the CDR receiver", slog.Int("bridge", b.ID), slog.Any("error", err))
	}
}

// discover stores the peers b's API lists for its cluster (SV-17).
func (s *Service) discover(ctx context.Context, b *ent.CallBridge, cl *cms.Client) error {
	if b.CmsClusterID == "" {
		return nil
	}
	var peers []Peer
	for cb, err := range cl.CallBridges(ctx, cms.ListOptions{}) {
		if err != nil {
			return err
		}
		p := Peer{Name: cb.Name, URL: cb.Address}
		if p.URL == "" && cb.ID != "" {
			if full, err := cl.CallBridge(ctx, cb.ID); err == nil {
				p.URL = full.Address
			}
		}
		peers = append(peers, p)
	}
	raw, err := json.Marshal(peers)
	if err != nil {
		return err
	}
	return database.Translate(s.db.Cluster.UpdateOneID(b.ClusterID).SetPeers(string(raw)).Exec(ctx))
}

// GetCallBridge returns one bridge.
func (s *Service) GetCallBridge(ctx context.Context, id int) (*Bridge, error) {
	b, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []Bridge{toBridge(b)}
	if err := s.withLiveStates(ctx, out); err != nil {
		return nil, err
	}
	return &out[0], nil
}

// withLiveStates shows, on bridges the monitor finds connected, the
// conditions of their events connection and meeting synchronisation
// (SV-31): EVENTS_DISRUPTED while CALL_BRIDGE_EVENTS_DISRUPTED holds, else
// SYNCHRONIZING while CALL_BRIDGE_SYNCHRONIZING holds. Those notifications
// are raised and cleared by whoever follows the bridge's events and
// meetings, so the state and the Overview never disagree. A failing
// connection (the stored state) always wins.
func (s *Service) withLiveStates(ctx context.Context, bridges []Bridge) error {
	connected := false
	for _, b := range bridges {
		connected = connected || b.State == StateConnected
	}
	if !connected {
		return nil
	}
	held, err := s.notes.Holding(ctx, notifications.SubjectCallBridge,
		notifications.CodeCallBridgeEventsDisrupted, notifications.CodeCallBridgeSynchronizing)
	if err != nil {
		return err
	}
	for i := range bridges {
		b := &bridges[i]
		h := held[strconv.Itoa(b.ID)]
		if b.State != StateConnected || h == nil {
			continue
		}
		if msg, ok := h[notifications.CodeCallBridgeEventsDisrupted]; ok {
			b.State, b.StateMessage = StateEventsDisrupted, msg
		} else if msg, ok := h[notifications.CodeCallBridgeSynchronizing]; ok {
			b.State, b.StateMessage = StateSynchronizing, msg
		}
	}
	return nil
}

// withLiveClusterStates applies withLiveStates to the bridges of clusters.
func (s *Service) withLiveClusterStates(ctx context.Context, clusters []Cluster) error {
	var all []Bridge
	for _, c := range clusters {
		all = append(all, c.Bridges...)
	}
	if err := s.withLiveStates(ctx, all); err != nil {
		return err
	}
	k := 0
	for i := range clusters {
		n := copy(clusters[i].Bridges, all[k:k+len(clusters[i].Bridges)])
		k += n
	}
	return nil
}

func (s *Service) get(ctx context.Context, id int) (*ent.CallBridge, error) {
	b, err := s.db.CallBridge.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no Call Bridge %d", id)
	}
	return b, database.Translate(err)
}

func (s *Service) password(b *ent.CallBridge) (string, error) {
	p, err := s.box.Open(b.PasswordSealed, nil)
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, errs.ReasonInternal, "cannot open the stored bridge password")
	}
	return string(p), nil
}

func (s *Service) connectionOf(b *ent.CallBridge) (Connection, error) {
	p, err := s.password(b)
	if err != nil {
		return Connection{}, err
	}
	return Connection{Address: b.Address, Port: b.Port, Username: b.Username, Password: p,
		VerifyCertificate: b.VerifyCertificate, TrustedChainPEM: b.TrustedChainPem, CheckCRL: b.CheckCrl}, nil
}

// clientFor returns the cached monitoring client of b, building it when
// needed.
func (s *Service) clientFor(_ context.Context, b *ent.CallBridge) (*cms.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cl, ok := s.clients[b.ID]; ok {
		return cl, nil
	}
	c, err := s.connectionOf(b)
	if err != nil {
		return nil, err
	}
	cl, err := s.client(c, 2)
	if err != nil {
		return nil, err
	}
	s.clients[b.ID] = cl
	return cl, nil
}

// OnChange registers fn to be called after every change of bridges or
// clusters made through this service (add, edit, remove, the meeting
// management switch), so that a dependent domain applies it at once.
func (s *Service) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers = append(s.watchers, fn)
}

func (s *Service) changed() {
	s.mu.Lock()
	fns := slices.Clone(s.watchers)
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Client returns the wire client of bridge id, shared with its monitor
// (one connection pool per bridge), for the meetings domain's reads and
// operator actions.
func (s *Service) Client(ctx context.Context, id int) (*cms.Client, error) {
	b, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.clientFor(ctx, b)
}

func (s *Service) dropClient(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cl, ok := s.clients[id]; ok {
		cl.Close()
		delete(s.clients, id)
	}
}

// BridgeUpdate holds the changes; nil fields stay.
type BridgeUpdate struct {
	DisplayName *string
	Connection  *Connection
}

// UpdateCallBridge changes a bridge; a new connection is tested first and
// applies at once (SV-14).
func (s *Service) UpdateCallBridge(ctx context.Context, id int, in BridgeUpdate) (*Bridge, error) {
	defer s.changed()
	b, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := b.Update()
	if in.DisplayName != nil {
		if *in.DisplayName == "" {
			return nil, errs.Invalid("display_name", "give a display name")
		}
		upd.SetDisplayName(*in.DisplayName)
	}
	if in.Connection != nil {
		c := *in.Connection
		if c.Password == "" {
			if c.Password, err = s.password(b); err != nil {
				return nil, err
			}
		}
		if err := c.normalise("connection."); err != nil {
			return nil, err
		}
		r, err := s.TestConnection(ctx, c, 0)
		if err != nil {
			return nil, err
		}
		if !r.OK {
			return nil, testFailed(r)
		}
		sealed, err := s.box.Seal([]byte(c.Password), nil)
		if err != nil {
			return nil, err
		}
		upd.SetAddress(c.Address).SetPort(c.Port).SetUsername(c.Username).SetPasswordSealed(sealed).
			SetVerifyCertificate(c.VerifyCertificate).SetTrustedChainPem(c.TrustedChainPEM).SetCheckCrl(c.CheckCRL).
			SetSoftwareVersion(r.SoftwareVersion)
	}
	if _, err := upd.Save(ctx); err != nil {
		if ent.IsConstraintError(err) {
			return nil, errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "another managed Call Bridge has this address and port")
		}
		return nil, database.Translate(err)
	}
	if in.Connection != nil {
		s.dropClient(id)
		s.resetBackoff(id)
		// Apply at once: poll now, which clears the old condition.
		if _, err := s.Poll(ctx, id); err != nil {
			s.log.WarnContext(ctx, "poll after edit", slog.Int("bridge", id), slog.Any("error", err))
		}
	}
	return s.GetCallBridge(ctx, id)
}

// RemoveCallBridge stops monitoring a bridge, removes Switchboard's own CDR
// receiver entry from it (best effort), clears its notifications and
// deletes it; the cluster goes with its last bridge (SV-15).
func (s *Service) RemoveCallBridge(ctx context.Context, id int) error {
	defer s.changed()
	b, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	s.stopMonitor(id)
	if b.CdrReceiverID != "" {
		if cl, err := s.clientFor(ctx, b); err == nil {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := cl.DeleteCDRReceiver(rctx, b.CdrReceiverID); err != nil && !errors.Is(err, cms.ErrNotFound) {
				s.log.WarnContext(ctx, "removing our CDR receiver from a removed bridge", slog.Int("bridge", id), slog.Any("error", err))
			}
			cancel()
		}
	}
	s.dropClient(id)
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.CallBridge.DeleteOneID(id).Exec(ctx); err != nil {
			return err
		}
		n, err := tx.CallBridge.Query().Where(callbridge.ClusterID(b.ClusterID)).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return tx.Cluster.DeleteOneID(b.ClusterID).Exec(ctx)
		}
		return nil
	})
	if err != nil {
		return database.Translate(err)
	}
	if err := s.notes.ClearSubject(ctx, notifications.SubjectCallBridge, strconv.Itoa(id)); err != nil {
		return err
	}
	if n, _ := s.db.Cluster.Query().Where(cluster.ID(b.ClusterID)).Count(ctx); n == 0 {
		return s.notes.ClearSubject(ctx, notifications.SubjectCluster, strconv.Itoa(b.ClusterID))
	}
	return nil
}

// ListClusters lists every cluster with its bridges and discovered peers.
func (s *Service) ListClusters(ctx context.Context) ([]Cluster, error) {
	rows, err := s.db.Cluster.Query().WithCallBridges().Order(ent.Asc(cluster.FieldID)).All(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	out := make([]Cluster, 0, len(rows))
	for _, r := range rows {
		out = append(out, toCluster(r))
	}
	if err := s.withLiveClusterStates(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) getCluster(ctx context.Context, id int) (*Cluster, error) {
	r, err := s.db.Cluster.Query().Where(cluster.ID(id)).WithCallBridges().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no cluster %d", id)
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	c := []Cluster{toCluster(r)}
	if err := s.withLiveClusterStates(ctx, c); err != nil {
		return nil, err
	}
	return &c[0], nil
}

// UpdateCluster changes a cluster's display name or meeting management
// flag (SV-19, SV-20, SV-21, SV-22).
func (s *Service) UpdateCluster(ctx context.Context, id int, name *string, mm *bool) (*Cluster, error) {
	defer s.changed()
	c, err := s.getCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := s.db.Cluster.UpdateOneID(id)
	if name != nil {
		if *name == "" {
			return nil, errs.Invalid("display_name", "give a display name")
		}
		upd.SetDisplayName(*name)
	}
	changed := mm != nil && *mm != c.MeetingManagement
	if mm != nil {
		if *mm {
			addr, _, err := s.CDRReceiverAddress(ctx)
			if err != nil {
				return nil, err
			}
			if addr == "" {
				return nil, errNoReceiverAddress()
			}
		}
		upd.SetMeetingManagement(*mm)
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, database.Translate(err)
	}
	if changed {
		s.syncCluster(ctx, id)
	}
	return s.getCluster(ctx, id)
}

// syncCluster brings the CDR receiver registration of every bridge of a
// cluster in line with its flag and the receiver address.
func (s *Service) syncCluster(ctx context.Context, id int) {
	bridges, err := s.db.CallBridge.Query().Where(callbridge.ClusterID(id)).All(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "listing a cluster's bridges", slog.Any("error", err))
		return
	}
	for _, b := range bridges {
		cl, err := s.clientFor(ctx, b)
		if err != nil {
			continue
		}
		if err := s.syncReceiver(ctx, b, cl); err != nil {
			s.log.WarnContext(ctx, "CDR receiver registration", slog.Int("bridge", b.ID), slog.Any("error", err))
		}
	}
}

// DiscoveredResult is the outcome of adding one discovered peer.
type DiscoveredResult struct {
	Peer    Peer
	Bridge  *Bridge
	Failure *TestResult
}

// AddDiscovered adds every discovered, not yet added peer of a cluster with
// the credentials and trust settings of template (IM-32).
func (s *Service) AddDiscovered(ctx context.Context, clusterID, templateID int) ([]DiscoveredResult, error) {
	c, err := s.getCluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	if len(c.Bridges) == 0 {
		return nil, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "the cluster has no bridge to copy settings from")
	}
	if templateID == 0 {
		templateID = c.Bridges[0].ID
	}
	tb, err := s.get(ctx, templateID)
	if err != nil {
		return nil, err
	}
	if tb.ClusterID != clusterID {
		return nil, errs.Invalid("template_call_bridge_id", "the bridge is not in this cluster")
	}
	conn, err := s.connectionOf(tb)
	if err != nil {
		return nil, err
	}
	var out []DiscoveredResult
	for _, p := range c.Discovered {
		res := DiscoveredResult{Peer: p}
		if p.Address == "" {
			res.Failure = &TestResult{Failure: FailureUnreachable, Message: "the cluster does not report an API address for this bridge"}
			out = append(out, res)
			continue
		}
		pc := conn
		pc.Address, pc.Port = p.Address, p.Port
		mm := c.MeetingManagement
		b, _, err := s.AddCallBridge(ctx, NewBridge{Connection: pc, DisplayName: p.Name, MeetingManagement: &mm})
		if err != nil {
			e, _ := errs.From(err)
			msg := err.Error()
			f := FailureAPIError
			if e != nil {
				msg = e.Message
				if v := e.Metadata["failure"]; v != "" {
					f = Failure(v)
				}
			}
			res.Failure = &TestResult{Failure: f, Message: msg}
		} else {
			res.Bridge = b
		}
		out = append(out, res)
	}
	return out, nil
}

func toBridge(b *ent.CallBridge) Bridge {
	out := Bridge{ID: b.ID, ClusterID: b.ClusterID, DisplayName: b.DisplayName, Address: b.Address, Port: b.Port,
		Username: b.Username, HasPassword: len(b.PasswordSealed) > 0, VerifyCertificate: b.VerifyCertificate,
		TrustedChainPEM: b.TrustedChainPem, CheckCRL: b.CheckCrl, BridgeName: b.BridgeName, SoftwareVersion: b.SoftwareVersion,
		State: b.ConnectionState, StateMessage: b.ConnectionMessage, CreateTime: b.CreateTime.UTC(), UpdateTime: b.UpdateTime.UTC()}
	if b.LastContactTime != nil {
		t := b.LastContactTime.UTC()
		out.LastContact = &t
	}
	return out
}

func toCluster(r *ent.Cluster) Cluster {
	c := Cluster{ID: r.ID, DisplayName: r.DisplayName, CMSClusterID: r.CmsClusterID, MeetingManagement: r.MeetingManagement,
		CreateTime: r.CreateTime.UTC()}
	added := map[string]bool{}
	for _, b := range r.Edges.CallBridges {
		c.Bridges = append(c.Bridges, toBridge(b))
		added[b.BridgeName] = true
		added[hostPort(b.Address, b.Port)] = true
	}
	var peers []Peer
	if r.Peers != "" {
		_ = json.Unmarshal([]byte(r.Peers), &peers)
	}
	for _, p := range peers {
		p.Address, p.Port = splitPeerURL(p.URL)
		if added[p.Name] || (p.Address != "" && added[hostPort(p.Address, p.Port)]) {
			continue
		}
		c.Discovered = append(c.Discovered, p)
	}
	return c
}

var _ = fmt.Sprintf
