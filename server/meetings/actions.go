package meetings

// Operator actions (MT-15). Each one goes to the Call Bridge API of the
// bridge hosting the meeting instance or the participant concerned, and
// changes nothing in the live model: the bridge's events, CDRs and
// reconciliation bring the result back, so what an operator sees is what
// the bridge did. An action is recorded in the meeting's event log once
// the bridge has accepted it.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

const (
	// maxFilterIDs is how many participant ids PUT
	// /calls/<id>/participants/* takes in filterIds.
	maxFilterIDs = 20
	// maxPane is the highest pane an operator can place a participant in
	// (the proto's bound), and the panePlacementHighestImportance set on
	// a meeting that has no pane placement yet: the bridge puts importance
	// H in pane 1, H-1 in pane 2, and so on down to importance 1.
	maxPane = 100
)

// AddParticipant dials out (or calls back) and returns the participant id.
// A call the bridge places but cannot complete is not an error: the
// participant shows as disconnected (MT-17).
func (s *Service) AddParticipant(ctx context.Context, meetingID string, d Dial) (string, error) {
	d.Address = strings.TrimSpace(d.Address)
	d.Name = strings.TrimSpace(d.Name)
	if err := checkDial(meetingID, d); err != nil {
		return "", err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return "", err
	}
	what := "Dialled " + d.Address
	if d.CallBackID != "" {
		p, err := s.leftParticipant(ctx, t, d.CallBackID)
		if err != nil {
			return "", err
		}
		d.Address = p.RemoteAddress
		if d.Name == "" {
			d.Name = p.Name
		}
		if d.Layout == "" {
			d.Layout = p.Layout
		}
		what = fmt.Sprintf("Called back %s at %s", who(p), d.Address)
	}
	id, err := t.dial(ctx, d)
	if err != nil {
		return "", err
	}
	s.recordAction(ctx, t.Meeting.ID, what, id)
	return id, nil
}

// leftParticipant finds a participant of t's meeting who has left, to call
// back. The target holds only current participants, so the disconnected
// ones come from the meeting's participant list.
func (s *Service) leftParticipant(ctx context.Context, t *target, id string) (Participant, error) {
	if p, in := t.Participants[id]; in {
		return Participant{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"%s is still in the meeting: only a disconnected participant can be called back", who(p))
	}
	token := ""
	for {
		page, err := s.Participants(ctx, t.Meeting.ID, true, maxIDs, token)
		if err != nil {
			return Participant{}, err
		}
		for _, p := range page.Participants {
			if p.ID != id {
				continue
			}
			if p.RemoteAddress == "" {
				return Participant{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
					"%s has no address to call back", who(p))
			}
			return p, nil
		}
		if page.NextPageToken == "" {
			return Participant{}, errs.New(errs.NotFound, errs.ReasonNotFound,
				"participant %s was never in meeting %q", id, t.Meeting.Name)
		}
		token = page.NextPageToken
	}
}

// dial places the call from the meeting's first reachable instance. It
// creates the call leg directly (POST /calls/<id>/callLegs, which also
// creates its participant) because a participant's id in the model is its
// call leg's id, and a failed dial-out can be gone before a second request
// could look its leg up.
func (t *target) dial(ctx context.Context, d Dial) (string, error) {
	inst, cl, err := t.primary()
	if err != nil {
		return "", err
	}
	p := cms.CallLegParams{RemoteParty: cms.Set(d.Address)}
	if d.Name != "" {
		p.NameLabelOverride = cms.Set(d.Name)
	}
	if d.Layout != "" {
		p.ChosenLayout = cms.Set(cms.Layout(d.Layout))
	}
	id, err := cl.CreateCallLeg(ctx, inst.CallID, p)
	if err != nil {
		return "", t.refused(err, "dial "+d.Address)
	}
	return id, nil
}

// DropParticipants disconnects participants.
func (s *Service) DropParticipants(ctx context.Context, meetingID string, ids []string) error {
	if err := checkIDs(meetingID, ids, true); err != nil {
		return err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return err
	}
	ps, err := t.pick(ids)
	if err != nil {
		return err
	}
	done, err := t.drop(ctx, ps)
	s.record(ctx, t, "Dropped", done, "", err)
	return err
}

// drop ends participants' call legs and returns those ended.
func (t *target) drop(ctx context.Context, ps []Participant) ([]Participant, error) {
	return forEach(ctx, ps, func(ctx context.Context, p Participant) error {
		cl, err := t.client(p.BridgeID)
		if err != nil {
			return err
		}
		// A leg the bridge no longer has has already left: that drop is done.
		if err := cl.DeleteCallLeg(ctx, legOf(p)); err != nil && !errors.Is(err, cms.ErrNotFound) {
			return t.refused(err, "drop "+who(p))
		}
		return nil
	})
}

// UpdateParticipants changes one, selected or all participants.
func (s *Service) UpdateParticipants(ctx context.Context, meetingID string, u ParticipantUpdate) error {
	if err := checkParticipantUpdate(meetingID, u); err != nil {
		return err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return err
	}
	ps, err := t.pick(u.IDs)
	if err != nil {
		return err
	}
	all := len(u.IDs) == 0
	done, err := t.update(ctx, ps, all, u)
	if all && err == nil {
		s.recordAction(ctx, t.Meeting.ID, "Changed all participants: "+changes(u))
		return nil
	}
	s.record(ctx, t, "Changed", done, ": "+changes(u), err)
	return err
}

// update applies u to ps (all: to every participant of the meeting) and
// returns the participants changed.
func (t *target) update(ctx context.Context, ps []Participant, all bool, u ParticipantUpdate) ([]Participant, error) {
	if u.Important != nil || u.Pane > 0 {
		if err := needCMSIDs(ps, "change the importance of"); err != nil {
			return nil, err
		}
	}
	done := ps
	if u.AudioMuted != nil || u.VideoMuted != nil || u.Layout != "" {
		var err error
		if done, err = t.applyLegs(ctx, ps, all, u); err != nil {
			return done, err
		}
	}
	switch {
	case u.Pane > 0:
		if err := t.place(ctx, ps[0], u.Pane); err != nil {
			return nil, err
		}
	case u.Important != nil:
		imp := cms.Clear[int]()
		if *u.Important {
			imp = cms.Set(1)
		}
		return forEach(ctx, done, func(ctx context.Context, p Participant) error {
			return t.updateParticipant(ctx, p, cms.ParticipantUpdate{Importance: imp}, "change the importance of "+who(p))
		})
	}
	return done, nil
}

// legJob is one request of applyLegs: one participant's call leg, or a
// filterIds batch of participants hosted by inst.
type legJob struct {
	ps    []Participant
	batch bool
	inst  Instance
}

// applyLegs changes the call leg settings of participants: every
// participant of the meeting with one PUT /calls/<id>/participants/* (the
// bridge applies it to the whole call, including participants the model
// does not know yet), several at once with its filterIds on the instance
// hosting them, or one with PUT /callLegs/<id>.
func (t *target) applyLegs(ctx context.Context, ps []Participant, all bool, u ParticipantUpdate) ([]Participant, error) {
	var leg cms.CallLegUpdate
	var bulk cms.AllParticipantsUpdate
	if u.AudioMuted != nil {
		leg.RxAudioMute, bulk.RxAudioMute = cms.Set(*u.AudioMuted), cms.Set(*u.AudioMuted)
	}
	if u.VideoMuted != nil {
		leg.RxVideoMute, bulk.RxVideoMute = cms.Set(*u.VideoMuted), cms.Set(*u.VideoMuted)
	}
	if u.Layout != "" {
		leg.ChosenLayout, bulk.Layout = cms.Set(cms.Layout(u.Layout)), cms.Set(cms.Layout(u.Layout))
	}
	if all {
		inst, cl, err := t.primary()
		if err != nil {
			return nil, err
		}
		if err := cl.UpdateAllParticipants(ctx, inst.CallID, bulk); err != nil {
			return nil, t.refused(err, "change all participants ("+changes(u)+")")
		}
		return ps, nil
	}
	// Participants the bridge knows by participant id go in filterIds
	// batches to the instance hosting them; the others one by one.
	byInst := map[Instance][]Participant{}
	var jobs []legJob
	for _, p := range ps {
		if inst, on := t.instanceOn(p.BridgeID); on && len(ps) > 1 && p.CMSParticipantID != "" {
			byInst[inst] = append(byInst[inst], p)
			continue
		}
		jobs = append(jobs, legJob{ps: []Participant{p}})
	}
	for _, inst := range t.Meeting.Instances {
		for chunk := range slices.Chunk(byInst[inst], maxFilterIDs) {
			jobs = append(jobs, legJob{ps: chunk, batch: true, inst: inst})
		}
	}
	done, err := forEach(ctx, jobs, func(ctx context.Context, j legJob) error {
		cl, err := t.client(j.ps[0].BridgeID)
		if err != nil {
			return err
		}
		if j.batch {
			b := bulk
			b.FilterIDs, b.Mode = cms.Set(cms.JoinIDs(cmsIDs(j.ps)...)), cms.Set("selected")
			err = cl.UpdateAllParticipants(ctx, j.inst.CallID, b)
		} else {
			err = cl.UpdateCallLeg(ctx, legOf(j.ps[0]), leg)
		}
		if err != nil {
			return t.refused(err, "change "+describe(j.ps)+" ("+changes(u)+")")
		}
		return nil
	})
	var out []Participant
	for _, j := range done {
		out = append(out, j.ps...)
	}
	return out, err
}

// place puts a participant in a pane of the meeting's pane placement by
// giving it the importance the bridge fills that pane with, first turning
// pane placement on if the meeting has none.
func (t *target) place(ctx context.Context, p Participant, pane int) error {
	inst, cl, err := t.primary()
	if err != nil {
		return err
	}
	call, err := cl.Call(ctx, inst.CallID)
	if err != nil {
		return t.refused(err, "read the meeting's pane placement")
	}
	highest := 0
	if call.PanePlacementHighestImportance != nil {
		highest = *call.PanePlacementHighestImportance
	}
	if highest <= 0 {
		highest = maxPane
		if err := cl.UpdateCall(ctx, inst.CallID, cms.CallParams{PanePlacementHighestImportance: cms.Set(highest)}); err != nil {
			return t.refused(err, "turn on pane placement")
		}
	}
	if pane > highest {
		return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"meeting %q places participants in panes 1 to %d only", t.Meeting.Name, highest)
	}
	return t.updateParticipant(ctx, p, cms.ParticipantUpdate{Importance: cms.Set(highest - pane + 1)},
		fmt.Sprintf("place %s in pane %d", who(p), pane))
}

// updateParticipant changes the bridge's participant behind p (importance
// and lobby admission belong to it, not to the call leg).
func (t *target) updateParticipant(ctx context.Context, p Participant, u cms.ParticipantUpdate, what string) error {
	cl, err := t.client(p.BridgeID)
	if err != nil {
		return err
	}
	if err := cl.UpdateParticipant(ctx, p.CMSParticipantID, u); err != nil {
		return t.refused(err, what)
	}
	return nil
}

// AdmitParticipants admits participants from the lobby (all waiting when
// ids is empty) and returns how many the bridge was asked to admit.
// Participants named are admitted even if the model does not show them in
// the lobby yet: activating an active participant changes nothing, and the
// model may lag the bridge.
func (s *Service) AdmitParticipants(ctx context.Context, meetingID string, ids []string) (int, error) {
	if err := checkIDs(meetingID, ids, false); err != nil {
		return 0, err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return 0, err
	}
	done, err := t.admit(ctx, ids)
	s.record(ctx, t, "Admitted", done, " from the lobby", err)
	return len(done), err
}

// admit activates the participants named, or every one in the lobby, and
// returns those the bridge accepted.
func (t *target) admit(ctx context.Context, ids []string) ([]Participant, error) {
	var ps []Participant
	if len(ids) == 0 {
		for _, p := range t.sorted() {
			if p.State == ParticipantLobby {
				ps = append(ps, p)
			}
		}
	} else {
		var err error
		if ps, err = t.pick(ids); err != nil {
			return nil, err
		}
	}
	if err := needCMSIDs(ps, "admit"); err != nil {
		return nil, err
	}
	return forEach(ctx, ps, func(ctx context.Context, p Participant) error {
		return t.updateParticipant(ctx, p, cms.ParticipantUpdate{Deactivated: cms.Set(false)}, "admit "+who(p))
	})
}

// MoveParticipants moves participants into another active meeting of the
// same cluster: the target meeting's instance (on the participant's own
// bridge when it has one) creates a participant with movedParticipant.
func (s *Service) MoveParticipants(ctx context.Context, meetingID string, ids []string, targetID string) error {
	if err := checkIDs(meetingID, ids, true); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(targetID) == "":
		return errs.Invalid("target_meeting_id", "name the meeting to move the participants to")
	case targetID == meetingID:
		return errs.Invalid("target_meeting_id", "is the meeting the participants are already in")
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return err
	}
	dst, err := s.target(ctx, targetID)
	if errs.KindOf(err) == errs.NotFound {
		return errs.Wrap(err, errs.NotFound, errs.ReasonNotFound, "the meeting to move the participants to (%s) is not an active meeting", targetID)
	}
	if err != nil {
		return err
	}
	ps, err := t.pick(ids)
	if err != nil {
		return err
	}
	done, err := t.move(ctx, ps, dst)
	s.record(ctx, t, "Moved", done, fmt.Sprintf(" to %q", dst.Meeting.Name), err)
	if len(done) > 0 {
		s.recordAction(ctx, dst.Meeting.ID, fmt.Sprintf("Moved %s in from %q", describe(done), t.Meeting.Name))
	}
	return err
}

// move moves ps into dst's meeting and returns those moved.
func (t *target) move(ctx context.Context, ps []Participant, dst *target) ([]Participant, error) {
	if dst.Meeting.ClusterID != t.Meeting.ClusterID {
		return nil, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"meeting %q is in cluster %s, not %s: participants move only within their cluster",
			dst.Meeting.Name, dst.Meeting.ClusterName, t.Meeting.ClusterName)
	}
	if err := needCMSIDs(ps, "move"); err != nil {
		return nil, err
	}
	return forEach(ctx, ps, func(ctx context.Context, p Participant) error {
		inst, on := dst.instanceOn(p.BridgeID)
		cl := dst.Clients[inst.BridgeID]
		if !on || cl == nil {
			var err error
			if inst, cl, err = dst.primary(); err != nil {
				return err
			}
		}
		_, err := cl.AddParticipant(ctx, inst.CallID, cms.ParticipantParams{MovedParticipant: cms.Set(p.CMSParticipantID)})
		if err != nil {
			return t.refused(err, fmt.Sprintf("move %s to %q", who(p), dst.Meeting.Name))
		}
		return nil
	})
}

// UpdateMeeting changes a meeting. Call settings go to one instance: a
// distributed meeting's instances share them (lock, recording and
// streaming are the conference's), and a second request could start a
// second recording.
func (s *Service) UpdateMeeting(ctx context.Context, meetingID string, u MeetingUpdate) error {
	if err := checkMeetingUpdate(meetingID, u); err != nil {
		return err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return err
	}
	what, err := t.updateMeeting(ctx, u)
	if len(what) > 0 {
		s.recordAction(ctx, t.Meeting.ID, strings.Join(what, ", "))
	}
	return err
}

// updateMeeting applies u and returns what the bridge accepted, for the
// event log.
func (t *target) updateMeeting(ctx context.Context, u MeetingUpdate) ([]string, error) {
	inst, cl, err := t.primary()
	if err != nil {
		return nil, err
	}
	var p cms.CallParams
	var done, asked []string
	flag := func(f *cms.Field[bool], v *bool, on, off [2]string) {
		if v == nil {
			return
		}
		*f = cms.Set(*v)
		if !*v {
			on = off
		}
		asked, done = append(asked, on[0]), append(done, on[1])
	}
	flag(&p.Locked, u.Locked, [2]string{"lock the meeting", "Locked the meeting"}, [2]string{"unlock the meeting", "Unlocked the meeting"})
	flag(&p.Recording, u.Recording, [2]string{"start recording", "Started recording"}, [2]string{"stop recording", "Stopped recording"})
	flag(&p.Streaming, u.Streaming, [2]string{"start streaming", "Started streaming"}, [2]string{"stop streaming", "Stopped streaming"})
	flag(&p.JoinAudioMuteOverride, u.JoinAudioMuted, [2]string{"make new participants join muted", "New participants join muted"},
		[2]string{"let new participants join unmuted", "New participants join unmuted"})
	if len(done) > 0 {
		if err := cl.UpdateCall(ctx, inst.CallID, p); err != nil {
			return nil, t.refused(err, strings.Join(asked, " and "))
		}
	}
	if u.Layout != "" {
		if err := cl.UpdateAllParticipants(ctx, inst.CallID, cms.AllParticipantsUpdate{Layout: cms.Set(cms.Layout(u.Layout))}); err != nil {
			return done, t.refused(err, "set the layout of all participants")
		}
		done = append(done, "Set the layout of all participants to "+u.Layout)
	}
	return done, nil
}

// EndMeeting ends a meeting: every instance is deleted, so that a
// distributed meeting ends on every bridge.
func (s *Service) EndMeeting(ctx context.Context, meetingID string) error {
	if err := checkMeetingID(meetingID); err != nil {
		return err
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return err
	}
	if err := t.end(ctx); err != nil {
		return err
	}
	s.recordAction(ctx, t.Meeting.ID, "Ended the meeting")
	return nil
}

// end deletes every reachable instance. An instance the bridge no longer
// has has ended already (deleting one instance can end the others); the
// action fails only when no instance could be ended.
func (t *target) end(ctx context.Context) error {
	var first error
	ended := 0
	for _, inst := range t.Meeting.Instances {
		cl, err := t.client(inst.BridgeID)
		if err == nil {
			err = cl.DeleteCall(ctx, inst.CallID)
			if err == nil || errors.Is(err, cms.ErrNotFound) {
				ended++
				continue
			}
			err = t.refused(err, "end the meeting on "+inst.BridgeName)
		}
		if first == nil {
			first = err
		}
	}
	if ended == 0 {
		return first
	}
	return nil
}

// record logs an action taken on ps as verb, who they were, and rest;
// nothing is logged when nobody was affected. err is the failure that
// stopped the action part way, so that the entry does not claim more than
// the bridge did.
func (s *Service) record(ctx context.Context, t *target, verb string, ps []Participant, rest string, err error) {
	if len(ps) == 0 {
		return
	}
	what := verb + " " + describe(ps) + rest
	if err != nil {
		what += " (not all of it: the action failed part way)"
	}
	s.recordAction(ctx, t.Meeting.ID, what, idsOf(ps)...)
}

// ---- input checks ----

// maxIDs bounds the participants one request names (the proto's bound).
const maxIDs = 1000

func checkMeetingID(id string) error {
	if strings.TrimSpace(id) == "" {
		return errs.Invalid("meeting_id", "name a meeting")
	}
	return nil
}

// checkIDs checks a request's participant ids; required says the request
// must name at least one.
func checkIDs(meetingID string, ids []string, required bool) error {
	if err := checkMeetingID(meetingID); err != nil {
		return err
	}
	switch {
	case required && len(ids) == 0:
		return errs.Invalid("participant_ids", "name at least one participant")
	case len(ids) > maxIDs:
		return errs.Invalid("participant_ids", fmt.Sprintf("name at most %d participants", maxIDs))
	case slices.ContainsFunc(ids, func(id string) bool { return strings.TrimSpace(id) == "" }):
		return errs.Invalid("participant_ids", "must not contain an empty id")
	}
	return nil
}

func checkDial(meetingID string, d Dial) error {
	if err := checkMeetingID(meetingID); err != nil {
		return err
	}
	switch {
	case d.Address == "" && d.CallBackID == "":
		return errs.Invalid("address", "give an address to call, or a participant to call back")
	case d.Address != "" && d.CallBackID != "":
		return errs.Invalid("call_back_participant_id", "give an address or a participant to call back, not both")
	case len(d.Address) > 256:
		return errs.Invalid("address", "must be at most 256 characters")
	case strings.IndexFunc(d.Address, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errs.Invalid("address", "must not contain spaces or control characters")
	case len(d.Name) > 200:
		return errs.Invalid("name", "must be at most 200 characters")
	case strings.IndexFunc(d.Name, unicode.IsControl) >= 0:
		return errs.Invalid("name", "must not contain control characters")
	}
	return checkLayout(d.Layout)
}

func checkParticipantUpdate(meetingID string, u ParticipantUpdate) error {
	if err := checkIDs(meetingID, u.IDs, false); err != nil {
		return err
	}
	if u.AudioMuted == nil && u.VideoMuted == nil && u.Important == nil && u.Layout == "" && u.Pane == 0 {
		return errs.New(errs.InvalidArgument, errs.ReasonInvalidArgument,
			"nothing to change: set audio_muted, video_muted, layout, important or pane")
	}
	if err := checkLayout(u.Layout); err != nil {
		return err
	}
	switch {
	case u.Pane < 0 || u.Pane > maxPane:
		return errs.Invalid("pane", fmt.Sprintf("must be between 1 and %d", maxPane))
	case u.Pane > 0 && len(slices.Compact(slices.Sorted(slices.Values(u.IDs)))) != 1:
		return errs.Invalid("pane", "place one participant at a time")
	case u.Pane > 0 && u.Important != nil:
		return errs.Invalid("pane", "cannot be combined with important: both set the participant's importance")
	}
	return nil
}

func checkMeetingUpdate(meetingID string, u MeetingUpdate) error {
	if err := checkMeetingID(meetingID); err != nil {
		return err
	}
	if u.Locked == nil && u.Recording == nil && u.Streaming == nil && u.JoinAudioMuted == nil && u.Layout == "" {
		return errs.New(errs.InvalidArgument, errs.ReasonInvalidArgument,
			"nothing to change: set locked, recording, streaming, join_audio_muted or layout")
	}
	return checkLayout(u.Layout)
}

// checkLayout accepts "" (no change) and the layouts a bridge knows.
func checkLayout(l string) error {
	switch cms.Layout(l) {
	case "", cms.LayoutAllEqual, cms.LayoutSpeakerOnly, cms.LayoutTelepresence, cms.LayoutStacked,
		cms.LayoutAllEqualQuarters, cms.LayoutAllEqualNinths, cms.LayoutAllEqualSixteenths,
		cms.LayoutAllEqualTwentyFifths, cms.LayoutOnePlusFive, cms.LayoutOnePlusSeven,
		cms.LayoutOnePlusNine, cms.LayoutAutomatic, cms.LayoutOnePlusN:
		return nil
	}
	return errs.Invalid("layout", fmt.Sprintf("%q is not a layout", l))
}

// needCMSIDs refuses to act on participants whose bridge participant id
// the model does not know yet (importance, admission and moves address the
// participant, not its call leg).
func needCMSIDs(ps []Participant, verb string) error {
	var missing []Participant
	for _, p := range ps {
		if p.CMSParticipantID == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"cannot %s %s yet: the Call Bridge has not reported the participant id; try again in a moment", verb, names(missing))
}

// ---- the target's bridges and participants ----

// client returns the wire client of a bridge hosting the meeting.
func (t *target) client(bridgeID int) (*cms.Client, error) {
	if cl := t.Clients[bridgeID]; cl != nil {
		return cl, nil
	}
	name := fmt.Sprint(bridgeID)
	for _, inst := range t.Meeting.Instances {
		if inst.BridgeID == bridgeID {
			name = inst.BridgeName
		}
	}
	return nil, errs.New(errs.Unavailable, errs.ReasonUnavailable, "Call Bridge %s is not connected", name)
}

// primary returns the first instance whose bridge is connected: the one
// the meeting started on unless that bridge is down. Meeting-wide changes
// and dial-outs go there.
func (t *target) primary() (Instance, *cms.Client, error) {
	for _, inst := range t.Meeting.Instances {
		if cl := t.Clients[inst.BridgeID]; cl != nil {
			return inst, cl, nil
		}
	}
	return Instance{}, nil, errs.New(errs.Unavailable, errs.ReasonUnavailable,
		"no Call Bridge hosting meeting %q is connected", t.Meeting.Name)
}

// instanceOn returns the meeting's instance on a bridge.
func (t *target) instanceOn(bridgeID int) (Instance, bool) {
	for _, inst := range t.Meeting.Instances {
		if inst.BridgeID == bridgeID {
			return inst, true
		}
	}
	return Instance{}, false
}

// sorted returns the meeting's participants in join order.
func (t *target) sorted() []Participant {
	ps := slices.Collect(maps.Values(t.Participants))
	slices.SortFunc(ps, func(a, b Participant) int {
		if c := a.Joined.Compare(b.Joined); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ps
}

// pick returns the participants named (each once, in the order given), or
// all of them when none are named; NotFound names those not in the
// meeting.
func (t *target) pick(ids []string) ([]Participant, error) {
	if len(ids) == 0 {
		return t.sorted(), nil
	}
	var out []Participant
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if p, in := t.Participants[id]; in {
			out = append(out, p)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "not in meeting %q: %s", t.Meeting.Name, list(missing))
	}
	return out, nil
}

// refused turns a failed bridge request made to do what into an error the
// operator can act on: a refusal names the bridge's reason.
func (t *target) refused(err error, what string) error {
	if _, classified := errs.From(err); classified {
		return err
	}
	var ae *cms.APIError
	var ce *cms.ConnError
	var de *cms.DecodeError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "could not %s: the Call Bridge did not answer in time", what)
	case errors.As(err, &ce):
		return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "could not %s: the Call Bridge is %s", what, ce.Kind)
	case errors.As(err, &de):
		return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "could not %s: the Call Bridge's reply was not understood", what)
	case !errors.As(err, &ae):
		// The connection broke during the request: the bridge may or may
		// not have acted, and the model will show which.
		return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "could not %s: the connection to the Call Bridge failed", what)
	case ae.Status == 404:
		return errs.Wrap(err, errs.NotFound, errs.ReasonNotFound, "could not %s: the Call Bridge no longer has it (it may have just ended)", what)
	case ae.Status == 503 || ae.Status >= 500:
		return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "could not %s: the Call Bridge is busy or failing (HTTP %d)", what, ae.Status)
	}
	e := errs.Wrap(err, errs.FailedPrecondition, errs.ReasonFailedPrecondition, "the Call Bridge refused to %s: %s", what, t.explain(ae))
	if ae.Reason != "" {
		e.Metadata = map[string]string{"cms_reason": ae.Reason}
	}
	return e
}

// refusals explain the bridge's failure reasons an action can meet.
var refusals = map[string]string{
	"invalidOperation":               "the bridge does not allow it on this meeting",
	"participantCannotBeModified":    "the bridge does not allow this participant to be changed or moved",
	"participantCannotBeDeleted":     "the bridge does not allow this participant to be dropped",
	"participantLimitReached":        "the meeting has reached its participant limit",
	"recordingNotAllowedByLicensing": "recording is not licensed on the cluster",
	"streamingNotAllowedByLicensing": "streaming is not licensed on the cluster",
	"callBridgeUnavailable":          "the Call Bridge that should host the call is unavailable",
	"callBridgeGroupUnavailable":     "no Call Bridge of the group can host the call",
	"loadBalancingDisabled":          "load balancing is off for the Call Bridge group",
}

func (t *target) explain(ae *cms.APIError) string {
	switch {
	case ae.Reason == "invalidOperation" && t.Meeting.CallType == CallTypeLync:
		return "the meeting is dual-homed with Lync / Skype for Business, which controls it (invalidOperation)"
	case ae.Reason == "parameterError":
		return fmt.Sprintf("it rejected the value of %s (%s)", cmp.Or(ae.Parameter, "a parameter"), cmp.Or(ae.Detail, "parameterError"))
	case refusals[ae.Reason] != "":
		return fmt.Sprintf("%s (%s)", refusals[ae.Reason], ae.Reason)
	case ae.Reason != "":
		return ae.Reason
	}
	return fmt.Sprintf("HTTP %d", ae.Status)
}

// ---- bulk requests ----

// bridgeParallel bounds the requests a bulk action has in flight, so that
// dropping a thousand participants neither takes a thousand round trips
// in a row nor floods one bridge.
const bridgeParallel = 8

// forEach runs fn on each item, at most bridgeParallel at once, and returns
// the items it succeeded for, in order, with the first error (by item
// order).
func forEach[T any](ctx context.Context, items []T, fn func(context.Context, T) error) ([]T, error) {
	return forEachN(ctx, bridgeParallel, items, fn)
}

// forEachN is forEach with at most limit calls at once. After a failure it
// starts no more calls: when a bridge refuses or is down, the rest would
// most likely fail the same way.
func forEachN[T any](ctx context.Context, limit int, items []T, fn func(context.Context, T) error) ([]T, error) {
	results := make([]error, len(items))
	started := make([]bool, len(items))
	sem := make(chan struct{}, limit)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for i, it := range items {
		sem <- struct{}{}
		if failed.Load() || ctx.Err() != nil {
			<-sem
			break
		}
		started[i] = true
		wg.Go(func() {
			defer func() { <-sem }()
			if results[i] = fn(ctx, it); results[i] != nil {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	var done []T
	var first error
	for i, it := range items {
		switch {
		case started[i] && results[i] == nil:
			done = append(done, it)
		case first == nil && results[i] != nil:
			first = results[i]
		}
	}
	if first == nil && len(done) < len(items) {
		first = ctx.Err()
	}
	return done, first
}

// ---- wording ----

// who names a participant in messages and the event log.
func who(p Participant) string {
	return cmp.Or(p.Name, p.RemoteAddress, p.ID)
}

// describe names one participant, or counts several.
func describe(ps []Participant) string {
	if len(ps) == 1 {
		return who(ps[0])
	}
	return fmt.Sprintf("%d participants", len(ps))
}

// names lists participants by name, the first few only.
func names(ps []Participant) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = who(p)
	}
	return list(out)
}

// list joins at most 10 items, saying how many more there are.
func list(items []string) string {
	const most = 10
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:most], ", "), len(items)-most)
}

// changes says what u changes, for the event log and errors.
func changes(u ParticipantUpdate) string {
	var out []string
	pick := func(v *bool, on, off string) {
		if v != nil {
			out = append(out, map[bool]string{true: on, false: off}[*v])
		}
	}
	pick(u.AudioMuted, "muted audio", "unmuted audio")
	pick(u.VideoMuted, "stopped video", "started video")
	if u.Layout != "" {
		out = append(out, "layout "+u.Layout)
	}
	pick(u.Important, "marked important", "no longer important")
	if u.Pane > 0 {
		out = append(out, fmt.Sprintf("placed in pane %d", u.Pane))
	}
	return strings.Join(out, ", ")
}

func idsOf(ps []Participant) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func cmsIDs(ps []Participant) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.CMSParticipantID
	}
	return out
}

// legOf returns the bridge's id of a participant's call leg.
func legOf(p Participant) string { return cmp.Or(p.CallLegID, p.ID) }
