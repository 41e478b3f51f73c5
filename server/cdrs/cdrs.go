// Package cdrs is Switchboard's CDR receiver: it takes the batches of Call
// Detail Records that Call Bridges post, and stores every record durably
// before the post is acknowledged, so that a record a bridge saw
// acknowledged is never lost, even if the process is killed right after.
// Re-sent records (a bridge re-sends a batch it got no 200 for) are
// recognised by bridge, session and correlator index and stored once.
// Applying records to the live meeting model happens later, from the store.
package cdrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/callbridge"
	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Receiver stores posted CDR batches.
type Receiver struct {
	db      *ent.Client
	log     *slog.Logger
	metrics *metrics
}

// New returns a Receiver; reg may be nil.
func New(db *ent.Client, log *slog.Logger, reg prometheus.Registerer) *Receiver {
	return &Receiver{db: db, log: log, metrics: newMetrics(reg)}
}

// Result says what became of one batch.
type Result struct {
	Records    int // records in the batch
	Stored     int // new records stored
	Duplicates int // records already stored (a re-sent batch)
	// Gap is true when the bridge reported records missing before this
	// batch, or started a new session (it restarted): the live model must
	// be reconciled from the bridge's API.
	Gap bool
}

// Accept decodes one posted batch for the bridge with the given id and
// stores its records in one transaction. It fails with NotFound for an
// unknown bridge and InvalidArgument for a batch that is not a CDR batch;
// nothing of a failed batch is stored, so the bridge's re-send is complete.
func (r *Receiver) Accept(ctx context.Context, bridgeID int, body io.Reader) (Result, error) {
	exists, err := r.db.CallBridge.Query().Where(callbridge.ID(bridgeID)).Exist(ctx)
	if err != nil {
		r.metrics.batch("error")
		return Result{}, database.Translate(err)
	}
	if !exists {
		r.metrics.batch("unknown_bridge")
		return Result{}, errs.New(errs.NotFound, errs.ReasonNotFound, "no Call Bridge posts CDRs to this address")
	}
	records, err := decode(body)
	if err != nil {
		r.metrics.batch("malformed")
		return Result{}, err
	}
	res := Result{Records: len(records)}
	err = database.WithTx(ctx, r.db, func(tx *ent.Tx) error {
		var ierr error
		res, ierr = r.store(ctx, tx, bridgeID, records)
		return ierr
	})
	if err != nil {
		r.metrics.batch("error")
		return Result{}, database.Translate(err)
	}
	r.metrics.batch("ok")
	r.metrics.records.WithLabelValues("stored").Add(float64(res.Stored))
	r.metrics.records.WithLabelValues("duplicate").Add(float64(res.Duplicates))
	if res.Gap {
		r.metrics.gaps.Inc()
		r.log.InfoContext(ctx, "CDR gap: records missing or new bridge session", slog.Int("bridge_id", bridgeID))
	}
	return res, nil
}

// MaxBatchRecords is the most records one post may hold. Bridges send a
// few hundred at a time; the cap bounds what one post can make the
// receiver hold in memory (some 2 KiB a record while it is stored).
const MaxBatchRecords = 10_000

// decode reads the whole batch. A record whose body holds a bad value is
// kept (its envelope still identifies it); a broken batch is refused.
func decode(body io.Reader) ([]*cdr.Record, error) {
	dec := cdr.NewDecoder(body)
	var out []*cdr.Record
	for {
		if len(out) > MaxBatchRecords {
			return nil, errs.New(errs.InvalidArgument, errs.ReasonInvalidArgument,
				"the body is not a valid CDR batch: more than %d records in one post", MaxBatchRecords)
		}
		rec, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var recErr *cdr.RecordError
		switch {
		case err == nil:
		case errors.As(err, &recErr) && rec != nil:
		default:
			return nil, errs.Wrap(err, errs.InvalidArgument, errs.ReasonInvalidArgument,
				"the body is not a valid CDR batch: %v", err)
		}
		out = append(out, rec)
	}
}

func (r *Receiver) store(ctx context.Context, tx *ent.Tx, bridgeID int, records []*cdr.Record) (Result, error) {
	res := Result{Records: len(records)}
	if len(records) == 0 {
		return res, nil
	}
	last, err := tx.CdrRecord.Query().Where(cdrrecord.BridgeID(bridgeID)).
		Order(ent.Desc(cdrrecord.FieldID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return res, err
	}
	if last != nil && last.Session != records[0].Session {
		res.Gap = true
	}
	seen := map[string]map[int64]bool{}
	for _, rec := range records {
		if rec.NumPrecedingRecordsMissing > 0 {
			res.Gap = true
		}
		if seen[rec.Session] == nil {
			seen[rec.Session] = map[int64]bool{}
		}
	}
	for session := range seen {
		var indexes []int64
		for _, rec := range records {
			if rec.Session == session {
				indexes = append(indexes, int64(rec.CorrelatorIndex))
			}
		}
		// Like the inserts below, lookups are bounded by the drivers'
		// parameter limits (SQLite refuses more than 32,766).
		for start := 0; start < len(indexes); start += 500 {
			have, err := tx.CdrRecord.Query().
				Where(cdrrecord.BridgeID(bridgeID), cdrrecord.Session(session),
					cdrrecord.CorrelatorIndexIn(indexes[start:min(start+500, len(indexes))]...)).
				All(ctx)
			if err != nil {
				return res, err
			}
			for _, h := range have {
				seen[session][h.CorrelatorIndex] = true
			}
		}
	}
	creates := make([]*ent.CdrRecordCreate, 0, len(records))
	for _, rec := range records {
		idx := int64(rec.CorrelatorIndex)
		if seen[rec.Session][idx] {
			res.Duplicates++
			continue
		}
		seen[rec.Session][idx] = true // a batch repeating a record stores it once
		body, err := json.Marshal(rec)
		if err != nil {
			return res, fmt.Errorf("encode record: %w", err)
		}
		creates = append(creates, tx.CdrRecord.Create().
			SetBridgeID(bridgeID).SetSession(rec.Session).
			SetCorrelatorIndex(idx).SetRecordIndex(int64(rec.RecordIndex)).
			SetType(string(rec.Type)).SetTime(rec.Time.UTC()).
			SetCallID(truncate(rec.CallID(), 64)).SetCallLegID(truncate(rec.CallLegID(), 64)).
			SetBody(string(body)))
	}
	// Bulk inserts are bounded by the drivers' parameter limits.
	for start := 0; start < len(creates); start += 200 {
		end := min(start+200, len(creates))
		if err := tx.CdrRecord.CreateBulk(creates[start:end]...).Exec(ctx); err != nil {
			return res, err
		}
	}
	res.Stored = len(creates)
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type metrics struct {
	batches *prometheus.CounterVec
	records *prometheus.CounterVec
	gaps    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_cdr_batches_total", Help: "CDR batches posted by Call Bridges, by result.",
		}, []string{"result"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_cdr_records_total", Help: "CDR records received, stored or recognised as re-sent duplicates.",
		}, []string{"result"}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_cdr_gaps_total", Help: "Batches that reported missing records or a new bridge session.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.batches, m.records, m.gaps)
	}
	return m
}

func (m *metrics) batch(result string) { m.batches.WithLabelValues(result).Inc() }
