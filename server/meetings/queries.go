package meetings

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/meeting"
	"github.com/switchboardhq/switchboard/ent/meetingevent"
	"github.com/switchboardhq/switchboard/ent/meetingparticipant"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// Page sizes.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

func pageSize(n int) int {
	if n <= 0 {
		return defaultPageSize
	}
	return min(n, maxPageSize)
}

// offsetOf decodes an offset page token.
func offsetOf(token, field string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, errs.Invalid(field, "is not a page token this service gave")
	}
	return n, nil
}

func notFound(id string) error {
	return errs.New(errs.NotFound, errs.ReasonNotFound, "no meeting %q, active or ended in the last 7 days", id)
}

// List lists active or ended meetings, pinned first, then newest first.
func (s *Service) List(ctx context.Context, q ListQuery) (ListResult, error) {
	offset, err := offsetOf(q.PageToken, "page_token")
	if err != nil {
		return ListResult{}, err
	}
	if len(q.Query) > 256 {
		return ListResult{}, errs.Invalid("query", "is longer than 256 characters")
	}
	size := pageSize(q.PageSize)
	var res ListResult
	if q.Ended {
		res, err = s.listEnded(ctx, q, offset, size)
	} else {
		res = s.listActive(q, offset, size)
	}
	if err != nil {
		return ListResult{}, err
	}
	// As the follow loop last read them (every FollowInterval): a list
	// never waits for the database.
	s.mu.RLock()
	res.Unmonitored = slices.Clone(s.unmonitored)
	s.mu.RUnlock()
	return res, nil
}

func (s *Service) listActive(q ListQuery, offset, size int) ListResult {
	needle := strings.ToLower(strings.TrimSpace(q.Query))
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Sort pointers and copy only the page: with thousands of meetings a
	// copy of each would be most of the call's cost.
	all := make([]*live, 0, len(s.md.meetings))
	for _, l := range s.md.meetings {
		if len(q.ClusterIDs) > 0 && !slices.Contains(q.ClusterIDs, l.m.ClusterID) {
			continue
		}
		if needle != "" && !matches(l, needle) {
			continue
		}
		all = append(all, l)
	}
	slices.SortFunc(all, func(a, b *live) int {
		if a.m.Pinned != b.m.Pinned {
			if a.m.Pinned {
				return -1
			}
			return 1
		}
		return cmp.Or(b.m.Start.Compare(a.m.Start), strings.Compare(a.m.ID, b.m.ID))
	})
	res := ListResult{Total: len(all)}
	if offset < len(all) {
		end := min(offset+size, len(all))
		for _, l := range all[offset:end] {
			m := l.m
			m.Instances = slices.Clone(m.Instances)
			res.Meetings = append(res.Meetings, m)
		}
		if end < len(all) {
			res.NextPageToken = strconv.Itoa(end)
		}
	}
	return res
}

// matches reports whether the meeting's name, space URI or a current
// participant's name or address contains needle (lower case).
func matches(l *live, needle string) bool {
	if strings.Contains(strings.ToLower(l.m.Name), needle) || strings.Contains(strings.ToLower(l.m.SpaceID), needle) {
		return true
	}
	for _, p := range l.parts {
		if strings.Contains(strings.ToLower(p.Name), needle) || strings.Contains(strings.ToLower(p.RemoteAddress), needle) {
			return true
		}
	}
	return false
}

func (s *Service) listEnded(ctx context.Context, q ListQuery, offset, size int) (ListResult, error) {
	where := []predicate.Meeting{meeting.StateEQ(meeting.StateEnded), meeting.EndTimeGTE(s.now().Add(-s.opts.Retention))}
	if len(q.ClusterIDs) > 0 {
		where = append(where, meeting.ClusterIDIn(q.ClusterIDs...))
	}
	if needle := strings.ToLower(strings.TrimSpace(q.Query)); needle != "" {
		where = append(where, meeting.SearchContains(needle))
	}
	query := s.db.Meeting.Query().Where(where...)
	total, err := query.Clone().Count(ctx)
	if err != nil {
		return ListResult{}, database.Translate(err)
	}
	rows, err := query.Order(ent.Desc(meeting.FieldPinned), ent.Desc(meeting.FieldEndTime), ent.Asc(meeting.FieldID)).
		Offset(offset).Limit(size).All(ctx)
	if err != nil {
		return ListResult{}, database.Translate(err)
	}
	res := ListResult{Total: total}
	for _, row := range rows {
		m, err := decodeMeeting(row)
		if err != nil {
			return ListResult{}, err
		}
		res.Meetings = append(res.Meetings, m)
	}
	if offset+len(rows) < total {
		res.NextPageToken = strconv.Itoa(offset + len(rows))
	}
	return res, nil
}

// Get returns one meeting, active or ended within the retention window.
func (s *Service) Get(ctx context.Context, id string) (*Meeting, error) {
	if err := checkMeetingID(id); err != nil {
		return nil, err
	}
	s.mu.RLock()
	l := s.md.meetings[id]
	var m Meeting
	if l != nil {
		m = l.m
	}
	s.mu.RUnlock()
	if l != nil {
		return &m, nil
	}
	return s.stored(ctx, id)
}

// stored reads an ended meeting from the database.
func (s *Service) stored(ctx context.Context, id string) (*Meeting, error) {
	row, err := s.db.Meeting.Query().Where(meeting.ID(id), meeting.StateEQ(meeting.StateEnded),
		meeting.EndTimeGTE(s.now().Add(-s.opts.Retention))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	m, err := decodeMeeting(row)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Participants pages through a meeting's participants in join order.
func (s *Service) Participants(ctx context.Context, meetingID string, includeDisconnected bool, size int, pageToken string) (ParticipantPage, error) {
	if err := checkMeetingID(meetingID); err != nil {
		return ParticipantPage{}, err
	}
	offset, err := offsetOf(pageToken, "page_token")
	if err != nil {
		return ParticipantPage{}, err
	}
	size = pageSize(size)
	s.mu.RLock()
	l := s.md.meetings[meetingID]
	var all []Participant
	if l != nil {
		for _, p := range l.parts {
			if includeDisconnected || p.State != ParticipantDisconnected {
				all = append(all, *p)
			}
		}
	}
	s.mu.RUnlock()
	if l == nil {
		// An ended meeting: every participant has left, so the list is
		// the whole roster it had.
		if _, err := s.stored(ctx, meetingID); err != nil {
			return ParticipantPage{}, err
		}
		if all, err = s.storedParticipants(ctx, meetingID); err != nil {
			return ParticipantPage{}, err
		}
	}
	sortParticipants(all)
	page := ParticipantPage{Total: len(all)}
	if offset < len(all) {
		end := min(offset+size, len(all))
		page.Participants = all[offset:end]
		if end < len(all) {
			page.NextPageToken = strconv.Itoa(end)
		}
	}
	return page, nil
}

func (s *Service) storedParticipants(ctx context.Context, meetingID string) ([]Participant, error) {
	rows, err := s.db.MeetingParticipant.Query().Where(meetingparticipant.MeetingID(meetingID)).All(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	out := make([]Participant, 0, len(rows))
	for _, row := range rows {
		p, err := decodeParticipant(row)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func sortParticipants(ps []Participant) {
	slices.SortFunc(ps, func(a, b Participant) int {
		return cmp.Or(a.Joined.Compare(b.Joined), strings.Compare(a.ID, b.ID))
	})
}

// Events pages through a meeting's event log, oldest first.
func (s *Service) Events(ctx context.Context, meetingID string, size int, pageToken string) (EventPage, error) {
	if err := checkMeetingID(meetingID); err != nil {
		return EventPage{}, err
	}
	after, err := offsetOf(pageToken, "page_token")
	if err != nil {
		return EventPage{}, err
	}
	if _, err := s.Get(ctx, meetingID); err != nil {
		return EventPage{}, err
	}
	size = pageSize(size)
	rows, err := s.db.MeetingEvent.Query().Where(meetingevent.MeetingID(meetingID), meetingevent.IDGT(after)).
		Order(ent.Asc(meetingevent.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return EventPage{}, database.Translate(err)
	}
	var page EventPage
	if len(rows) > size {
		rows = rows[:size]
		page.NextPageToken = strconv.Itoa(rows[size-1].ID)
	}
	for _, r := range rows {
		page.Events = append(page.Events, Event{Seq: int64(r.ID), Time: r.Time.UTC(), Kind: kindOf(r.Kind),
			Description: r.Description, ParticipantID: r.ParticipantID, ParticipantName: r.ParticipantName,
			Actor: r.Actor, Inferred: r.Inferred})
	}
	return page, nil
}

// WatchList returns the active meetings and a channel of changes after
// them. The channel is closed when ctx ends, or when the watcher falls too
// far behind (the caller then ends its stream; the client re-watches).
func (s *Service) WatchList(ctx context.Context) ([]Meeting, <-chan ListChange, error) {
	// Subscribing under the model's lock means no change is missed: one
	// applied before is in the snapshot, one applied after is published
	// to this watcher (one in between may come twice, harmlessly).
	s.mu.RLock()
	defer s.mu.RUnlock()
	w := s.hub.addList(ctx)
	out := make([]Meeting, 0, len(s.md.meetings))
	for _, l := range s.md.meetings {
		out = append(out, l.m)
	}
	slices.SortFunc(out, func(a, b Meeting) int { return cmp.Or(b.Start.Compare(a.Start), strings.Compare(a.ID, b.ID)) })
	return out, w.out, nil
}

// WatchMeeting returns one meeting with its current participants and a
// channel of its changes; the channel closes after the change with Ended,
// when ctx ends, or when the watcher falls too far behind.
func (s *Service) WatchMeeting(ctx context.Context, id string) (MeetingChange, <-chan MeetingChange, error) {
	if err := checkMeetingID(id); err != nil {
		return MeetingChange{}, nil, err
	}
	s.mu.RLock()
	l := s.md.meetings[id]
	if l == nil {
		s.mu.RUnlock()
		m, err := s.stored(ctx, id)
		if err != nil {
			return MeetingChange{}, nil, err
		}
		parts, err := s.storedParticipants(ctx, id)
		if err != nil {
			return MeetingChange{}, nil, err
		}
		sortParticipants(parts)
		ch := make(chan MeetingChange)
		close(ch)
		return MeetingChange{Meeting: m, Participants: parts, Ended: true}, ch, nil
	}
	defer s.mu.RUnlock()
	w := s.hub.addMeeting(ctx, id)
	m := l.m
	first := MeetingChange{Meeting: &m}
	for _, p := range l.parts {
		first.Participants = append(first.Participants, *p)
	}
	sortParticipants(first.Participants)
	return first, w.ch, nil
}

// Pin pins or unpins a meeting for every user of this instance.
func (s *Service) Pin(ctx context.Context, id string, pinned bool) error {
	if err := checkMeetingID(id); err != nil {
		return err
	}
	found := false
	err := s.change(ctx, func(md *model) {
		if l := md.meetings[id]; l != nil {
			found = true
			if l.m.Pinned != pinned {
				l.m.Pinned = pinned
				md.touch(l)
			}
		}
	}, nil)
	if err != nil || found {
		return err
	}
	n, err := s.db.Meeting.Update().Where(meeting.ID(id), meeting.StateEQ(meeting.StateEnded),
		meeting.EndTimeGTE(s.now().Add(-s.opts.Retention))).SetPinned(pinned).Save(ctx)
	if err != nil {
		return database.Translate(err)
	}
	if n == 0 {
		return notFound(id)
	}
	return nil
}

// target finds an active meeting for an action: NotFound for an unknown
// or ended meeting, Unavailable when none of its bridges can be reached.
func (s *Service) target(ctx context.Context, meetingID string) (*target, error) {
	s.mu.RLock()
	l := s.md.meetings[meetingID]
	var t *target
	if l != nil {
		t = &target{Meeting: l.m, Clients: map[int]*cms.Client{}, Participants: map[string]Participant{}}
		t.Meeting.Instances = slices.Clone(l.m.Instances)
		for _, p := range l.parts {
			if p.State != ParticipantDisconnected {
				t.Participants[p.ID] = *p
			}
		}
	}
	s.mu.RUnlock()
	if t == nil {
		if _, err := s.stored(ctx, meetingID); err == nil {
			return nil, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "the meeting %q has ended", meetingID)
		}
		return nil, notFound(meetingID)
	}
	var last error
	for _, in := range t.Meeting.Instances {
		cl, err := s.clientOf(ctx, in.BridgeID)
		if err != nil {
			last = err
			continue
		}
		t.Clients[in.BridgeID] = cl
	}
	if len(t.Clients) == 0 {
		return nil, errs.Wrap(last, errs.Unavailable, errs.ReasonUnavailable, "no Call Bridge of the meeting %q can be reached", meetingID)
	}
	return t, nil
}

// recordAction appends an operator-action entry, with the acting user from
// ctx's principal, to the meeting's event log (and the system log).
func (s *Service) recordAction(ctx context.Context, meetingID, description string, participantIDs ...string) {
	actor := "system"
	if p, ok := principal.From(ctx); ok {
		actor = p.Username
	}
	err := s.change(context.WithoutCancel(ctx), func(md *model) {
		l := md.meetings[meetingID]
		if l == nil {
			return
		}
		e := Event{Time: s.now().UTC(), Kind: EventOperatorAction, Description: description, Actor: actor}
		if len(participantIDs) == 1 {
			if p := l.parts[participantIDs[0]]; p != nil {
				e.ParticipantID, e.ParticipantName = p.ID, p.Name
			}
		}
		md.dirty.events = append(md.dirty.events, e)
		md.dirty.eventsOf = append(md.dirty.eventsOf, meetingID)
	}, nil)
	if err != nil {
		s.log.WarnContext(ctx, "recording an operator action", "meeting_id", meetingID, "error", err)
	}
	// The bridge's own view of the change arrives with its events; asking
	// now as well shows it at once, even when events lag.
	s.requestRefresh(meetingID)
}
