package licensing

import (
	"context"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/compliance"
)

// The licence types as the bridges name them in MPLicenseUsage (LI-13).
const (
	TypePMP         = "pmp"
	TypePMPAssigned = "pmpAssigned"
	TypeSMPAudio    = "smpAud"
	TypeSMPPtP      = "smpPtP"
	TypeSMPFull     = "smpFull"
	TypeRecording   = "rec"
	TypeStreaming   = "str"
)

// TypeSMPPlus is the SMP Plus usage, the use of the SMP Plus allocation:
// smpAud + smpPtP + smpFull of each sample, added before binning so that
// a host's largest sample in an interval is its largest sum (the PMP Plus
// usage is pmp itself).
const TypeSMPPlus = "smpPlus"

// Types lists every stored licence type, in the bridges' element order.
var Types = []string{TypePMP, TypePMPAssigned, TypeSMPAudio, TypeSMPPtP, TypeSMPFull, TypeRecording, TypeStreaming}

// Scale is the factor between a reported value and the integer counts
// given to the compliance package: the bridges report hundredths
// (weighted calls of a meeting spread over several bridges), and the
// arithmetic of compliance (per-bridge max, sum, median, max) commutes
// with the scaling, so nothing is rounded away. A status is computed
// with compliance.Evaluate(Usage.ScaledPeaks[typ], allocation*Scale, ...).
const Scale = 100

// Bin is the cluster-wide usage of one 5-minute interval.
type Bin struct {
	Start  time.Time          // UTC, aligned to :00, :05, ...
	Counts map[string]float64 // licence type → sum over the bridges of each one's largest sample
}

// DayPeak is one UTC day's peak of one licence type after 3-point median
// smoothing over the continuous series.
type DayPeak struct {
	Day  time.Time // UTC midnight
	Peak float64
}

// Usage is the usage of a set of bridges over [From, To).
type Usage struct {
	From, To time.Time // aligned to 5-minute intervals
	// Types are the licence types of the counts: Types, TypeSMPPlus, then
	// any further type a bridge reported, in name order (LI-13).
	Types []string
	// Bins holds every interval of [From, To), a bridge without a sample
	// in an interval contributing 0 (LI-62, LI-65).
	Bins []Bin
	// Peaks maps each type of Types to its daily peaks (LI-63, LI-64).
	Peaks map[string][]DayPeak
	// ScaledBins and ScaledPeaks are the same in compliance's integer
	// counts (value × Scale), for the status rules.
	ScaledBins  []compliance.Bin
	ScaledPeaks map[string][]compliance.DayPeak
}

// Usage returns the usage over [from, to) (widened to whole 5-minute
// intervals) of the samples stored with cluster clusterID, or of every
// stored sample when clusterID is 0 (the deployment, Smart mode: the
// clusters' bins added per interval, LI-20). A sample keeps the cluster
// its bridge was in when it was read, so a cluster's history survives the
// removal of a bridge. Smoothing covers the series of the range, the ends
// replicated (LI-64); callers wanting whole days pass UTC midnights.
func (c *Collector) Usage(ctx context.Context, clusterID int, from, to time.Time) (*Usage, error) {
	from = compliance.Floor(from)
	if t := compliance.Floor(to); t.Before(to) {
		to = t.Add(compliance.Interval)
	} else {
		to = t
	}
	b, err := c.bin(ctx, clusterID, from, to)
	if err != nil {
		return nil, err
	}
	cols := b.columns()
	u := &Usage{From: from, To: to, Types: make([]string, len(cols)),
		Peaks: make(map[string][]DayPeak, len(cols)), ScaledPeaks: make(map[string][]compliance.DayPeak, len(cols))}
	series := make([][]int, len(cols))
	for k, i := range cols {
		typ := b.types[i]
		u.Types[k] = typ
		series[k] = b.total(i)
		sp := compliance.SeriesPeaks(from, series[k])
		u.ScaledPeaks[typ] = sp
		peaks := make([]DayPeak, len(sp))
		for d, p := range sp {
			peaks[d] = DayPeak{Day: p.Day, Peak: unscale(p.Peak)}
		}
		u.Peaks[typ] = peaks
	}
	u.Bins = make([]Bin, b.n)
	u.ScaledBins = make([]compliance.Bin, b.n)
	for n := range b.n {
		start := from.Add(time.Duration(n) * compliance.Interval)
		counts, scaled := make(map[string]float64, len(cols)), make(map[string]int, len(cols))
		for k, typ := range u.Types {
			scaled[typ] = series[k][n]
			counts[typ] = unscale(series[k][n])
		}
		u.Bins[n] = Bin{Start: start, Counts: counts}
		u.ScaledBins[n] = compliance.Bin{Start: start, Counts: scaled}
	}
	return u, nil
}

// bin reads the samples of [from, to) into a binner. The collector stores each host's history
// oldest first, so the database's own order is nearly always time order
// per host; when it is not (PostgreSQL may move an updated row), the
// samples are read again, sorted.
func (c *Collector) bin(ctx context.Context, clusterID int, from, to time.Time) (*binner, error) {
	var b *binner
	for _, order := range []scanOrder{storage, byTime} {
		b = newBinner(from, to)
		if clusterID != 0 {
			b.cluster(clusterID)
		}
		err := c.scan(ctx, clusterID, from, to, order, b.add)
		if errors.Is(err, errOutOfOrder) && order == storage {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	b.finish()
	return b, nil
}

func unscale(v int) float64 { return float64(v) / Scale }
