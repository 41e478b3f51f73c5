// Package compliance is the licensing arithmetic of SPEC §7, kept pure and
// deterministic so that every rule can be tested from synthetic series
// (LI-59): cluster bins from host samples, 3-point median smoothing, daily
// peaks, the status levels, trials and the enforcement countdowns. It
// reads no clock and no database; callers pass "now" and the data.
//
// All days are UTC days. Usage is counted per licence type, named as the
// bridges name them (pmp, smpFull, rec, str, ...), so types a bridge adds
// later flow through untouched (LI-13).
package compliance

import (
	"slices"
	"time"
)

// Interval is the length of one usage bin (LI-62).
const Interval = 5 * time.Minute

// Window is the number of UTC days the status and the report look back
// over, today included (LI-16).
const Window = 90

// Sample is one usage reading reported by one Call Bridge.
type Sample struct {
	Host   string         // the bridge's host id
	Time   time.Time      // when the bridge took it
	Counts map[string]int // licence type → number in use
}

// Bin is the cluster-wide usage of one 5-minute interval.
type Bin struct {
	Start  time.Time      // UTC, aligned to :00, :05, ...
	Counts map[string]int // licence type → sum over the bridges
}

// Floor returns the start of the 5-minute interval holding t, in UTC.
func Floor(t time.Time) time.Time { return t.UTC().Truncate(Interval) }

// Day returns the UTC midnight starting t's day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Bins builds the continuous series of bins covering [from, to): every
// interval is present, a bridge contributes the largest of its samples
// within an interval and nothing when it has none (LI-65), and the bin
// holds the sum over bridges (LI-62). Samples outside the range are
// ignored.
func Bins(samples []Sample, from, to time.Time) []Bin {
	from, to = Floor(from), Floor(to)
	if !to.After(from) {
		return nil
	}
	n := int(to.Sub(from) / Interval)
	// A dense table of each host's largest sample per interval and type:
	// 24 bridges × 90 days fit in a few megabytes, far less than maps.
	hosts, types := map[string]int{}, map[string]int{}
	var names []string
	for _, s := range samples {
		if _, ok := hosts[s.Host]; !ok {
			hosts[s.Host] = len(hosts)
		}
		for typ := range s.Counts {
			if _, ok := types[typ]; !ok {
				types[typ] = len(types)
				names = append(names, typ)
			}
		}
	}
	nh, nt := len(hosts), len(types)
	peak := make([]int, n*nh*nt)
	for _, s := range samples {
		t := Floor(s.Time)
		if t.Before(from) || !t.Before(to) {
			continue
		}
		base := (int(t.Sub(from)/Interval)*nh + hosts[s.Host]) * nt
		for typ, v := range s.Counts {
			k := base + types[typ]
			peak[k] = max(peak[k], v)
		}
	}
	bins := make([]Bin, n)
	for i := range bins {
		counts := make(map[string]int, nt)
		for ti, typ := range names {
			sum := 0
			for h := range nh {
				sum += peak[(i*nh+h)*nt+ti]
			}
			counts[typ] = sum
		}
		bins[i] = Bin{Start: from.Add(time.Duration(i) * Interval), Counts: counts}
	}
	return bins
}

// Sum adds several clusters' series bin by bin (Smart mode: one status for
// the deployment, LI-20). The series must cover the same intervals.
func Sum(series ...[]Bin) []Bin {
	if len(series) == 0 {
		return nil
	}
	out := make([]Bin, len(series[0]))
	for i := range out {
		out[i] = Bin{Start: series[0][i].Start, Counts: map[string]int{}}
		for _, s := range series {
			for typ, v := range s[i].Counts {
				out[i].Counts[typ] += v
			}
		}
	}
	return out
}

// Smooth is the sliding median of each value with its predecessor and
// successor; at the ends the missing neighbour is the value itself (edge
// replication, LI-64).
func Smooth(v []int) []int {
	out := make([]int, len(v))
	for i := range v {
		prev, next := v[i], v[i]
		if i > 0 {
			prev = v[i-1]
		}
		if i < len(v)-1 {
			next = v[i+1]
		}
		out[i] = median3(prev, v[i], next)
	}
	return out
}

func median3(a, b, c int) int {
	return max(min(a, b), min(max(a, b), c))
}

// DayPeak is one UTC day's smoothed peak of one licence type.
type DayPeak struct {
	Day  time.Time // UTC midnight
	Peak int
}

// DailyPeaks smooths the continuous series of one licence type across
// midnights and returns each UTC day's peak, in day order (LI-63). It is
// the single source of daily graph points, the 90-day peak and day-over
// counting (LI-69).
func DailyPeaks(bins []Bin, typ string) []DayPeak {
	if len(bins) == 0 {
		return nil
	}
	raw := make([]int, len(bins))
	for i, b := range bins {
		raw[i] = b.Counts[typ]
	}
	return SeriesPeaks(bins[0].Start, raw)
}

// Types lists the licence types present in the bins, sorted, so that
// reports carry every type a bridge reported (LI-13).
func Types(bins []Bin) []string {
	seen := map[string]bool{}
	for _, b := range bins {
		for typ := range b.Counts {
			seen[typ] = true
		}
	}
	out := make([]string, 0, len(seen))
	for typ := range seen {
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

// WindowStart is the UTC midnight that starts the window ending at now:
// the first of the Window most recent UTC days, today included (LI-16).
func WindowStart(now time.Time) time.Time { return Day(now).AddDate(0, 0, -(Window - 1)) }

// InWindow reports whether day is one of the Window most recent UTC days
// up to now, today included (LI-16).
func InWindow(day, now time.Time) bool {
	d := Day(day)
	return !d.Before(WindowStart(now)) && !d.After(Day(now))
}

// WindowPeak is the largest daily peak within the window: the "90 day
// peak" of the feature box (LI-50).
func WindowPeak(peaks []DayPeak, now time.Time) int {
	best := 0
	for _, p := range peaks {
		if InWindow(p.Day, now) {
			best = max(best, p.Peak)
		}
	}
	return best
}

// DaysOver counts the days within the window whose peak is strictly above
// the allocation (LI-16).
func DaysOver(peaks []DayPeak, allocation int, now time.Time) int {
	n := 0
	for _, p := range peaks {
		if InWindow(p.Day, now) && p.Peak > allocation {
			n++
		}
	}
	return n
}
