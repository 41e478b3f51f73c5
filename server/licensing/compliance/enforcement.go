package compliance

import "time"

// Alarm is the enforcement stage of the Meetings feature (LI-36).
type Alarm int

// The stages.
const (
	NoAlarm Alarm = iota
	// Alarm1: out of compliance, counting down to enforcement.
	Alarm1
	// Alarm2: enforcement active (warnings at the start of every meeting),
	// counting down to high enforcement.
	Alarm2
	// Alarm3: high enforcement (a larger warning throughout meetings).
	Alarm3
)

func (a Alarm) String() string {
	switch a {
	case Alarm1:
		return "Alarm 1"
	case Alarm2:
		return "Alarm 2"
	case Alarm3:
		return "Alarm 3"
	}
	return "No alarm"
}

// Durations are the lengths of the countdowns (LI-38). The SPEC leaves the
// defaults open (§12, A17); DefaultDurations is our choice until the
// product owner decides, and every deployment can set its own.
type Durations struct {
	ToAlarm2 time.Duration // from Alarm 1 to Alarm 2
	ToAlarm3 time.Duration // from Alarm 2 to Alarm 3
}

// DefaultDurations: 30 days to enforcement, 30 more to high enforcement.
var DefaultDurations = Durations{ToAlarm2: 30 * 24 * time.Hour, ToAlarm3: 30 * 24 * time.Hour}

// Enforcement is the persisted countdown of one scope (the deployment in
// Smart mode, a cluster in Traditional mode, LI-43): Since is when Alarm 1
// began, zero when there is no alarm.
type Enforcement struct {
	Since time.Time
}

// Advance moves the countdown to now: it starts when the scope becomes
// triggered (Meetings out of compliance, or unlicensed after its trial,
// LI-38) and clears as soon as it is not (returning to compliance).
func (e Enforcement) Advance(triggered bool, now time.Time) Enforcement {
	switch {
	case !triggered:
		return Enforcement{}
	case e.Since.IsZero():
		return Enforcement{Since: now}
	}
	return e
}

// Stage is the alarm shown for an enforcement state.
type Stage struct {
	Alarm Alarm
	// DaysLeft counts down to the next alarm (Alarm 1 and 2), rounded up
	// so that "in 1 day" shows until the change happens.
	DaysLeft int
	// Next is when the next alarm begins (zero for NoAlarm and Alarm 3).
	Next time.Time
}

// Stage evaluates the countdown at now. missingActivationKey forces high
// enforcement: a Traditional cluster with a bridge that lacks its
// activation key is at Alarm 3 until every bridge has one (LI-42).
func (e Enforcement) Stage(d Durations, missingActivationKey bool, now time.Time) Stage {
	if missingActivationKey {
		return Stage{Alarm: Alarm3}
	}
	if e.Since.IsZero() {
		return Stage{}
	}
	to2 := e.Since.Add(d.ToAlarm2)
	to3 := to2.Add(d.ToAlarm3)
	switch {
	case now.Before(to2):
		return Stage{Alarm: Alarm1, DaysLeft: daysUntil(now, to2), Next: to2}
	case now.Before(to3):
		return Stage{Alarm: Alarm2, DaysLeft: daysUntil(now, to3), Next: to3}
	}
	return Stage{Alarm: Alarm3}
}

func daysUntil(now, t time.Time) int {
	const day = 24 * time.Hour
	return int((t.Sub(now) + day - 1) / day)
}
