package compliance

import "time"

// Level is the licence status of a licence type or of a feature (LI-15),
// ordered by severity so that the worst of several is the largest.
type Level int

// The levels, least severe first. Unlicensed sorts below InCompliance
// because it only wins when every type of the feature is unallocated
// (LI-14).
const (
	Unlicensed Level = iota + 1
	InCompliance
	Over80
	Insufficient
	OutOfCompliance
)

func (l Level) String() string {
	switch l {
	case Unlicensed:
		return "Unlicensed"
	case InCompliance:
		return "In compliance"
	case Over80:
		return "Over 80% threshold"
	case Insufficient:
		return "Insufficient licenses"
	case OutOfCompliance:
		return "Out of compliance"
	}
	return "unknown"
}

// OutOfComplianceDays is the number of days over the allocation within the
// window from which a type is out of compliance; fewer (but at least one)
// is "insufficient licenses" (LI-15).
const OutOfComplianceDays = 15

// TypeStatus is the evaluation of one licence type.
type TypeStatus struct {
	Level      Level
	Allocation int
	Peak       int // the 90-day peak (LI-50)
	DaysOver   int
}

// Evaluate applies the rules of LI-15 to LI-18 to one licence type, first
// match wins: Unlicensed (no allocation and no trial covering it), Out of
// compliance, Insufficient licenses, Over 80% threshold, In compliance.
// During a trial the type is In compliance whatever the usage (LI-31).
func Evaluate(peaks []DayPeak, allocation int, trial bool, now time.Time) TypeStatus {
	st := TypeStatus{Allocation: allocation, Peak: WindowPeak(peaks, now)}
	switch {
	case trial:
		st.Level = InCompliance
		return st
	case allocation <= 0:
		st.Level = Unlicensed
		return st
	}
	st.DaysOver = DaysOver(peaks, allocation, now)
	switch {
	case st.DaysOver >= OutOfComplianceDays:
		st.Level = OutOfCompliance
	case st.DaysOver >= 1:
		st.Level = Insufficient
	case st.Peak*100 > allocation*80: // strictly above 80 %, in integers
		st.Level = Over80
	default:
		st.Level = InCompliance
	}
	return st
}

// TypeInput is one licence type of a feature: its smoothed daily peaks
// and its allocation.
type TypeInput struct {
	Type       string
	Peaks      []DayPeak
	Allocation int
}

// FeatureStatus evaluates a feature from its licence types (PMP Plus and
// SMP Plus for Meetings; recording and streaming for Recording or
// streaming): Unlicensed only when no type has an allocation and no trial
// covers the feature; otherwise the worst of the types (LI-14). A type with
// no allocation beside an allocated one is measured against zero, so any
// use of it is a day over: an unlicensed type is not free to use because
// its sibling is licensed.
func FeatureStatus(now time.Time, trial bool, types ...TypeInput) (Level, []TypeStatus) {
	out := make([]TypeStatus, len(types))
	licensed := false
	for _, t := range types {
		licensed = licensed || t.Allocation > 0
	}
	worst := Level(0)
	for i, t := range types {
		st := Evaluate(t.Peaks, t.Allocation, trial, now)
		if licensed && st.Level == Unlicensed {
			st.DaysOver = DaysOver(t.Peaks, 0, now)
			switch {
			case st.DaysOver >= OutOfComplianceDays:
				st.Level = OutOfCompliance
			case st.DaysOver >= 1:
				st.Level = Insufficient
			default:
				st.Level = InCompliance
			}
		}
		out[i] = st
		worst = max(worst, st.Level)
	}
	if len(types) == 0 {
		return Unlicensed, out
	}
	return worst, out
}
