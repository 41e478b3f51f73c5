package meetings

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/cms/events"
	"github.com/switchboardhq/switchboard/server/notifications"
)

// follower follows one bridge of a managed cluster: its events
// connection, and the reconciliations of its meetings with its API.
type follower struct {
	id     int
	client *cms.Client
	events *events.Client
	cancel context.CancelFunc
	done   chan struct{}
	// kick asks for a reconciliation of the whole bridge; calls asks for
	// a refresh of single calls.
	kick  chan struct{}
	mu    sync.Mutex
	calls map[string]bool
	poke  chan struct{}
	// resolve queues the bridge's participant ids whose call legs are
	// not known yet.
	resolve chan string
}

// followLoop keeps one follower per bridge of a cluster with meeting
// management on, and hands reconciliation requests to them.
func (s *Service) followLoop(ctx context.Context) {
	tick := time.NewTicker(s.opts.FollowInterval)
	defer tick.Stop()
	defer func() {
		for id := range s.followers {
			s.unfollow(id)
		}
	}()
	s.syncFollowers(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.followNow:
			s.syncFollowers(ctx)
		case <-tick.C:
			if err := s.refreshBridges(ctx); err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "reading the bridges", slog.Any("error", err))
				}
				continue
			}
			s.syncFollowers(ctx)
		case id := <-s.reconcile:
			if f := s.followers[id]; f != nil {
				signal(f.kick)
			}
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// syncFollowers starts and stops followers to match the bridges, and
// takes the meetings of bridges no longer managed out of the model.
func (s *Service) syncFollowers(ctx context.Context) {
	s.mu.RLock()
	bridges := make(map[int]bridgeInfo, len(s.bridges))
	for id, b := range s.bridges {
		bridges[id] = b
	}
	s.mu.RUnlock()
	for id, f := range s.followers {
		b, ok := bridges[id]
		cl, err := s.clientOf(ctx, id)
		if !ok || !b.Managed || err != nil || cl != f.client {
			// Gone, unmanaged, or its connection settings changed (a new
			// client): stop, and start afresh below if still managed.
			s.unfollow(id)
		}
	}
	for id, b := range bridges {
		if !b.Managed || s.followers[id] != nil {
			continue
		}
		cl, err := s.clientOf(ctx, id)
		if err != nil {
			s.log.WarnContext(ctx, "no client for bridge", slog.Int("bridge_id", id), slog.Any("error", err))
			continue
		}
		s.follow(ctx, id, cl)
	}
	s.dropUnmanaged(ctx, bridges)
}

// dropUnmanaged ends, in the model, the call instances of bridges that are
// gone or whose cluster no longer has meeting management: Switchboard no
// longer sees what happens to them.
func (s *Service) dropUnmanaged(ctx context.Context, bridges map[int]bridgeInfo) {
	s.mu.RLock()
	var gone []callKey
	for k := range s.md.calls {
		if b, ok := bridges[k.bridge]; !ok || !b.Managed {
			gone = append(gone, k)
		}
	}
	s.mu.RUnlock()
	if len(gone) == 0 {
		return
	}
	now := s.now()
	if err := s.change(ctx, func(md *model) {
		for _, k := range gone {
			md.endCall(k.bridge, k.call, now)
		}
	}, nil); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "dropping unmanaged meetings", slog.Any("error", err))
	}
}

func (s *Service) follow(ctx context.Context, id int, cl *cms.Client) {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{id: id, client: cl, cancel: cancel, done: make(chan struct{}),
		kick: make(chan struct{}, 1), calls: map[string]bool{}, poke: make(chan struct{}, 1),
		resolve: make(chan string, 4096)}
	f.events = events.New(cl, events.Options{
		OnMessage: func(m *events.Message) { s.onEvent(ctx, f, m) },
		OnState:   func(st events.State) { s.onEventsState(ctx, f, st) },
	})
	s.followersMu.Lock()
	s.followers[id] = f
	s.followersMu.Unlock()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.resolveLoop(ctx, f) }()
	go func() {
		defer wg.Done()
		if err := f.events.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "events client stopped", slog.Int("bridge_id", id), slog.Any("error", err))
		}
	}()
	go func() { defer wg.Done(); s.reconcileLoop(ctx, f) }()
	go func() { wg.Wait(); close(f.done) }()
	signal(f.kick) // reconcile at once: the model may be stale after a restart
}

func (s *Service) unfollow(id int) {
	f := s.followers[id]
	if f == nil {
		return
	}
	f.cancel()
	<-f.done
	s.followersMu.Lock()
	delete(s.followers, id)
	s.followersMu.Unlock()
}

// reconcileLoop runs the follower's reconciliations one at a time.
func (s *Service) reconcileLoop(ctx context.Context, f *follower) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
			if err := s.reconcileBridge(ctx, f); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "reconciling meetings with the bridge", slog.Int("bridge_id", f.id), slog.Any("error", err))
				// The monitor reports the bridge's connection; try again
				// later rather than at once.
				time.AfterFunc(10*time.Second, func() { signal(f.kick) })
			}
		case <-f.poke:
			f.mu.Lock()
			calls := make([]string, 0, len(f.calls))
			for c := range f.calls {
				calls = append(calls, c)
			}
			clear(f.calls)
			f.mu.Unlock()
			for _, c := range calls {
				if err := s.refreshCall(ctx, f, c); err != nil && ctx.Err() == nil {
					s.log.DebugContext(ctx, "refreshing a call", slog.Int("bridge_id", f.id), slog.String("call", c), slog.Any("error", err))
				}
			}
		}
	}
}

// requestRefresh asks for a refresh of a meeting's calls from the bridges.
func (s *Service) requestRefresh(meetingID string) {
	s.mu.RLock()
	var instances []Instance
	if l := s.md.meetings[meetingID]; l != nil {
		instances = slices.Clone(l.m.Instances)
	}
	s.mu.RUnlock()
	for _, in := range instances {
		s.refreshLater(in.BridgeID, in.CallID)
	}
}

// refreshLater queues a refresh of one call; it must not block (it is
// called from the events client and from request handlers).
func (s *Service) refreshLater(bridgeID int, call string) {
	f := s.followerOf(bridgeID)
	if f == nil {
		return
	}
	f.mu.Lock()
	f.calls[call] = true
	f.mu.Unlock()
	signal(f.poke)
}

// followerOf returns the follower of a bridge. followers is written only
// by followLoop; the lock orders this read after those writes.
func (s *Service) followerOf(id int) *follower {
	s.followersMu.RLock()
	defer s.followersMu.RUnlock()
	return s.followers[id]
}

// onEventsState raises "events disrupted" while the events connection is
// down and reconciles after every (re)connection: what happened while it
// was down is only in the API.
func (s *Service) onEventsState(ctx context.Context, f *follower, st events.State) {
	b, _ := s.bridge(f.id)
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(f.id), Name: b.Name}
	switch st.Kind {
	case events.Connected:
		signal(f.kick)
		if err := s.notes.Clear(ctx, notifications.CodeCallBridgeEventsDisrupted, subj); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "clearing a notification", slog.Any("error", err))
		}
	case events.Disconnected:
		if st.Attempt < 2 || ctx.Err() != nil {
			return // one drop that reconnects at once is not worth a warning
		}
		msg := fmt.Sprintf("%s: events connection lost (%v); meeting details from it may lag", b.Name, st.Err)
		if err := s.notes.Raise(ctx, notifications.CodeCallBridgeEventsDisrupted, subj, msg); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "raising a notification", slog.Any("error", err))
		}
	}
}

// onEvent applies one events message.
func (s *Service) onEvent(ctx context.Context, f *follower, m *events.Message) {
	switch {
	case m.CallListUpdate != nil:
		for _, u := range m.CallListUpdate.Updates {
			switch u.UpdateType {
			case events.Add:
				f.events.Watch(u.Call)
				s.callFlags(ctx, f.id, u.Call, u.CallFields)
			case events.Update:
				s.callFlags(ctx, f.id, u.Call, u.CallFields)
			case events.Remove:
				f.events.Unwatch(u.Call)
			}
		}
	case m.CallInfoUpdate != nil:
		s.callFlags(ctx, f.id, m.Call, m.CallInfoUpdate.CallInfo.CallFields)
	case m.RosterUpdate != nil:
		s.roster(ctx, f, m.RosterUpdate.Updates)
	}
}

func active(v *string, on string) *bool {
	if v == nil {
		return nil
	}
	b := *v == on
	return &b
}

// callFlags applies a call's name and flags from events.
func (s *Service) callFlags(ctx context.Context, bridgeID int, call string, c events.CallFields) {
	if call == "" {
		return
	}
	now := s.now()
	s.update(func(md *model) {
		if l := md.meetingOfCall(bridgeID, call); l != nil {
			md.meetingFlags(l, c.Name, active(c.LockState, "locked"), active(c.Recording, "active"),
				active(c.Streaming, "active"), c.JoinAudioMuteOverride, now)
		}
	})
}

// roster applies roster changes of a call. The roster names the bridge's
// participants, not their call legs: a participant seen for the first
// time is looked up in the API (by the follower's resolver, off the
// events connection), and what the roster says of it meanwhile is kept
// until its call leg is known, and until the leg's CDR has been applied.
func (s *Service) roster(ctx context.Context, f *follower, entries []events.RosterEntry) {
	var unknown []string
	now := s.now()
	s.update(func(md *model) {
		for _, e := range entries {
			if e.UpdateType == events.Remove {
				delete(md.pidPending, e.Participant)
				continue // the call leg's end (CDR) says when and why
			}
			leg, known := md.cmsParts[e.Participant]
			switch {
			case !known:
				if _, waiting := md.pidPending[e.Participant]; !waiting {
					unknown = append(unknown, e.Participant)
				}
				md.pidPending[e.Participant] = mergeRoster(md.pidPending[e.Participant], e)
			case leg == "":
				// Not on this bridge (a distributed meeting's remote
				// participant): its own bridge's follower sees it.
			default:
				md.applyRosterTo(leg, e.Participant, e, now)
			}
		}
	})
	for _, pid := range unknown {
		f.resolveLater(pid)
	}
}

// applyRosterTo applies a roster entry to the participant of a call leg,
// or keeps it until the leg joins.
func (md *model) applyRosterTo(leg, pid string, e events.RosterEntry, now time.Time) {
	l, p := md.participant(leg)
	if p == nil {
		pend := md.legPending[leg]
		md.legPending[leg] = pendingRoster{pid: pid, entry: mergeRoster(pend.entry, e)}
		return
	}
	was := *p
	p.CMSParticipantID = pid
	applyRoster(p, e)
	md.changed(l, was, p, now)
}

// resolveLater queues a bridge participant id for the resolver.
func (f *follower) resolveLater(pid string) {
	select {
	case f.resolve <- pid:
	default:
		// The queue is full: the entry stays pending and is resolved by
		// the next reconciliation, which reads every call's participants.
	}
}

// resolveLoop finds the call legs of participants the roster named.
func (s *Service) resolveLoop(ctx context.Context, f *follower) {
	for {
		select {
		case <-ctx.Done():
			return
		case pid := <-f.resolve:
			var legs []string
			var failed error
			for leg, err := range f.client.ParticipantCallLegs(ctx, pid, cms.ListOptions{}) {
				if err != nil {
					failed = err
					break
				}
				legs = append(legs, leg.ID)
			}
			if failed != nil && !errIsGone(failed) {
				s.log.DebugContext(ctx, "resolving a participant", slog.Int("bridge_id", f.id), slog.Any("error", failed))
				continue // stays pending; a reconciliation maps it
			}
			now := s.now()
			s.update(func(md *model) { md.resolved(pid, legs, now) })
		}
	}
}

// resolved records a participant's call legs (none: not on this bridge)
// and applies what the roster said of it meanwhile.
func (md *model) resolved(pid string, legs []string, now time.Time) {
	e, pending := md.pidPending[pid]
	delete(md.pidPending, pid)
	md.cmsParts[pid] = ""
	for _, leg := range legs {
		md.cmsParts[pid] = leg
		if pending {
			md.applyRosterTo(leg, pid, e, now)
		} else if l, p := md.participant(leg); p != nil && p.CMSParticipantID != pid {
			was := *p
			p.CMSParticipantID = pid
			md.changed(l, was, p, now)
		}
	}
}

// pendingRoster is what the roster said of a participant whose call leg
// has not joined the model yet.
type pendingRoster struct {
	pid   string
	entry events.RosterEntry
}

// mergeRoster returns dst updated with the fields src carries.
func mergeRoster(dst, src events.RosterEntry) events.RosterEntry {
	dst.Participant = src.Participant
	for _, f := range []struct{ to, from **string }{{&dst.Name, &src.Name}, {&dst.URI, &src.URI}, {&dst.State, &src.State},
		{&dst.Layout, &src.Layout}} {
		if *f.from != nil {
			*f.to = *f.from
		}
	}
	for _, f := range []struct{ to, from **bool }{{&dst.AudioMuted, &src.AudioMuted}, {&dst.VideoMuted, &src.VideoMuted},
		{&dst.ActiveSpeaker, &src.ActiveSpeaker}} {
		if *f.from != nil {
			*f.to = *f.from
		}
	}
	if src.Importance != nil {
		dst.Importance = src.Importance
	}
	return dst
}

func applyRoster(p *Participant, e events.RosterEntry) {
	if e.Name != nil && *e.Name != "" {
		p.Name = *e.Name
	}
	if e.AudioMuted != nil {
		p.AudioMuted = *e.AudioMuted
	}
	if e.VideoMuted != nil {
		p.VideoMuted = *e.VideoMuted
	}
	if e.Importance != nil {
		p.Important = *e.Importance > 0
	}
	if e.Layout != nil {
		p.Layout = *e.Layout
	}
	if e.ActiveSpeaker != nil {
		p.Speaking = *e.ActiveSpeaker
	}
	if e.State != nil && p.State != ParticipantLobby {
		// A lobby is left only by the leg's own update (deactivated
		// false): the roster's state is the signalling state.
		p.State = nextState(p.State, participantStateOf(*e.State))
	}
}

// callSnapshot is one call as the bridge's API shows it now: what the
// model lacked of it, and which call legs it has.
type callSnapshot struct {
	id   string
	call *cms.Call         // nil when the model knew the call already
	legs []cms.CallLeg     // the legs read in full
	have map[string]bool   // every leg the call has now
	pids map[string]string // call leg id → the bridge's participant id
}

// fetchCall reads a call from the bridge. With known, it reads only what
// the model lacks (a reconciliation): the call when it is new, and the
// legs it has not seen; what changed on known legs meanwhile arrives with
// the events roster, which is sent whole on every (re)subscription.
// Without known it reads the call and every leg in full (a refresh).
func fetchCall(ctx context.Context, cl *cms.Client, id string, known *knownCalls) (*callSnapshot, error) {
	cs := &callSnapshot{id: id, have: map[string]bool{}, pids: map[string]string{}}
	if known == nil || !known.calls[id] {
		c, err := cl.Call(ctx, id)
		if err != nil {
			return nil, err
		}
		cs.call = c
	}
	var read []string
	for leg, err := range cl.CallCallLegs(ctx, id, cms.CallLegQuery{}) {
		if err != nil {
			return nil, err
		}
		cs.have[leg.ID] = true
		if known == nil || !known.legs[leg.ID] {
			read = append(read, leg.ID)
		}
	}
	for _, lid := range read {
		leg, err := cl.CallLeg(ctx, lid)
		if errIsGone(err) {
			delete(cs.have, lid) // it left meanwhile
			continue
		}
		if err != nil {
			return nil, err
		}
		cs.legs = append(cs.legs, *leg)
	}
	if len(read) == 0 {
		return cs, nil
	}
	// The new legs' participant ids, for the actions set on participants
	// (importance, admission) even while events are down.
	for p, err := range cl.CallParticipants(ctx, id, cms.ParticipantQuery{}) {
		if err != nil {
			return nil, err
		}
		if p.CallBridge != "" || (known != nil && known.pids[p.ID]) {
			continue // on another bridge of the cluster, or known already
		}
		for leg, err := range cl.ParticipantCallLegs(ctx, p.ID, cms.ListOptions{}) {
			if err != nil {
				break
			}
			cs.pids[leg.ID] = p.ID
		}
	}
	return cs, nil
}

// knownCalls is what the model knows of one bridge's calls.
type knownCalls struct {
	calls, legs, pids map[string]bool
}

// known returns what the model knows of a bridge's calls.
func (s *Service) known(bridgeID int) *knownCalls {
	k := &knownCalls{calls: map[string]bool{}, legs: map[string]bool{}, pids: map[string]bool{}}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for key, id := range s.md.calls {
		if key.bridge != bridgeID {
			continue
		}
		k.calls[key.call] = true
		if l := s.md.meetings[id]; l != nil {
			for _, p := range l.parts {
				if p.BridgeID == bridgeID && p.State != ParticipantDisconnected {
					k.legs[p.ID] = true
					if p.CMSParticipantID != "" {
						k.pids[p.CMSParticipantID] = true
					}
				}
			}
		}
	}
	return k
}

// synchronizingAfter is how long a reconciliation runs before the
// synchronising notification (OV-11) is raised.
const synchronizingAfter = 2 * time.Second

// reconcileBridge brings the model in line with what the bridge's API
// shows: calls and participants it missed are added with the start and
// join times the bridge reports (MT-19), and what ended unseen is ended.
func (s *Service) reconcileBridge(ctx context.Context, f *follower) error {
	b, ok := s.bridge(f.id)
	if !ok || !b.Managed {
		return nil
	}
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(f.id), Name: b.Name}
	// Most reconciliations take a moment; only one that takes longer is
	// worth telling operators that meeting details may be incomplete.
	var (
		mu           sync.Mutex
		done, raised bool
	)
	slow := time.AfterFunc(synchronizingAfter, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			raised = s.notes.Raise(ctx, notifications.CodeCallBridgeSynchronizing, subj, b.Name+": synchronising meetings") == nil
		}
	})
	defer func() {
		slow.Stop()
		mu.Lock()
		defer mu.Unlock()
		done = true
		if raised {
			_ = s.notes.Clear(context.WithoutCancel(ctx), notifications.CodeCallBridgeSynchronizing, subj)
		}
	}()
	var snaps []*callSnapshot
	seen := map[string]bool{}
	known := s.known(f.id)
	for c, err := range f.client.Calls(ctx, cms.CallQuery{}) {
		if err != nil {
			return err
		}
		seen[c.ID] = true
		cs, err := fetchCall(ctx, f.client, c.ID, known)
		if errIsGone(err) {
			delete(seen, c.ID)
			continue
		}
		if err != nil {
			return err
		}
		snaps = append(snaps, cs)
	}
	now := s.now()
	err := s.change(ctx, func(md *model) {
		md.dirty.inferred = true
		for _, cs := range snaps {
			md.applyCall(b, cs, now)
		}
		for k := range md.calls {
			if k.bridge == f.id && !seen[k.call] {
				md.endCall(k.bridge, k.call, now)
			}
		}
	}, nil)
	if err != nil {
		return err
	}
	s.log.DebugContext(ctx, "reconciled meetings", slog.Int("bridge_id", f.id), slog.Int("calls", len(snaps)))
	return s.notes.Clear(ctx, notifications.CodeCDRGap, subj)
}

// gap reconciles a bridge whose CDRs showed missing records or a restart,
// and says so until the reconciliation is done.
func (s *Service) gap(bridgeID int) {
	b, _ := s.bridge(bridgeID)
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(bridgeID), Name: b.Name}
	if err := s.notes.Raise(context.Background(), notifications.CodeCDRGap, subj,
		b.Name+": CDRs were missing or the bridge restarted; reconciling its meetings"); err != nil {
		s.log.Warn("raising a notification", slog.Any("error", err))
	}
	s.requestReconcile(bridgeID)
}

// refreshCall reads one call from the bridge and applies it.
func (s *Service) refreshCall(ctx context.Context, f *follower, call string) error {
	b, ok := s.bridge(f.id)
	if !ok || !b.Managed {
		return nil
	}
	cs, err := fetchCall(ctx, f.client, call, nil)
	now := s.now()
	if errIsGone(err) {
		return s.change(ctx, func(md *model) { md.endCall(f.id, call, now) }, nil)
	}
	if err != nil {
		return err
	}
	return s.change(ctx, func(md *model) { md.applyCall(b, cs, now) }, nil)
}

// applyCall brings one call instance of the model in line with cs.
func (md *model) applyCall(b bridgeInfo, cs *callSnapshot, now time.Time) {
	var l *live
	if c := cs.call; c != nil {
		start := now.Add(-time.Duration(c.DurationSeconds) * time.Second)
		joinMuted := c.JoinAudioMuteOverride == "true"
		l = md.startCall(b, callInfo{CallID: c.ID, Name: c.Name, CallType: c.CallType, SpaceID: c.CoSpace,
			Correlator: c.CallCorrelator, Start: start})
		md.meetingFlags(l, &c.Name, c.Locked, c.Recording, c.Streaming, &joinMuted, now)
	} else if l = md.meetingOfCall(b.ID, cs.id); l == nil {
		return // it ended while the bridge was read
	}
	for _, leg := range cs.legs {
		_, p := md.participant(leg.ID)
		if p == nil || p.MeetingID != l.m.ID {
			p = &Participant{ID: leg.ID, CallLegID: leg.ID, BridgeID: b.ID}
			if leg.Status != nil {
				p.Joined = now.Add(-time.Duration(leg.Status.DurationSeconds) * time.Second).UTC()
			}
			fromLeg(p, leg, cs.pids[leg.ID])
			delete(md.pending, leg.ID)
			md.join(l, p, cmpTime(p.Joined, now))
			continue
		}
		was := *p
		fromLeg(p, leg, cs.pids[leg.ID])
		md.changed(l, was, p, now)
	}
	for leg, pid := range cs.pids {
		if _, waiting := md.pidPending[pid]; waiting || md.cmsParts[pid] != leg {
			md.resolved(pid, []string{leg}, now)
		}
	}
	for _, p := range l.parts {
		if p.BridgeID == b.ID && p.State != ParticipantDisconnected && !cs.have[p.ID] {
			md.leave(l, p, now, "")
		}
	}
}

func cmpTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

// fromLeg copies what a call leg's API object says into p.
func fromLeg(p *Participant, leg cms.CallLeg, pid string) {
	p.Name = firstOf(leg.Name, leg.RemoteParty, p.Name)
	p.RemoteAddress = firstOf(leg.RemoteParty, p.RemoteAddress)
	p.LocalAddress = firstOf(leg.LocalAddress, p.LocalAddress)
	if d := directionOf(leg.Direction); d != DirectionUnknown {
		p.Direction = d
	}
	p.CallType = firstOf(legType(leg.Type, leg.Subtype), p.CallType)
	if pid != "" {
		p.CMSParticipantID = pid
	}
	if cfg := leg.Configuration; cfg != nil {
		setBool(&p.AudioMuted, cfg.RxAudioMute)
		setBool(&p.VideoMuted, cfg.RxVideoMute)
		if cfg.ChosenLayout != "" {
			p.Layout = string(cfg.ChosenLayout)
		}
	}
	if st := leg.Status; st != nil {
		if d := directionOf(st.Direction); d != DirectionUnknown && p.Direction == DirectionUnknown {
			p.Direction = d
		}
		switch {
		case st.Deactivated != nil && *st.Deactivated:
			p.State = ParticipantLobby
		default:
			p.State = nextState(p.State, participantStateOf(st.State))
		}
		if p.Layout == "" && st.Layout != "" {
			p.Layout = string(st.Layout)
		}
	}
	if leg.Alarms != nil {
		p.Alarms = slices.Clone(leg.Alarms.Names)
	} else {
		p.Alarms = nil
	}
}

// nextState is the state a participant in state cur moves to when a
// source that may lag behind the others (the roster, an API read) reports
// st: never back from connected to connecting, never out of disconnected.
func nextState(cur, st ParticipantState) ParticipantState {
	switch {
	case st == ParticipantUnknown, cur == ParticipantDisconnected:
		return cur
	case st == ParticipantConnecting && (cur == ParticipantConnected || cur == ParticipantOnHold):
		return cur
	}
	return st
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
