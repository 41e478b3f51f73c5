package licensing

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database"
)

// The status reads 90 days of smoothed daily peaks every 5 minutes, and
// reading 90 days of samples costs a second or more on SQLite with 24
// bridges. Only the last two days change between evaluations (new
// samples, and today's end replicated by the smoothing), so WindowPeaks
// keeps the peaks of the older days and reads them again only when the
// samples they were computed from changed: a backfill, another instance's
// collection, a purge. The fingerprint of those samples is their count and
// largest id, one indexed query.

// peaksEntry is the cached part of one scope's window.
type peaksEntry struct {
	start, split time.Time // [start, split): the days held in peaks
	count, maxID int
	peaks        map[string][]compliance.DayPeak
}

// WindowPeaks returns the smoothed daily peaks (scaled by Scale) of the 90
// UTC days ending at now, today included, of cluster clusterID (0: the
// deployment): the same values as Usage(clusterID, window start, now), at
// a fraction of the cost once cached.
func (c *Collector) WindowPeaks(ctx context.Context, clusterID int, now time.Time) (map[string][]compliance.DayPeak, error) {
	start := compliance.WindowStart(now)
	// The days before yesterday are final once the first bin of yesterday
	// is in: the smoothing of a day's last bin needs the next one.
	split := compliance.Day(now).AddDate(0, 0, -1)
	if !split.After(start) {
		u, err := c.Usage(ctx, clusterID, start, now)
		if err != nil {
			return nil, err
		}
		return u.ScaledPeaks, nil
	}
	older, err := c.olderPeaks(ctx, clusterID, start, split)
	if err != nil {
		return nil, err
	}
	// The recent part starts one interval early, so that yesterday's first
	// bin is smoothed with its real neighbour, as in the whole window.
	recent, err := c.Usage(ctx, clusterID, split.Add(-compliance.Interval), now)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]compliance.DayPeak, len(recent.ScaledPeaks))
	for typ, rp := range recent.ScaledPeaks {
		ps := append([]compliance.DayPeak(nil), older[typ]...)
		if len(ps) == 0 {
			// A type first seen recently: zeros for the older days.
			for d := start; d.Before(split); d = d.AddDate(0, 0, 1) {
				ps = append(ps, compliance.DayPeak{Day: d})
			}
		}
		for _, p := range rp {
			if !p.Day.Before(split) {
				ps = append(ps, p)
			}
		}
		out[typ] = ps
	}
	return out, nil
}

// olderPeaks returns the peaks of the days [start, split), from the cache
// when the samples behind them are unchanged.
func (c *Collector) olderPeaks(ctx context.Context, clusterID int, start, split time.Time) (map[string][]compliance.DayPeak, error) {
	// The days' peaks depend on the samples up to split's first bin.
	end := split.Add(compliance.Interval)
	count, maxID, err := c.fingerprint(ctx, clusterID, start, end)
	if err != nil {
		return nil, err
	}
	c.peaksMu.Lock()
	e := c.peaks[clusterID]
	c.peaksMu.Unlock()
	if e != nil && e.start.Equal(start) && e.split.Equal(split) && e.count == count && e.maxID == maxID {
		return e.peaks, nil
	}
	u, err := c.Usage(ctx, clusterID, start, end)
	if err != nil {
		return nil, err
	}
	peaks := make(map[string][]compliance.DayPeak, len(u.ScaledPeaks))
	for typ, ps := range u.ScaledPeaks {
		var keep []compliance.DayPeak
		for _, p := range ps {
			if p.Day.Before(split) {
				keep = append(keep, p)
			}
		}
		peaks[typ] = keep
	}
	c.peaksMu.Lock()
	c.peaks[clusterID] = &peaksEntry{start: start, split: split, count: count, maxID: maxID, peaks: peaks}
	c.peaksMu.Unlock()
	return peaks, nil
}

// fingerprint is the count and largest id of the samples of a scope in
// [from, to).
func (c *Collector) fingerprint(ctx context.Context, clusterID int, from, to time.Time) (count, maxID int, err error) {
	where := []predicate.LicenseSample{licensesample.TimeGTE(from), licensesample.TimeLT(to)}
	if clusterID != 0 {
		where = append(where, licensesample.ClusterID(clusterID))
	}
	var v []struct {
		Count int  `json:"count"`
		Max   *int `json:"max"`
	}
	if err := c.db.LicenseSample.Query().Where(where...).Aggregate(ent.Count(), ent.Max(licensesample.FieldID)).Scan(ctx, &v); err != nil {
		return 0, 0, database.Translate(err)
	}
	if len(v) == 0 {
		return 0, 0, nil
	}
	if v[0].Max != nil {
		maxID = *v[0].Max
	}
	return v[0].Count, maxID, nil
}
