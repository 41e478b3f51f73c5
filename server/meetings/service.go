// Package meetings is the meetings domain: the live model of the meetings
// on the managed Call Bridges, their 7-day history and event logs, and the
// operator actions.
//
// The model is built from three sources, each covering the others' gaps:
// the CDRs the bridges post (stored by package cdrs before they are
// acknowledged, applied here from the store), the Events API (mute flags,
// importance, layouts and lock state, which CDRs do not carry), and the
// bridges' REST API, which the model is reconciled against on connect,
// reconnect, restart and after a CDR gap. Active meetings are held in
// memory, so that lists and watches never wait for the database; every
// change is written to the database before watchers are told of it, so a
// restart restores the model and the history.
package meetings

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// Options are what deployments and tests may change; zero values are the
// defaults.
type Options struct {
	// Now is the clock.
	Now func() time.Time
	// Retention is how long ended meetings and their event logs are kept
	// (default 7 days).
	Retention time.Duration
	// PurgeSchedule is the schedule of the purge job (default hourly);
	// NoSchedule registers it without one (tests run it themselves).
	PurgeSchedule string
	NoSchedule    bool
	// FollowInterval is how often the set of followed bridges is checked
	// against the servers' configuration (default 2 s).
	FollowInterval time.Duration
	// MaxBacklog is how many stored CDRs may wait to be applied before the
	// receiver defers new batches (default 100,000).
	MaxBacklog int
	// Metrics registers the service's metrics; nil registers none.
	Metrics prometheus.Registerer
	// Capacity is the published capacity the capacity job compares the
	// load with (default CapacitySQLite).
	Capacity Capacity
}

// applyBatch bounds the CDRs applied in one step.
const applyBatch = 500

// Service is the meetings domain: the live model, its history, and the
// operator actions.
type Service struct {
	db    *ent.Client
	srv   *servers.Service
	notes *notifications.Service
	jobs  *jobs.Registry
	log   *slog.Logger
	now   func() time.Time
	opts  Options

	// writes queues the model's changes for the writer, in order.
	writes      chan *pendingWrite
	writerDone  chan struct{}
	stopWriting context.CancelFunc
	closed      bool // guarded by mu
	// mu guards md and bridges; reads take it shared.
	mu          sync.RWMutex
	md          *model
	bridges     map[int]bridgeInfo
	unmonitored []ClusterRef // clusters with meeting management off
	hub         hub

	wake      chan struct{} // CDRs were stored
	followNow chan struct{} // bridges or clusters changed
	reconcile chan int      // a bridge to reconcile
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	// followers is written only by followLoop, under followersMu.
	followersMu sync.RWMutex
	followers   map[int]*follower

	backlog  atomic.Int64 // stored CDRs not yet applied
	metrics  *metrics
	capacity capacityCheck
}

// New returns the service. Call Start to restore the model and begin
// following the bridges.
func New(db *ent.Client, srv *servers.Service, notes *notifications.Service, reg *jobs.Registry, log *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.PurgeSchedule == "" {
		opts.PurgeSchedule = "@every 1h"
	}
	if opts.FollowInterval <= 0 {
		opts.FollowInterval = 2 * time.Second
	}
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = defaultMaxBacklog
	}
	if opts.Capacity == (Capacity{}) {
		opts.Capacity = CapacitySQLite
	}
	s := &Service{db: db, srv: srv, notes: notes, jobs: reg, log: log, now: opts.Now, opts: opts,
		md: newModel(), bridges: map[int]bridgeInfo{}, hub: newHub(),
		wake: make(chan struct{}, 1), followNow: make(chan struct{}, 1), reconcile: make(chan int, 64), followers: map[int]*follower{}}
	s.registerMetrics(opts.Metrics)
	if srv != nil {
		// Bridges and clusters changed here: the list's unmonitored
		// clusters at once, the followers at the follow loop's next turn.
		srv.OnChange(func() {
			if err := s.refreshBridges(context.Background()); err != nil {
				log.Warn("reading the bridges after a change", slog.Any("error", err))
			}
			signal(s.followNow)
		})
	}
	s.writes, s.writerDone = make(chan *pendingWrite, 1024), make(chan struct{})
	wctx, stop := context.WithCancel(context.Background())
	s.stopWriting = stop
	go func() { defer close(s.writerDone); s.writer(wctx) }()
	schedule := opts.PurgeSchedule
	if opts.NoSchedule {
		schedule = ""
	}
	if reg != nil {
		if err := reg.Register(jobs.Job{Name: "meetings-retention", Schedule: schedule,
			Description: "Deletes meetings that ended more than 7 days ago, with their event logs, and the CDRs applied before then",
			Run: func(ctx context.Context) (string, error) {
				return purge(ctx, s.db, s.now().Add(-s.opts.Retention), s.log)
			}}); err != nil {
			log.Error("register meetings-retention job", slog.Any("error", err))
		}
		capacitySchedule := "@every 1m"
		if opts.NoSchedule {
			capacitySchedule = ""
		}
		if err := reg.Register(jobs.Job{Name: "meetings-capacity", Schedule: capacitySchedule,
			Description: "Compares the load with the published, tested capacity and warns when it is exceeded (MT-22)",
			Run:         s.checkCapacity}); err != nil {
			log.Error("register meetings-capacity job", slog.Any("error", err))
		}
	}
	return s
}

// Start restores the active meetings from the database and begins
// following the bridges: applying stored CDRs, listening to events and
// reconciling with the bridges' API. It returns once the model is restored.
func (s *Service) Start(ctx context.Context) error {
	ms, parts, err := load(ctx, s.db)
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, m := range ms {
		s.md.restore(m, parts[m.ID])
	}
	s.mu.Unlock()
	if err := s.countBacklog(ctx); err != nil {
		return err
	}
	if err := s.refreshBridges(ctx); err != nil {
		return err
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.applyLoop(ctx) }()
	go func() { defer s.wg.Done(); s.followLoop(ctx) }()
	return nil
}

// Close stops the background work; it returns when it has stopped and
// every change made is written.
func (s *Service) Close() {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	s.mu.Lock()
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	select {
	case <-s.writerDone:
	case <-time.After(10 * time.Second):
		s.stopWriting() // the database is down: give up retrying
		<-s.writerDone
	}
	s.stopWriting()
	s.hub.closeAll()
}

// CDRsStored tells the service that the receiver stored n new records of a
// bridge; gap says the batch showed missing records or a new session, so
// the bridge's meetings are reconciled from its API once the batch is
// applied.
func (s *Service) CDRsStored(bridgeID, n int, gap bool) {
	s.backlog.Add(int64(n))
	s.capacity.stored.Add(int64(n))
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if gap {
		s.gap(bridgeID)
	}
}

func (s *Service) requestReconcile(bridgeID int) {
	select {
	case s.reconcile <- bridgeID:
	default: // a full queue reconciles soon anyway
	}
}

// change runs fn on the model and waits until what it changed (with
// extra, in the same transaction) is written and the watchers are told.
// The writer commits many changes in one transaction (group commit), in
// the order they were made: the model's lock is held until the change is
// queued, so a later snapshot of a meeting is never overwritten by an
// earlier one.
func (s *Service) change(ctx context.Context, fn func(md *model), extra func(ctx context.Context, tx *ent.Tx) error) error {
	w, err := s.queue(fn, extra)
	if w == nil || err != nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // it is written all the same
	}
}

// update is change without waiting for the write: for what the events
// connection tells, whose reader must go on reading (a stalled reader
// misses its pings and loses the connection). Watchers still hear of the
// change only once it is written.
func (s *Service) update(fn func(md *model)) {
	if _, err := s.queue(fn, nil); err != nil {
		s.log.Debug("meetings update dropped", slog.Any("error", err))
	}
}

// queue applies fn and queues its changes for the writer; nil when fn
// changed nothing.
func (s *Service) queue(fn func(md *model), extra func(ctx context.Context, tx *ent.Tx) error) (*pendingWrite, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errs.New(errs.Unavailable, errs.ReasonUnavailable, "the meetings service is stopping")
	}
	fn(s.md)
	r := snapshot(s.md.take())
	if len(r.meetings)+len(r.parts)+len(r.events) == 0 && extra == nil {
		return nil, nil
	}
	w := &pendingWrite{r: r, extra: extra, done: make(chan error, 1)}
	s.writes <- w
	return w, nil
}

// applyLoop applies stored CDRs in the order they were stored. Batches
// are pipelined: the next is read and applied while the writer commits
// the one before (at most applyDepth wait to be written). The cursor only
// saves reading the queued records again; a restart starts from the
// records not marked applied, which are exactly those not written.
func (s *Service) applyLoop(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	a := &applier{}
	for {
		for {
			n, err := s.applyStored(ctx, a)
			if err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "applying stored CDRs", slog.Any("error", err))
				}
				a.cursor = 0 // read again whatever is not applied
				break
			}
			if n < applyBatch {
				break
			}
		}
		// Caught up: once everything queued is written, read from the
		// start of what is not applied again. On PostgreSQL a record can
		// commit after one with a higher id; the cursor would skip it.
		_ = s.settle(ctx, a, 0)
		a.cursor = 0
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			// Let a few more posts land: one transaction for many
			// records costs the writer, and the posts waiting for
			// SQLite's write lock, much less than one each.
			time.Sleep(applyGather)
		case <-tick.C:
		}
	}
}

// applyGather is how long the apply loop waits, once woken, for more
// records to apply together.
const applyGather = 50 * time.Millisecond

// applyDepth is how many applied batches may wait to be written. More
// than one made the writer's transactions longer on SQLite, and the
// receiver's posts waited for the write lock behind them.
const applyDepth = 1

// applier is the apply loop's state.
type applier struct {
	cursor   int // the last record queued for writing
	inflight []appliedBatch
}

type appliedBatch struct {
	w        *pendingWrite
	received []time.Time
}

// settle waits until at most keep batches wait to be written.
func (s *Service) settle(ctx context.Context, a *applier, keep int) error {
	for len(a.inflight) > keep {
		b := a.inflight[0]
		a.inflight = a.inflight[1:]
		select {
		case err := <-b.w.done:
			if err != nil {
				return err
			}
			s.observeApplied(b.received)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// applyStored applies one batch of stored CDRs not yet applied and queues
// its effect on the model for writing, with the records marked applied in
// the same transaction.
func (s *Service) applyStored(ctx context.Context, a *applier) (int, error) {
	if err := s.settle(ctx, a, applyDepth-1); err != nil {
		return 0, err
	}
	recs, err := s.db.CdrRecord.Query().Where(notApplied(), cdrrecord.IDGT(a.cursor)).
		Order(ent.Asc(cdrrecord.FieldID)).Limit(applyBatch).All(ctx)
	if err != nil || len(recs) == 0 {
		return 0, database.Translate(err)
	}
	for _, r := range recs {
		if _, ok := s.bridge(r.BridgeID); !ok {
			if err := s.refreshBridges(ctx); err != nil {
				return 0, err
			}
			break
		}
	}
	ids := make([]int, 0, len(recs))
	received := make([]time.Time, 0, len(recs))
	decoded := make([]*cdr.Record, len(recs))
	for i, r := range recs {
		ids = append(ids, r.ID)
		received = append(received, r.ReceiveTime)
		var rec cdr.Record
		if err := json.Unmarshal([]byte(r.Body), &rec); err != nil {
			s.log.WarnContext(ctx, "stored CDR cannot be decoded; skipped", slog.Int("id", r.ID), slog.Any("error", err))
			continue
		}
		decoded[i] = &rec
	}
	w, err := s.queue(func(md *model) {
		for i, r := range recs {
			if decoded[i] == nil {
				continue
			}
			b, ok := s.bridges[r.BridgeID]
			if !ok {
				continue // a removed bridge: its records no longer count
			}
			md.apply(b, decoded[i])
		}
	}, func(ctx context.Context, tx *ent.Tx) error {
		return tx.CdrRecord.Update().Where(cdrrecord.IDIn(ids...)).SetApplied(true).Exec(ctx)
	})
	if err != nil {
		return 0, err
	}
	a.cursor = recs[len(recs)-1].ID
	a.inflight = append(a.inflight, appliedBatch{w: w, received: received})
	return len(recs), nil
}

// notApplied selects the records not yet applied as "applied = false",
// which both databases answer from the (applied, id) index; ent writes
// cdrrecord.Applied(false) as "NOT applied", which SQLite answers by
// reading every record.
func notApplied() predicate.CdrRecord {
	return func(s *entsql.Selector) { s.Where(entsql.ExprP(s.C(cdrrecord.FieldApplied) + " = false")) }
}

// bridge returns what the model knows of a bridge.
func (s *Service) bridge(id int) (bridgeInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.bridges[id]
	return b, ok
}

// refreshBridges reads the bridges and clusters from the servers domain.
func (s *Service) refreshBridges(ctx context.Context) error {
	clusters, err := s.srv.ListClusters(ctx)
	if err != nil {
		return err
	}
	next := map[int]bridgeInfo{}
	var unmonitored []ClusterRef
	for _, c := range clusters {
		if !c.MeetingManagement {
			unmonitored = append(unmonitored, ClusterRef{ID: c.ID, Name: c.DisplayName})
		}
		for _, b := range c.Bridges {
			next[b.ID] = bridgeInfo{ID: b.ID, Name: b.DisplayName, ClusterID: c.ID, ClusterName: c.DisplayName,
				Managed: c.MeetingManagement}
		}
	}
	s.mu.Lock()
	s.bridges, s.unmonitored = next, unmonitored
	s.mu.Unlock()
	return nil
}

// clientOf returns the wire client of a bridge.
func (s *Service) clientOf(ctx context.Context, id int) (*cms.Client, error) {
	return s.srv.Client(ctx, id)
}

// errIsGone reports whether err says the bridge no longer exists.
func errIsGone(err error) bool {
	var ae *cms.APIError
	return errors.As(err, &ae) && ae.Status == 404
}
