// Package licensing is the licensing domain (SPEC §7). This file is the
// usage collection of LI-56 … LI-58: a job per Call Bridge, every 5
// minutes and whatever the cluster's meeting-management flag, reads the
// bridge's MPLicenseUsage history from the last stored entry onwards and
// stores every entry once, so that after an outage the next run backfills
// the gap and no interval is lost. The arithmetic (bins, smoothing, daily
// peaks, statuses) is the pure package compliance.
package licensing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// Bridges is what the collector needs of the servers domain; the
// *servers.Service satisfies it.
type Bridges interface {
	ListClusters(ctx context.Context) ([]servers.Cluster, error)
	Client(ctx context.Context, id int) (*cms.Client, error)
}

// Options are what deployments and tests may change; zero values are the
// defaults.
type Options struct {
	// Now is the clock.
	Now func() time.Time
	// Schedule is the collection jobs' cron spec (default every 5
	// minutes, on the clock: "*/5 * * * *").
	Schedule string
	// NoSchedule registers the jobs without a schedule, so that only
	// RunNow or Collect runs them (tests drive the clock themselves).
	NoSchedule bool
	// Retention is how long samples are kept (default 92 days: the 90
	// UTC days of the window, today included, plus a margin).
	Retention time.Duration
	// PageSize is the MPLicenseUsage page size asked for (0: the
	// bridge's default).
	PageSize int
}

// DefaultRetention keeps the 90-day window (LI-56) with two days' margin.
const DefaultRetention = (compliance.Window + 2) * 24 * time.Hour

// RetentionJob is the name of the job purging samples of every bridge,
// removed ones included.
const RetentionJob = "license-usage-retention"

// JobName is the collection job of a bridge in the job registry.
func JobName(bridgeID int) string { return "license-usage/" + strconv.Itoa(bridgeID) }

// Collector stores the bridges' licence usage.
type Collector struct {
	db      *ent.Client
	sql     *sql.DB // streaming reads of the usage (Usage, WriteReport)
	dialect string
	bridges Bridges
	jobs    *jobs.Registry
	log     *slog.Logger
	opts    Options

	mu  sync.Mutex
	reg map[int]bool // bridges with a registered job
	bf  backfill     // guarded by mu

	peaksMu sync.Mutex
	peaks   map[int]*peaksEntry // WindowPeaks' older days, by cluster (0: the deployment)
}

// New returns the collector. Call Sync to register the jobs, and again
// whenever bridges are added or removed (servers.Service.OnChange).
func New(db *database.DB, b Bridges, reg *jobs.Registry, log *slog.Logger, opts Options) *Collector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Schedule == "" {
		opts.Schedule = "*/5 * * * *"
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	return &Collector{db: db.Ent, sql: db.SQL, dialect: db.Dialect, bridges: b, jobs: reg, log: log, opts: opts,
		reg: map[int]bool{}, bf: newBackfill(), peaks: map[int]*peaksEntry{}}
}

// Sync registers a collection job for every bridge of every cluster and
// removes the jobs of bridges that are gone, and registers the daily
// retention job. It is idempotent: the app calls it at start and from
// servers.Service.OnChange (bridges come and go only through that
// service), which keeps the jobs in step without a timer.
func (c *Collector) Sync(ctx context.Context) error {
	clusters, err := c.bridges.ListClusters(ctx)
	if err != nil {
		return err
	}
	want := map[int]bool{}
	for _, cl := range clusters {
		for _, b := range cl.Bridges {
			want[b.ID] = true
		}
	}
	sched, daily := c.opts.Schedule, "@daily"
	if c.opts.NoSchedule {
		sched, daily = "", ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.register(jobs.Job{
		Name:        RetentionJob,
		Description: "Deletes licence usage samples older than the retention window",
		Schedule:    daily,
		Run:         c.Purge,
	}); err != nil {
		return err
	}
	for id := range want {
		if c.reg[id] {
			continue
		}
		if err := c.markPendingLocked(ctx, id); err != nil {
			return err
		}
		if err := c.register(jobs.Job{
			Name:        JobName(id),
			Description: "Reads the Call Bridge's licence usage (MPLicenseUsage) since the last stored entry and stores it",
			Schedule:    sched,
			Timeout:     15 * time.Minute, // a first 90-day backfill over a slow link
			Run:         func(ctx context.Context) (string, error) { return c.Collect(ctx, id) },
		}); err != nil {
			return err
		}
		c.reg[id] = true
		// A bridge just added starts its backfill now rather than at the
		// next 5-minute tick (LI-58); scheduled runs follow as usual.
		if !c.opts.NoSchedule && c.bf.pending[id] {
			if err := c.jobs.RunNow(JobName(id)); err != nil {
				c.log.DebugContext(ctx, "licence usage first run", "bridge", id, "error", err)
			}
		}
	}
	for id := range c.reg {
		if !want[id] {
			c.jobs.Unregister(JobName(id))
			delete(c.reg, id)
			c.bf.forget(id)
		}
	}
	return nil
}

func (c *Collector) register(j jobs.Job) error {
	if err := c.jobs.Register(j); err != nil && !errors.Is(err, jobs.ErrDuplicate) {
		return err
	}
	return nil
}

// batch is the number of entries stored per statement (13 columns: far
// below SQLite's and PostgreSQL's parameter limits).
const batch = 500

// Collect reads, for every host bridge id knows (its own host first, then
// those of /system/MPLicenseUsage/knownHosts, such as a node it replaced),
// the MPLicenseUsage history from the host's last stored entry (or the
// retention window's start at first) up to now, and stores the entries
// not stored yet with the bridge's current cluster; re-reading an
// interval stores nothing twice. It then deletes those hosts' samples
// older than the retention window.
func (c *Collector) Collect(ctx context.Context, id int) (string, error) {
	cl, err := c.bridges.Client(ctx, id)
	if err != nil {
		return "", err
	}
	clusterID, err := c.clusterOf(ctx, id)
	if err != nil {
		return "", err
	}
	st, err := cl.SystemStatus(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the host id: %w", err)
	}
	if st.HostID == "" {
		return "", errors.New("the bridge reports no host id")
	}
	now := c.opts.Now().UTC()
	run := c.startRun(id)
	defer run.done()
	own, err := c.collectHost(ctx, cl, run, id, clusterID, st.HostID, now)
	if err != nil {
		return "", err
	}
	summary := own
	// Other hosts after the bridge's own, so that a bridge answering
	// MPLicenseUsage but failing knownHosts still has its own history.
	others := 0
	for h, err := range cl.LicenseKnownHosts(ctx, cms.ListOptions{}) {
		if err != nil {
			return "", fmt.Errorf("%s; reading knownHosts: %w", summary, err)
		}
		if h.ID == "" || h.ID == st.HostID {
			continue
		}
		sum, err := c.collectHost(ctx, cl, run, id, clusterID, h.ID, now)
		if err != nil {
			return "", fmt.Errorf("%s; %w", summary, err)
		}
		others++
		summary += "; host " + h.ID + ": " + sum
	}
	run.succeeded()
	if others > 0 {
		summary = fmt.Sprintf("%d hosts; own host: %s", others+1, summary)
	}
	return summary, nil
}

// clusterOf returns the cluster bridge id is in now.
func (c *Collector) clusterOf(ctx context.Context, id int) (int, error) {
	clusters, err := c.bridges.ListClusters(ctx)
	if err != nil {
		return 0, err
	}
	for _, cl := range clusters {
		for _, b := range cl.Bridges {
			if b.ID == id {
				return cl.ID, nil
			}
		}
	}
	return 0, fmt.Errorf("bridge %d is in no cluster", id)
}

// collectHost reads and stores one host's history through bridge id.
func (c *Collector) collectHost(ctx context.Context, cl *cms.Client, run *run, id, clusterID int, host string, now time.Time) (string, error) {
	from := now.Add(-c.opts.Retention)
	last, err := c.db.LicenseSample.Query().
		Where(licensesample.HostID(host)).
		Order(ent.Desc(licensesample.FieldTime)).
		First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return "", database.Translate(err)
	case last.Time.After(from):
		// From the last entry itself (startTime is inclusive): the
		// re-read entry is a no-op and no boundary is ever skipped.
		from = last.Time
	}
	run.reading(from, now)
	q := cms.LicenseUsageQuery{Start: from, End: now.Add(time.Second), HostID: host, PageSize: c.opts.PageSize}
	var pending []cms.LicenseUsage
	read, added := 0, 0
	flush := func() error {
		n, err := c.store(ctx, id, clusterID, host, pending)
		added += n
		pending = pending[:0]
		return err
	}
	for u, err := range cl.LicenseUsage(ctx, q) {
		if err != nil {
			if ferr := flush(); ferr != nil {
				return "", ferr
			}
			return "", fmt.Errorf("reading MPLicenseUsage of host %s after %d entries (%d stored; the next run resumes): %w", host, read, added, err)
		}
		read++
		pending = append(pending, u)
		if len(pending) == batch {
			if err := flush(); err != nil {
				return "", err
			}
		}
	}
	if err := flush(); err != nil {
		return "", err
	}
	purged, err := c.db.LicenseSample.Delete().
		Where(licensesample.HostID(host), licensesample.TimeLT(now.Add(-c.opts.Retention))).
		Exec(ctx)
	if err != nil {
		return "", database.Translate(err)
	}
	return fmt.Sprintf("%d entries read since %s, %d new, %d purged", read, from.Format(time.RFC3339), added, purged), nil
}

// store inserts the entries not stored yet and returns how many were new.
func (c *Collector) store(ctx context.Context, bridgeID, clusterID int, host string, us []cms.LicenseUsage) (int, error) {
	if len(us) == 0 {
		return 0, nil
	}
	// One row per time: a statement may not upsert the same key twice.
	seen := make(map[time.Time]bool, len(us))
	uniq := us[:0:0]
	var times []time.Time
	for _, u := range us {
		t := u.Time.UTC()
		if !seen[t] {
			seen[t] = true
			uniq = append(uniq, u)
			times = append(times, t)
		}
	}
	us = uniq
	// Count what is already there rather than relying on the driver's
	// affected-rows of an upsert, which the dialects report differently.
	before, err := c.db.LicenseSample.Query().
		Where(licensesample.HostID(host), licensesample.TimeIn(times...)).
		Count(ctx)
	if err != nil {
		return 0, database.Translate(err)
	}
	creates := make([]*ent.LicenseSampleCreate, len(us))
	for i, u := range us {
		creates[i] = c.db.LicenseSample.Create().
			SetBridgeID(bridgeID).SetClusterID(clusterID).SetHostID(host).SetTime(times[i]).
			SetPmp(float64(u.PMP)).SetPmpAssigned(float64(u.PMPAssigned)).
			SetSmpAud(float64(u.SMPAudio)).SetSmpPtp(float64(u.SMPPointToPoint)).SetSmpFull(float64(u.SMPFull)).
			SetRec(float64(u.Recording)).SetStr(float64(u.Streaming))
		if x := u.OtherTypes(); len(x) > 0 {
			creates[i].SetExtra(x)
		}
	}
	// A re-sent entry takes the bridge's values again (idempotent); the
	// immutable bridge and cluster stay those of the first read.
	err = c.db.LicenseSample.CreateBulk(creates...).
		OnConflictColumns(licensesample.FieldHostID, licensesample.FieldTime).
		UpdateNewValues().
		Exec(ctx)
	if err != nil {
		return 0, database.Translate(err)
	}
	return len(us) - before, nil
}

// Purge deletes the samples of every host, removed bridges included, that
// are older than the retention window.
func (c *Collector) Purge(ctx context.Context) (string, error) {
	n, err := c.db.LicenseSample.Delete().
		Where(licensesample.TimeLT(c.opts.Now().UTC().Add(-c.opts.Retention))).
		Exec(ctx)
	if err != nil {
		return "", database.Translate(err)
	}
	return fmt.Sprintf("%d samples purged", n), nil
}
