package cmssim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"time"
)

// Scenario describes seeded meeting traffic. Every random choice comes
// from one generator seeded with Seed (or the Sim's seed) and every action
// is stamped with its scheduled simulated time, so the same seed, start
// time and bridges produce the same calls, legs, CDRs and events whatever
// the clock's pace.
type Scenario struct {
	// MeetingsPerMinute is the arrival rate of new meetings over all the
	// scenario's bridges.
	MeetingsPerMinute float64
	// InitialMeetings are started at once, to reach a steady state quickly.
	InitialMeetings int
	// MinParticipants and MaxParticipants bound each meeting's size
	// (defaults 2 and 6).
	MinParticipants, MaxParticipants int
	// MeetingDuration is the mean meeting length (default 30 minutes).
	MeetingDuration time.Duration
	// DistributedShare is the fraction of meetings (on clustered bridges)
	// whose participants are spread over two members.
	DistributedShare float64
	// EarlyLeaveShare is the fraction of participants who leave before the end.
	EarlyLeaveShare float64
	// LobbyShare is the fraction of participants who wait for activation.
	LobbyShare float64
	// DialOutShare is the fraction of participants dialled out by the bridge.
	DialOutShare float64
	// MutesPerParticipantHour is how often a participant toggles mute.
	MutesPerParticipantHour float64
	// LayoutChangesPerMeetingHour is how often someone changes layout.
	LayoutChangesPerMeetingHour float64
	// SpeakerChangesPerMeetingMinute is how often the active speaker changes.
	SpeakerChangesPerMeetingMinute float64
	// RecordingShare is the fraction of meetings recorded for a while.
	RecordingShare float64
	// StreamingShare is the fraction of meetings streamed for a while.
	StreamingShare float64
	// Bridges limits the traffic to these bridges (default: every bridge
	// of the Sim when RunScenario starts).
	Bridges []*Bridge
	// Seed overrides the Sim's seed for this scenario when non-zero.
	Seed uint64
	// Start is the simulated instant the schedule counts from (default:
	// the clock's reading when RunScenario starts). Fix it to compare runs
	// on a clock that moves during setup.
	Start time.Time
	// Duration stops the scenario after this much simulated time (0: run
	// until the context is done). Meetings still running are left running.
	Duration time.Duration
	// Log receives one debug line per action when set.
	Log *slog.Logger
}

// QuietLab is a lab with a meeting every five minutes or so.
func QuietLab() Scenario {
	return Scenario{MeetingsPerMinute: 0.2, InitialMeetings: 1, MinParticipants: 2, MaxParticipants: 4,
		MeetingDuration: 20 * time.Minute, EarlyLeaveShare: 0.2, LobbyShare: 0.1, DialOutShare: 0.1,
		MutesPerParticipantHour: 4, LayoutChangesPerMeetingHour: 2, SpeakerChangesPerMeetingMinute: 1,
		RecordingShare: 0.2, StreamingShare: 0.05}
}

// BusyCluster is a busy working day on a handful of bridges: about 60
// meetings and 300 participants at once.
func BusyCluster() Scenario {
	s := QuietLab()
	s.MeetingsPerMinute, s.InitialMeetings = 2, 40
	s.MinParticipants, s.MaxParticipants = 2, 8
	s.MeetingDuration = 30 * time.Minute
	s.DistributedShare = 0.2
	return s
}

// LargeEstate is the load of a large deployment (around 100 bridges):
// about 700 meetings and 5000 participants at once.
func LargeEstate() Scenario {
	s := BusyCluster()
	s.MeetingsPerMinute, s.InitialMeetings = 20, 600
	s.MinParticipants, s.MaxParticipants = 3, 12
	s.MeetingDuration = 35 * time.Minute
	s.SpeakerChangesPerMeetingMinute = 0.5
	return s
}

// ScenarioByName returns a preset: "quiet", "busy" or "large".
func ScenarioByName(name string) (Scenario, error) {
	switch name {
	case "quiet", "":
		return QuietLab(), nil
	case "busy":
		return BusyCluster(), nil
	case "large":
		return LargeEstate(), nil
	}
	return Scenario{}, fmt.Errorf("cmssim: unknown scenario %q (want quiet, busy or large)", name)
}

type actKind int

const (
	actArrive actKind = iota
	actJoin
	actLeave
	actMute
	actLayout
	actSpeaker
	actRecord
	actStream
	actEnd
)

type action struct {
	at   time.Time
	seq  uint64
	kind actKind
	m    *scMeeting
	p    *scPart
	on   bool
}

type actionQueue []*action

func (q actionQueue) Len() int { return len(q) }
func (q actionQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q actionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actionQueue) Push(x any)   { *q = append(*q, x.(*action)) }
func (q *actionQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type scMeeting struct {
	n       int
	cl      *Cluster
	bridges []*Bridge
	coSpace string
	end     time.Time
	parts   []*scPart
	ended   bool
}

type scPart struct {
	n      int
	b      *Bridge
	leg    string
	muted  bool
	joined bool
	left   bool
}

type runner struct {
	sim      *Sim
	sc       Scenario
	rng      *mrand.Rand
	q        actionQueue
	seq      uint64
	meetings int
	free     map[*Cluster][]string // idle scenario coSpaces
	rooms    map[*Cluster]int
}

// RunScenario generates traffic on the scenario's bridges until ctx is done
// or the scenario's Duration has passed (then it returns nil).
func (s *Sim) RunScenario(ctx context.Context, sc Scenario) error {
	if sc.MinParticipants <= 0 {
		sc.MinParticipants = 2
	}
	if sc.MaxParticipants < sc.MinParticipants {
		sc.MaxParticipants = max(sc.MinParticipants, 6)
	}
	if sc.MeetingDuration <= 0 {
		sc.MeetingDuration = 30 * time.Minute
	}
	if len(sc.Bridges) == 0 {
		sc.Bridges = s.Bridges()
	}
	if len(sc.Bridges) == 0 {
		return errors.New("cmssim: scenario has no bridges")
	}
	seed := sc.Seed
	if seed == 0 {
		seed = s.opts.Seed
	}
	r := &runner{sim: s, sc: sc, rng: mrand.New(mrand.NewPCG(seed, 0x5ce7a10)),
		free: map[*Cluster][]string{}, rooms: map[*Cluster]int{}}
	start := sc.Start
	if start.IsZero() {
		start = s.clock.Now()
	}
	for i := 0; i < sc.InitialMeetings; i++ {
		r.push(&action{at: start, kind: actArrive})
	}
	if sc.MeetingsPerMinute > 0 {
		r.push(&action{at: start.Add(r.expo(time.Minute, sc.MeetingsPerMinute)), kind: actArrive, on: true})
	}
	var stop time.Time
	if sc.Duration > 0 {
		stop = start.Add(sc.Duration)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(r.q) == 0 {
			if stop.IsZero() {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}
		next := r.q[0]
		if !stop.IsZero() && next.at.After(stop) {
			return nil
		}
		if d := next.at.Sub(s.clock.Now()); d > 0 {
			t := s.clock.NewTimer(d)
			select {
			case <-t.C():
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		heap.Pop(&r.q)
		r.apply(next)
	}
}

func (r *runner) push(a *action) {
	r.seq++
	a.seq = r.seq
	heap.Push(&r.q, a)
}

// expo draws an exponential interval for rate events per unit.
func (r *runner) expo(unit time.Duration, rate float64) time.Duration {
	if rate <= 0 {
		return time.Duration(math.MaxInt64 / 4)
	}
	return time.Duration(r.rng.ExpFloat64() / rate * float64(unit))
}

func (r *runner) chance(p float64) bool { return p > 0 && r.rng.Float64() < p }

func (r *runner) logf(kind string, args ...any) {
	if r.sc.Log != nil {
		r.sc.Log.Debug("scenario "+kind, args...)
	}
}

var firstNames = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Leslie",
	"Margaret", "Niklaus", "Shafi", "Tim", "Vint", "Whitfield", "Yukihiro", "Zeynep", "Hedy", "John"}
var lastNames = []string{"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman",
	"Lamport", "Hamilton", "Wirth", "Goldwasser", "Berners-Lee", "Cerf", "Diffie", "Matsumoto", "Tufekci", "Lamarr", "McCarthy"}

func (r *runner) apply(a *action) {
	switch a.kind {
	case actArrive:
		if a.on {
			r.push(&action{at: a.at.Add(r.expo(time.Minute, r.sc.MeetingsPerMinute)), kind: actArrive, on: true})
		}
		r.arrive(a.at)
	case actJoin:
		r.join(a.m, a.p, a.at)
	case actLeave:
		r.leave(a.p, a.at)
	case actMute:
		r.mute(a.m, a.p, a.at)
	case actLayout:
		r.layout(a.m, a.at)
	case actSpeaker:
		r.speaker(a.m, a.at)
	case actRecord:
		r.record(a.m, a.on, false, a.at)
	case actStream:
		r.record(a.m, a.on, true, a.at)
	case actEnd:
		r.end(a.m, a.at)
	}
}

// coSpaceFor takes an idle scenario room of the cluster, creating one when
// all are busy, so the database stays as large as the peak load.
func (r *runner) coSpaceFor(cl *Cluster) string {
	if ids := r.free[cl]; len(ids) > 0 {
		id := ids[len(ids)-1]
		r.free[cl] = ids[:len(ids)-1]
		cl.mu.Lock()
		exists := cl.db.coSpaces.get(id) != nil
		cl.mu.Unlock()
		if exists {
			return id
		}
	}
	for {
		r.rooms[cl]++
		n := r.rooms[cl]
		id, err := cl.CreateCoSpace(CoSpaceOptions{Name: fmt.Sprintf("Room %d", n), URI: fmt.Sprintf("room.%d", n),
			CallID: fmt.Sprintf("%d", 700000+n), MeetingScheduler: firstNames[n%len(firstNames)] + " " + lastNames[(n/len(firstNames))%len(lastNames)]})
		if err == nil {
			return id
		}
	}
}

func (r *runner) arrive(now time.Time) {
	sc := r.sc
	b := sc.Bridges[r.rng.IntN(len(sc.Bridges))]
	cl := b.cl
	r.meetings++
	m := &scMeeting{n: r.meetings, cl: cl, bridges: []*Bridge{b}}
	cl.mu.Lock()
	members := append([]*Bridge(nil), cl.Bridges...)
	cl.mu.Unlock()
	if len(members) > 1 && r.chance(sc.DistributedShare) {
		var peers []*Bridge
		for _, x := range members {
			if x != b {
				peers = append(peers, x)
			}
		}
		m.bridges = append(m.bridges, peers[r.rng.IntN(len(peers))])
	}
	m.coSpace = r.coSpaceFor(cl)
	mean := float64(sc.MeetingDuration)
	dur := time.Duration(math.Min(math.Max(r.rng.ExpFloat64()*mean, mean/6), mean*4))
	m.end = now.Add(dur)
	n := sc.MinParticipants + r.rng.IntN(sc.MaxParticipants-sc.MinParticipants+1)
	r.logf("meeting", "n", m.n, "bridge", b.name, "participants", n, "duration", dur)
	for i := 0; i < n; i++ {
		p := &scPart{n: i, b: m.bridges[i%len(m.bridges)]}
		m.parts = append(m.parts, p)
		at := now
		if i > 0 {
			at = now.Add(time.Duration(r.rng.Float64() * float64(min(dur/3, 5*time.Minute))))
		}
		r.push(&action{at: at, kind: actJoin, m: m, p: p})
		if i > 0 && r.chance(sc.EarlyLeaveShare) {
			left := at.Add(time.Duration(r.rng.Float64() * float64(m.end.Sub(at))))
			r.push(&action{at: left, kind: actLeave, m: m, p: p})
		}
		for t := at.Add(r.expo(time.Hour, sc.MutesPerParticipantHour)); t.Before(m.end); t = t.Add(r.expo(time.Hour, sc.MutesPerParticipantHour)) {
			r.push(&action{at: t, kind: actMute, m: m, p: p})
		}
	}
	for t := now.Add(r.expo(time.Hour, sc.LayoutChangesPerMeetingHour)); t.Before(m.end); t = t.Add(r.expo(time.Hour, sc.LayoutChangesPerMeetingHour)) {
		r.push(&action{at: t, kind: actLayout, m: m})
	}
	for t := now.Add(r.expo(time.Minute, sc.SpeakerChangesPerMeetingMinute)); t.Before(m.end); t = t.Add(r.expo(time.Minute, sc.SpeakerChangesPerMeetingMinute)) {
		r.push(&action{at: t, kind: actSpeaker, m: m})
	}
	for _, stream := range []bool{false, true} {
		share := sc.RecordingShare
		kind := actRecord
		if stream {
			share, kind = sc.StreamingShare, actStream
		}
		if r.chance(share) {
			from := now.Add(time.Duration(r.rng.Float64() * float64(dur/2)))
			to := from.Add(time.Duration(r.rng.Float64() * float64(m.end.Sub(from))))
			r.push(&action{at: from, kind: kind, m: m, on: true})
			r.push(&action{at: to, kind: kind, m: m, on: false})
		}
	}
	r.push(&action{at: m.end, kind: actEnd, m: m})
}

func (r *runner) join(m *scMeeting, p *scPart, now time.Time) {
	if m.ended {
		return
	}
	name := firstNames[r.rng.IntN(len(firstNames))] + " " + lastNames[r.rng.IntN(len(lastNames))]
	o := LegOptions{
		Name:            name,
		Remote:          fmt.Sprintf("%s.%d.%d@example.com", slug(name), m.n, p.n),
		Outgoing:        r.chance(r.sc.DialOutShare),
		Guest:           r.chance(0.15),
		NeedsActivation: p.n > 0 && r.chance(r.sc.LobbyShare),
		AudioMuted:      r.chance(0.3),
	}
	p.muted = o.AudioMuted
	b := p.b
	cl := b.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c := b.localCallForCoSpaceLocked(m.coSpace)
	if c == nil {
		var err error
		if c, err = b.startCallLocked(CallOptions{CoSpace: m.coSpace}, now); err != nil {
			return
		}
	}
	l := b.joinLocked(c, o, now)
	if b.legs[l.id] == l {
		p.leg, p.joined = l.id, true
	}
	r.logf("join", "meeting", m.n, "leg", l.id)
}

func (r *runner) leave(p *scPart, now time.Time) {
	if !p.joined || p.left {
		return
	}
	p.left = true
	b := p.b
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	if l := b.legs[p.leg]; l != nil {
		b.endLegLocked(l, "remoteTeardown", true, now)
	}
}

func (r *runner) liveLeg(p *scPart) *leg {
	if !p.joined || p.left {
		return nil
	}
	return p.b.legs[p.leg]
}

func (r *runner) mute(m *scMeeting, p *scPart, now time.Time) {
	cl := m.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	l := r.liveLeg(p)
	if l == nil {
		return
	}
	p.muted = !p.muted
	form := map[string][]string{"rxAudioMute": {fmt.Sprint(p.muted)}}
	_ = p.b.updateLegLocked(l, form, now)
}

func (r *runner) randomLiveLeg(m *scMeeting) (*scPart, *leg) {
	var live []*scPart
	for _, p := range m.parts {
		if r.liveLeg(p) != nil {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	p := live[r.rng.IntN(len(live))]
	return p, r.liveLeg(p)
}

func (r *runner) layout(m *scMeeting, now time.Time) {
	cl := m.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	choice := layouts[r.rng.IntN(len(layouts))]
	p, l := r.randomLiveLeg(m)
	if l == nil {
		return
	}
	_ = p.b.updateLegLocked(l, map[string][]string{"chosenLayout": {choice}}, now)
}

func (r *runner) speaker(m *scMeeting, _ time.Time) {
	cl := m.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	p, l := r.randomLiveLeg(m)
	if l == nil {
		return
	}
	p.b.setActiveSpeakerLocked(l)
}

func (r *runner) record(m *scMeeting, on, stream bool, now time.Time) {
	cl := m.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	b := m.bridges[0]
	c := b.localCallForCoSpaceLocked(m.coSpace)
	if c == nil || m.ended {
		return
	}
	key := "recording"
	if stream {
		key = "streaming"
	}
	_ = b.updateCallLocked(c, map[string][]string{key: {fmt.Sprint(on)}}, now)
}

func (r *runner) end(m *scMeeting, now time.Time) {
	m.ended = true
	for _, p := range m.parts {
		r.leave(p, now)
	}
	r.free[m.cl] = append(r.free[m.cl], m.coSpace)
}
