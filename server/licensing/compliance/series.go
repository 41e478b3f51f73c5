package compliance

import "time"

// SeriesPeaks is DailyPeaks over a dense series: values[i] is the bin
// starting at from + i × Interval. Callers that keep one slice per type
// (24 bridges × 90 days need no per-bin maps) use it directly.
func SeriesPeaks(from time.Time, values []int) []DayPeak {
	if len(values) == 0 {
		return nil
	}
	from = Floor(from)
	smoothed := Smooth(values)
	var out []DayPeak
	for i, v := range smoothed {
		d := Day(from.Add(time.Duration(i) * Interval))
		if len(out) == 0 || !out[len(out)-1].Day.Equal(d) {
			out = append(out, DayPeak{Day: d, Peak: v})
			continue
		}
		out[len(out)-1].Peak = max(out[len(out)-1].Peak, v)
	}
	return out
}
