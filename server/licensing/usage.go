package licensing

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database"
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

// TypeSMPPlus is the use of SMP Plus licences: smpAud + smpPtP + smpFull
// of one sample, summed before binning (a bridge's largest sum in an
// interval, not the sum of its largest parts). It is derived, not stored.
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
// intervals) of the bridges currently in cluster clusterID, or of every
// stored sample when clusterID is 0 (the deployment, Smart mode: samples
// of removed bridges included). Smoothing covers the series of the range,
// the ends replicated (LI-64); callers wanting whole days pass UTC
// midnights.
func (c *Collector) Usage(ctx context.Context, clusterID int, from, to time.Time) (*Usage, error) {
	from = compliance.Floor(from)
	if t := compliance.Floor(to); t.Before(to) {
		to = t.Add(compliance.Interval)
	} else {
		to = t
	}
	q := c.db.LicenseSample.Query().Where(licensesample.TimeGTE(from), licensesample.TimeLT(to))
	if clusterID != 0 {
		clusters, err := c.bridges.ListClusters(ctx)
		if err != nil {
			return nil, err
		}
		var ids []int
		for _, cl := range clusters {
			if cl.ID == clusterID {
				for _, b := range cl.Bridges {
					ids = append(ids, b.ID)
				}
			}
		}
		q = q.Where(licensesample.BridgeIDIn(ids...))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	samples := make([]compliance.Sample, len(rows))
	for i, r := range rows {
		samples[i] = compliance.Sample{Host: r.HostID, Time: r.Time, Counts: scaled(r)}
	}
	// An empty range still has every type, at 0.
	samples = append(samples, compliance.Sample{Host: "", Time: from, Counts: zeroCounts()})
	u := &Usage{From: from, To: to, ScaledBins: compliance.Bins(samples, from, to),
		Peaks: map[string][]DayPeak{}, ScaledPeaks: map[string][]compliance.DayPeak{}}
	u.Bins = make([]Bin, len(u.ScaledBins))
	for i, b := range u.ScaledBins {
		counts := make(map[string]float64, len(b.Counts))
		for typ, v := range b.Counts {
			counts[typ] = unscale(v)
		}
		u.Bins[i] = Bin{Start: b.Start, Counts: counts}
	}
	for _, typ := range append(Types[:len(Types):len(Types)], TypeSMPPlus) {
		sp := compliance.DailyPeaks(u.ScaledBins, typ)
		u.ScaledPeaks[typ] = sp
		peaks := make([]DayPeak, len(sp))
		for i, p := range sp {
			peaks[i] = DayPeak{Day: p.Day, Peak: unscale(p.Peak)}
		}
		u.Peaks[typ] = peaks
	}
	return u, nil
}

func scaled(r *ent.LicenseSample) map[string]int {
	v := [...]float64{r.Pmp, r.PmpAssigned, r.SmpAud, r.SmpPtp, r.SmpFull, r.Rec, r.Str}
	m := make(map[string]int, len(Types))
	for i, typ := range Types {
		m[typ] = int(v[i]*Scale + 0.5)
	}
	m[TypeSMPPlus] = m[TypeSMPAudio] + m[TypeSMPPtP] + m[TypeSMPFull]
	return m
}

func zeroCounts() map[string]int {
	m := make(map[string]int, len(Types)+1)
	for _, typ := range Types {
		m[typ] = 0
	}
	m[TypeSMPPlus] = 0
	return m
}

func unscale(v int) float64 { return float64(v) / Scale }
