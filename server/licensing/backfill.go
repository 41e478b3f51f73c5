package licensing

import (
	"context"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database"
)

// staleAfter is how far behind a bridge's history may be and still count
// as caught up: a regular run reads from the last stored entry, which is
// at most one interval old plus the bridge's snapshot phase; anything
// older is a first backfill or a catch-up after an outage.
const staleAfter = 2 * compliance.Interval

// backfill records whose usage history is still being fetched, so that
// the Licenses view can say its peaks may still rise (LI-58). A bridge is
// pending from the moment its job is registered with no recent sample
// stored until one of its runs succeeds; a run that starts further back
// than staleAfter counts while it lasts (a catch-up after an outage). A
// bridge that stays unreachable stays pending: its history is missing.
type backfill struct {
	pending map[int]bool
	running map[int]int // catch-up runs in progress per bridge
}

func newBackfill() backfill { return backfill{pending: map[int]bool{}, running: map[int]int{}} }

func (b *backfill) forget(id int) {
	delete(b.pending, id)
	delete(b.running, id)
}

// BackfillInProgress reports whether the usage history of a bridge is
// still being fetched (GetLicenseDetails.usage_backfill_in_progress).
func (c *Collector) BackfillInProgress() bool {
	return len(c.Backfilling()) > 0
}

// Backfilling returns the bridges whose usage history is still being
// fetched, in id order.
func (c *Collector) Backfilling() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []int
	for id := range c.bf.pending {
		ids = append(ids, id)
	}
	for id, n := range c.bf.running {
		if n > 0 && !c.bf.pending[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// markPendingLocked marks a newly registered bridge pending unless its
// newest stored sample is recent (a restart, not a new bridge).
func (c *Collector) markPendingLocked(ctx context.Context, id int) error {
	last, err := c.db.LicenseSample.Query().
		Where(licensesample.BridgeID(id)).
		Order(ent.Desc(licensesample.FieldTime)).
		First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return database.Translate(err)
	case c.opts.Now().Sub(last.Time) <= staleAfter:
		return nil
	}
	c.bf.pending[id] = true
	return nil
}

// run is one Collect of one bridge, for the backfill record.
type run struct {
	c        *Collector
	id       int
	catching bool
}

func (c *Collector) startRun(id int) *run { return &run{c: c, id: id} }

// reading notes that the run reads a host's history from from onwards.
func (r *run) reading(from, now time.Time) {
	if r.catching || now.Sub(from) <= staleAfter {
		return
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.catching = true
	r.c.bf.running[r.id]++
}

// succeeded notes that the bridge's history is complete up to now.
func (r *run) succeeded() {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	delete(r.c.bf.pending, r.id)
}

func (r *run) done() {
	if !r.catching {
		return
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.c.bf.running[r.id]--; r.c.bf.running[r.id] <= 0 {
		delete(r.c.bf.running, r.id)
	}
}
