package compliance

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStatus90Days24Bridges: the status of both counted features from
// 24 bridges × 90 days of 5-minute samples (622,080 samples), the load the
// issue asks to be reported.
func BenchmarkStatus90Days24Bridges(b *testing.B) {
	const bridges, days = 24, 90
	types := []string{"pmp", "smpFull", "rec", "str"}
	samples := make([]Sample, 0, bridges*days*288)
	for d := range days {
		for i := range 288 {
			at := day(d).Add(time.Duration(i)*Interval + 17*time.Second)
			for h := range bridges {
				c := map[string]int{}
				for k, typ := range types {
					c[typ] = (d*7 + i*3 + h*5 + k) % 40
				}
				samples = append(samples, Sample{Host: fmt.Sprintf("cb%02d", h), Time: at, Counts: c})
			}
		}
	}
	now := day(days - 1).Add(12 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bins := Bins(samples, day(0), day(days))
		in := func(typ string, alloc int) TypeInput {
			return TypeInput{Type: typ, Peaks: DailyPeaks(bins, typ), Allocation: alloc}
		}
		FeatureStatus(now, false, in("pmp", 500), in("smpFull", 500))
		FeatureStatus(now, false, in("rec", 100), in("str", 100))
	}
}
