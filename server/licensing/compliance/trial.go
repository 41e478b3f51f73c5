package compliance

import "time"

// Feature is a licensed feature (LI-09).
type Feature int

// The features.
const (
	Meetings Feature = iota + 1
	RecordingStreaming
	Customization
)

// TrialLength is how long every trial lasts (LI-23).
const TrialLength = 90 * 24 * time.Hour

// Trial is a started trial; a zero Start means never started.
type Trial struct {
	Start time.Time
}

// Used reports whether the trial was ever started.
func (t Trial) Used() bool { return !t.Start.IsZero() }

// Active reports whether the trial runs at now: from its start through day
// 89, ended on day 90 (LI-23).
func (t Trial) Active(now time.Time) bool {
	return t.Used() && !now.Before(t.Start) && now.Before(t.Start.Add(TrialLength))
}

// Ended reports whether the trial was started and has run out.
func (t Trial) Ended(now time.Time) bool { return t.Used() && !t.Active(now) && !now.Before(t.Start) }

// DaysLeft is the number of whole days the trial still runs: 80 on day 10
// (LI-35); zero when not active.
func (t Trial) DaysLeft(now time.Time) int {
	if !t.Active(now) {
		return 0
	}
	return 90 - int(now.Sub(t.Start)/(24*time.Hour))
}

// Trials are the trials of a deployment (Smart) or of a cluster
// (Traditional, LI-28, LI-29).
type Trials map[Feature]Trial

// Covers reports whether an active trial covers f at now: its own trial,
// or the Meetings trial, which covers every feature (LI-23, LI-31).
func (ts Trials) Covers(f Feature, now time.Time) bool {
	return ts[f].Active(now) || ts[Meetings].Active(now)
}

// Offered reports whether the trial of f may be started: never when the
// feature is licensed or the trial was used before (LI-24 … LI-26). A
// trial recorded on a cluster by another instance counts as used (LI-28,
// LI-30): callers merge those markers into ts first.
func (ts Trials) Offered(f Feature, licensed bool) bool {
	return !licensed && !ts[f].Used()
}

// Availability is the warning of Recording or streaming and Customization
// (LI-39): licensed features are simply available; during a trial that
// covers them they are "available for N more days"; otherwise, and after
// the trial, "not available" (LI-32 … LI-34).
type Availability struct {
	Available bool
	DaysLeft  int // > 0 while counting down to the end of a trial
}

// Available evaluates the availability of f.
func (ts Trials) Available(f Feature, licensed bool, now time.Time) Availability {
	if licensed {
		return Availability{Available: true}
	}
	switch {
	case ts[f].Active(now):
		return Availability{Available: true, DaysLeft: ts[f].DaysLeft(now)}
	case ts[Meetings].Active(now):
		return Availability{Available: true, DaysLeft: ts[Meetings].DaysLeft(now)}
	}
	return Availability{}
}
