package cmssim

import "time"

// mediaStats are a leg's media statistics at one instant. They are a pure
// function of the leg's quality seed and its age in simulated time, so they
// move between polls yet replay identically for the same seed and clock.
type mediaStats struct {
	audioCodec, videoCodec               string
	rxAudioJitter, txAudioJitter         int // ms
	rxAudioBitRate, txAudioBitRate       int // bit/s
	rxAudioLoss, txAudioLoss             float64
	rtt                                  int // ms
	rxWidth, rxHeight, txWidth, txHeight int
	rxFrameRate, txFrameRate             int
	rxVideoBitRate, txVideoBitRate       int
	rxVideoJitter, txVideoJitter         int
	rxVideoLoss, txVideoLoss             float64
	encrypted                            bool
	alarms                               []string
	burstDuration, burstDensity          float64
	gapDuration, gapDensity              float64
}

// wave returns a value in [0, 1] that rises and falls with period p seconds.
func wave(t int64, p int64) float64 {
	if p <= 0 {
		return 0
	}
	x := t % p
	half := p / 2
	if x <= half {
		return float64(x) / float64(half)
	}
	return float64(p-x) / float64(p-half)
}

var audioCodecs = []string{"opus", "g722", "aac", "g711u"}

func legStats(l *leg, now time.Time) mediaStats {
	q := l.quality
	age := int64(now.Sub(l.start) / time.Second)
	if age < 0 {
		age = 0
	}
	t := age + int64(q%97)
	bad := q%10 == 0 // one leg in ten has a poor network
	s := mediaStats{
		audioCodec: audioCodecs[q%uint64(len(audioCodecs))],
		videoCodec: "h264",
		encrypted:  q%4 != 0,
	}
	if l.guest {
		s.audioCodec, s.videoCodec = "opus", "vp8"
	}
	w := wave(t, 37)
	s.rxAudioJitter = 2 + int(q%5) + int(6*w)
	s.txAudioJitter = 1 + int(q%3) + int(3*w)
	s.rxAudioBitRate = 56000 + int(8000*wave(t, 23))
	s.txAudioBitRate = 64000
	s.rtt = 18 + int(q%40) + int(10*wave(t, 53))
	s.rxAudioLoss = float64(int(30*w)) / 100
	s.txAudioLoss = float64(int(10*wave(t, 41))) / 100
	s.rxWidth, s.rxHeight, s.txWidth, s.txHeight = 1920, 1080, 1280, 720
	if q%3 == 0 {
		s.rxWidth, s.rxHeight = 1280, 720
	}
	s.rxFrameRate, s.txFrameRate = 30, 30
	s.rxVideoBitRate = 1500000 + int(500000*wave(t, 61))
	s.txVideoBitRate = 1200000 + int(400000*wave(t, 47))
	s.rxVideoJitter = 4 + int(q%7) + int(8*w)
	s.txVideoJitter = 3 + int(q%5) + int(4*w)
	s.rxVideoLoss = float64(int(40*wave(t, 29))) / 100
	s.txVideoLoss = float64(int(20*wave(t, 31))) / 100
	if bad {
		s.rxAudioLoss += 2.5 + 3*w
		s.rxVideoLoss += 3 + 4*w
		s.rxAudioJitter += 45
		s.rxVideoJitter += 50
		s.rtt += 260
		s.rxFrameRate = 15
		s.alarms = []string{"packetLoss", "excessiveJitter", "highRoundTripTime"}
		s.burstDuration, s.burstDensity = 1.2+w, 8.5+10*w
		s.gapDuration, s.gapDensity = 4.5, 1.5+w
	} else {
		s.burstDuration, s.gapDuration, s.gapDensity = 0, 0, float64(int(10*w))/10
	}
	if marginalAlarmAt(q, age) {
		s.rxAudioLoss += 2.5
		s.alarms = []string{"packetLoss"}
	}
	if l.flag("rxVideoMute") {
		s.rxVideoBitRate, s.rxFrameRate = 0, 0
	}
	if l.flag("txVideoMute") {
		s.txVideoBitRate, s.txFrameRate = 0, 0
	}
	if l.flag("rxAudioMute") {
		s.rxAudioBitRate = 0
	}
	if l.flag("txAudioMute") {
		s.txAudioBitRate = 0
	}
	return s
}

// A marginal leg (one in ten, none of them poor) has packet loss in bursts:
// its packetLoss alarm is active for a few seconds of every marginalPeriod.
const marginalPeriod = 37

func marginal(q uint64) bool { return q%10 == 5 }

// marginalAlarmAt tells whether a marginal leg's packetLoss alarm is active
// age seconds after it started.
func marginalAlarmAt(q uint64, age int64) bool {
	return marginal(q) && wave(age+int64(q%97), marginalPeriod) >= 0.9
}

// legAlarmHistory reports, for a leg age seconds old, the alarms that have
// been active at some point and for what percentage of the leg's duration.
// It is a pure function of the quality seed and the age, like legStats.
func legAlarmHistory(q uint64, age int64) (seen []string, pct []float64) {
	if age < 0 {
		age = 0
	}
	if q%10 == 0 {
		p := 1 + float64(q%50)/10
		return []string{"packetLoss", "excessiveJitter", "highRoundTripTime"}, []float64{p, p, p}
	}
	if !marginal(q) {
		return nil, nil
	}
	count := func(from, to int64) int64 {
		n := int64(0)
		for a := from; a <= to; a++ {
			if marginalAlarmAt(q, a) {
				n++
			}
		}
		return n
	}
	full := age / marginalPeriod
	active := full*count(0, marginalPeriod-1) + count(full*marginalPeriod, age)
	if active == 0 {
		return nil, nil
	}
	return []string{"packetLoss"}, []float64{100 * float64(active) / float64(age+1)}
}
