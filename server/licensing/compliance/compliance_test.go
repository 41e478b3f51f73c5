package compliance

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func TestSmoothMedianWithEdgeReplication(t *testing.T) {
	for _, tc := range []struct{ in, want []int }{
		{[]int{5, 1, 1}, []int{5, 1, 1}}, // LI-64
		{[]int{1, 5, 1}, []int{1, 1, 1}},
		{[]int{1, 9, 1, 2, 2}, []int{1, 1, 2, 2, 2}}, // LI-63: the isolated 9 is suppressed
		{[]int{7}, []int{7}},
		{[]int{3, 8}, []int{3, 8}},
		{nil, []int{}},
		{[]int{1, 2, 3, 4}, []int{1, 2, 3, 4}},
		{[]int{4, 9, 9, 1}, []int{4, 9, 9, 1}}, // two high bins in a row survive
	} {
		if got := Smooth(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Smooth(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBinsTakePerHostMaxAndSumHosts(t *testing.T) {
	at := t0.Add(10 * time.Minute)
	samples := []Sample{
		{Host: "a", Time: at.Add(time.Minute), Counts: map[string]int{"pmp": 2}},
		{Host: "a", Time: at.Add(3 * time.Minute), Counts: map[string]int{"pmp": 6, "foo": 1}}, // LI-65: max 6
		{Host: "b", Time: at.Add(4*time.Minute + 59*time.Second), Counts: map[string]int{"pmp": 4}},
		{Host: "b", Time: at.Add(5 * time.Minute), Counts: map[string]int{"pmp": 100}}, // next bin
		{Host: "a", Time: t0.Add(-time.Second), Counts: map[string]int{"pmp": 50}},     // before the range
		{Host: "a", Time: t0.Add(30 * time.Minute), Counts: map[string]int{"pmp": 50}}, // at the end: excluded
	}
	bins := Bins(samples, t0, t0.Add(30*time.Minute))
	if len(bins) != 6 {
		t.Fatalf("%d bins, want 6 (continuous series)", len(bins))
	}
	want := []int{0, 0, 10, 100, 0, 0}
	for i, b := range bins {
		if !b.Start.Equal(t0.Add(time.Duration(i) * Interval)) {
			t.Errorf("bin %d starts %v", i, b.Start)
		}
		if b.Counts["pmp"] != want[i] {
			t.Errorf("bin %d pmp = %d, want %d", i, b.Counts["pmp"], want[i])
		}
	}
	if got := Types(bins); !slices.Equal(got, []string{"foo", "pmp"}) {
		t.Errorf("Types = %v: an unknown type must be carried through (LI-13)", got)
	}
}

func TestSumAddsClustersPerInterval(t *testing.T) {
	a := []Bin{{Start: t0, Counts: map[string]int{"pmp": 60}}}
	b := []Bin{{Start: t0, Counts: map[string]int{"pmp": 60, "rec": 1}}}
	got := Sum(a, b)
	if got[0].Counts["pmp"] != 120 || got[0].Counts["rec"] != 1 {
		t.Errorf("Sum = %v, want pmp 120 rec 1 (LI-20)", got[0].Counts)
	}
}

// series builds a continuous 5-minute series over days with the given
// value at every bin of each day, and spikes added at chosen bins.
func series(days []int) []Bin {
	var bins []Bin
	for d, v := range days {
		for i := range 288 {
			bins = append(bins, Bin{Start: day(d).Add(time.Duration(i) * Interval), Counts: map[string]int{"pmp": v}})
		}
	}
	return bins
}

func TestDailyPeaksSmoothAcrossMidnight(t *testing.T) {
	bins := series([]int{1, 1})
	// A single high bin just before midnight and one soon after: each is
	// isolated in the continuous series, so both are suppressed.
	bins[287].Counts["pmp"] = 50
	bins[290].Counts["pmp"] = 50
	peaks := DailyPeaks(bins, "pmp")
	if len(peaks) != 2 || peaks[0].Peak != 1 || peaks[1].Peak != 1 {
		t.Fatalf("peaks = %+v, want 1 and 1", peaks)
	}
	// Two high bins across midnight are not isolated: both days peak.
	bins[288].Counts["pmp"] = 50
	peaks = DailyPeaks(bins, "pmp")
	if peaks[0].Peak != 50 || peaks[1].Peak != 50 {
		t.Errorf("peaks = %+v: the smoothing must see across midnight", peaks)
	}
	if !peaks[1].Day.Equal(day(1)) {
		t.Errorf("second day = %v", peaks[1].Day)
	}
	// At the ends of the series the bin is its own neighbour.
	end := series([]int{1})
	end[287].Counts["pmp"] = 9
	if p := DailyPeaks(end, "pmp"); p[0].Peak != 9 {
		t.Errorf("edge peak = %d, want 9 (edge replication)", p[0].Peak)
	}
}

func peaksOf(vals ...int) []DayPeak {
	out := make([]DayPeak, len(vals))
	for i, v := range vals {
		out[i] = DayPeak{Day: day(i), Peak: v}
	}
	return out
}

func TestEvaluateLevels(t *testing.T) {
	now := day(89)
	over := func(n int) []DayPeak {
		p := peaksOf(make([]int, 90)...)
		for i := range n {
			p[i*5%90].Peak = 101
		}
		return p
	}
	flat := func(v int) []DayPeak {
		p := peaksOf(make([]int, 90)...)
		p[30].Peak = v
		return p
	}
	for _, tc := range []struct {
		name  string
		peaks []DayPeak
		alloc int
		trial bool
		want  Level
	}{
		{"max 80 is in compliance", flat(80), 100, false, InCompliance},
		{"max 81 is over 80%", flat(81), 100, false, Over80},
		{"peak equal to the allocation is not a day over", flat(100), 100, false, Over80},
		{"1 day over", flat(101), 100, false, Insufficient},
		{"14 days over", over(14), 100, false, Insufficient},
		{"15 days over", over(15), 100, false, OutOfCompliance},
		{"20 days over is out of compliance, not insufficient", over(20), 100, false, OutOfCompliance},
		{"allocation 0 is unlicensed", flat(5), 0, false, Unlicensed},
		{"a trial is in compliance whatever the use", over(30), 0, true, InCompliance},
		{"80 % of 5 is 4", flat(4), 5, false, InCompliance},
		{"above 80 % of 5", flat(5), 5, false, Over80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Evaluate(tc.peaks, tc.alloc, tc.trial, now); got.Level != tc.want {
				t.Errorf("level %v (%+v), want %v", got.Level, got, tc.want)
			}
		})
	}
}

func TestWindowIsNinetyDaysIncludingToday(t *testing.T) {
	now := day(90).Add(23 * time.Hour)
	p := peaksOf(make([]int, 91)...)
	p[0].Peak = 500 // 90 days before today: outside the window (LI-16)
	p[1].Peak = 101 // the first day of the window
	st := Evaluate(p, 100, false, now)
	if st.DaysOver != 1 || st.Peak != 101 {
		t.Errorf("DaysOver %d, Peak %d; want 1 and 101", st.DaysOver, st.Peak)
	}
	// LI-17: one day at 85 % 30 days ago and 10 % today → Over 80%.
	q := peaksOf(make([]int, 91)...)
	q[60].Peak, q[90].Peak = 85, 10
	if got := Evaluate(q, 100, false, now).Level; got != Over80 {
		t.Errorf("level %v, want Over 80%%", got)
	}
}

func TestFeatureIsTheWorstOfItsTypes(t *testing.T) {
	now := day(89)
	fine := TypeInput{Type: "pmp", Peaks: peaksOf(10), Allocation: 100}
	short := TypeInput{Type: "smp", Peaks: peaksOf(101), Allocation: 100}
	if got, _ := FeatureStatus(now, false, fine, short); got != Insufficient {
		t.Errorf("PMP in compliance + SMP insufficient = %v, want Insufficient (LI-14)", got)
	}
	none := TypeInput{Type: "smp", Peaks: peaksOf(0), Allocation: 0}
	if got, _ := FeatureStatus(now, false, fine, none); got != InCompliance {
		t.Errorf("one type unallocated and unused = %v, want In compliance", got)
	}
	usedUnallocated := TypeInput{Type: "smp", Peaks: peaksOf(3), Allocation: 0}
	if got, _ := FeatureStatus(now, false, fine, usedUnallocated); got != Insufficient {
		t.Errorf("use of an unallocated type beside a licensed one = %v, want Insufficient", got)
	}
	if got, _ := FeatureStatus(now, false, TypeInput{Type: "pmp", Peaks: peaksOf(3)}, none); got != Unlicensed {
		t.Errorf("both unallocated = %v, want Unlicensed", got)
	}
	if got, _ := FeatureStatus(now, true, TypeInput{Type: "pmp", Peaks: peaksOf(3)}, none); got != InCompliance {
		t.Errorf("both unallocated during a trial = %v, want In compliance (LI-31)", got)
	}
}

// TestSingleSourceOfDailyPeaks: the graph's daily points, the 90-day peak
// and the day-over count agree (LI-69).
func TestSingleSourceOfDailyPeaks(t *testing.T) {
	bins := series([]int{10, 20, 130, 40})
	bins[300].Counts["pmp"] = 999 // isolated: suppressed everywhere alike
	peaks := DailyPeaks(bins, "pmp")
	now := day(3)
	best := 0
	for _, p := range peaks {
		best = max(best, p.Peak)
	}
	st := Evaluate(peaks, 100, false, now)
	if st.Peak != best || best != 130 || st.DaysOver != 1 {
		t.Errorf("peak %d, max daily %d, days over %d; want 130, 130, 1", st.Peak, best, st.DaysOver)
	}
}

func TestTrialRunsNinetyDays(t *testing.T) {
	tr := Trial{Start: t0.Add(9 * time.Hour)}
	if !tr.Active(tr.Start) || !tr.Active(tr.Start.AddDate(0, 0, 89)) {
		t.Error("a trial is active from day 0 through day 89 (LI-23)")
	}
	if tr.Active(tr.Start.AddDate(0, 0, 90)) || !tr.Ended(tr.Start.AddDate(0, 0, 90)) {
		t.Error("a trial has ended on day 90")
	}
	if got := tr.DaysLeft(tr.Start.AddDate(0, 0, 10)); got != 80 {
		t.Errorf("DaysLeft on day 10 = %d, want 80 (LI-35)", got)
	}
	if (Trial{}).Used() || (Trial{}).Active(t0) {
		t.Error("a zero trial was never started")
	}
}

func TestTrialOffersAndCoverage(t *testing.T) {
	now := day(10)
	ts := Trials{}
	if !ts.Offered(Meetings, false) {
		t.Error("an unused trial of an unlicensed feature is offered")
	}
	if ts.Offered(Meetings, true) {
		t.Error("no Meetings trial when Meetings is licensed (LI-24)")
	}
	ts[Meetings] = Trial{Start: day(0)}
	if ts.Offered(Meetings, false) {
		t.Error("no second Meetings trial (LI-24)")
	}
	for _, f := range []Feature{Meetings, RecordingStreaming, Customization} {
		if !ts.Covers(f, now) {
			t.Errorf("the Meetings trial covers feature %d (LI-31)", f)
		}
		if ts.Covers(f, day(90)) {
			t.Errorf("the ended Meetings trial still covers feature %d", f)
		}
	}
	if !ts.Offered(RecordingStreaming, false) || ts.Offered(RecordingStreaming, true) {
		t.Error("the Recording or streaming trial is offered unless licensed or used (LI-25)")
	}
	if got := ts.Available(Customization, false, day(87)); !got.Available || got.DaysLeft != 3 {
		t.Errorf("Customization during the Meetings trial with 3 days left = %+v (LI-39)", got)
	}
	if got := ts.Available(Customization, false, day(90)); got.Available {
		t.Errorf("after the trial without a licence = %+v, want not available (LI-32)", got)
	}
	if got := ts.Available(RecordingStreaming, true, day(90)); !got.Available || got.DaysLeft != 0 {
		t.Errorf("licensed = %+v, want available without countdown", got)
	}
}

func TestEnforcementCountdown(t *testing.T) {
	d := Durations{ToAlarm2: 10 * 24 * time.Hour, ToAlarm3: 5 * 24 * time.Hour}
	start := t0.Add(6 * time.Hour)
	e := Enforcement{}.Advance(true, start)
	for _, tc := range []struct {
		at   time.Duration
		want Alarm
		days int
	}{
		{0, Alarm1, 10},
		{time.Hour, Alarm1, 10},
		{10*24*time.Hour - time.Second, Alarm1, 1},
		{10 * 24 * time.Hour, Alarm2, 5}, // exactly at d1 (LI-38)
		{15*24*time.Hour - time.Second, Alarm2, 1},
		{15 * 24 * time.Hour, Alarm3, 0}, // exactly at d1 + d2
	} {
		now := start.Add(tc.at)
		e = e.Advance(true, now) // staying triggered keeps the start
		got := e.Stage(d, false, now)
		if got.Alarm != tc.want || got.DaysLeft != tc.days {
			t.Errorf("at +%v: %v with %d days, want %v with %d", tc.at, got.Alarm, got.DaysLeft, tc.want, tc.days)
		}
	}
	if got := e.Advance(false, start.Add(20*24*time.Hour)).Stage(d, false, start); got.Alarm != NoAlarm {
		t.Errorf("returning to compliance clears the alarm, got %v", got.Alarm)
	}
	if got := (Enforcement{}).Stage(d, true, start); got.Alarm != Alarm3 {
		t.Errorf("a missing activation key is Alarm 3 at once (LI-42), got %v", got.Alarm)
	}
}
