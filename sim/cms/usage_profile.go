package cmssim

import (
	"math"
	"time"
)

// OfficeHoursUsage is a synthetic MPLicenseUsage history for demos and
// tools, to pass to PreloadLicenseUsage: on weekdays usage rises from
// 07:00 UTC to peak between 10:00 and 15:00 and is gone by 19:00, on
// weekends it stays at a tenth, and each snapshot varies by up to ±20 %,
// deterministically from seed and the time. Every value of peak is scaled
// alike; the result is rounded to hundredths as the bridges report.
func OfficeHoursUsage(peak Usage, seed uint64) func(t time.Time) Usage {
	return func(t time.Time) Usage {
		t = t.UTC()
		h := float64(t.Hour()) + float64(t.Minute())/60
		var f float64
		switch {
		case h < 7 || h >= 19:
			f = 0
		case h < 10:
			f = (h - 7) / 3
		case h < 15:
			f = 1
		default:
			f = (19 - h) / 4
		}
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			f /= 10
		}
		f *= 0.8 + 0.4*noise(seed, t.Unix())
		r := func(v float64) float64 { return math.Round(v*f*100) / 100 }
		return Usage{PMP: r(peak.PMP), PMPAssigned: peak.PMPAssigned, SMPAudio: r(peak.SMPAudio),
			SMPPointToPoint: r(peak.SMPPointToPoint), SMPFull: r(peak.SMPFull), Recording: math.Round(peak.Recording * f),
			Streaming: math.Round(peak.Streaming * f)}
	}
}

// noise is a deterministic value in [0, 1) from a seed and a time
// (SplitMix64).
func noise(seed uint64, t int64) float64 {
	z := seed + uint64(t)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}
