package meetings

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	"github.com/switchboardhq/switchboard/ent/meeting"
	"github.com/switchboardhq/switchboard/ent/meetingevent"
	"github.com/switchboardhq/switchboard/ent/meetingparticipant"
	"github.com/switchboardhq/switchboard/server/platform/database"
)

// rows is what one step writes: copies of the changed meetings and
// participants, taken under the model's lock, and the new log entries.
type rows struct {
	meetings []Meeting
	search   map[string]string // meeting id → search text
	parts    []Participant
	events   []Event
	eventsOf []string
}

// size is the number of rows r writes.
func (r *rows) size() int { return len(r.meetings) + len(r.parts) + len(r.events) }

// snapshot copies the changes out of the model; call it with s.mu held.
func snapshot(c delta) rows {
	r := rows{search: map[string]string{}, events: c.events, eventsOf: c.eventsOf}
	for _, l := range c.meetings {
		r.meetings = append(r.meetings, l.m)
		r.search[l.m.ID] = searchText(l)
	}
	for _, p := range c.parts {
		r.parts = append(r.parts, *p)
	}
	slices.SortFunc(r.meetings, func(a, b Meeting) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(r.parts, func(a, b Participant) int { return strings.Compare(a.ID, b.ID) })
	return r
}

// searchText is what a search matches: the meeting's name and space, and
// its participants' names and addresses, lower-cased.
func searchText(l *live) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(l.m.Name))
	for _, p := range l.parts {
		b.WriteByte('\n')
		b.WriteString(strings.ToLower(p.Name))
		b.WriteByte('\n')
		b.WriteString(strings.ToLower(p.RemoteAddress))
	}
	return b.String()
}

// write stores r in tx; the new events get their sequence numbers.
func write(ctx context.Context, tx *ent.Tx, r *rows) error {
	for start := 0; start < len(r.meetings); start += 100 {
		batch := r.meetings[start:min(start+100, len(r.meetings))]
		creates := make([]*ent.MeetingCreate, 0, len(batch))
		for _, m := range batch {
			body, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("encode meeting: %w", err)
			}
			c := tx.Meeting.Create().SetID(m.ID).SetClusterID(m.ClusterID).SetName(m.Name).
				SetState(stateColumn(m.State)).SetStartTime(m.Start).SetPinned(m.Pinned).
				SetSearch(r.search[m.ID]).SetBody(string(body))
			if !m.End.IsZero() {
				c.SetEndTime(m.End)
			}
			creates = append(creates, c)
		}
		if err := tx.Meeting.CreateBulk(creates...).OnConflictColumns(meeting.FieldID).UpdateNewValues().Exec(ctx); err != nil {
			return err
		}
	}
	for start := 0; start < len(r.parts); start += 200 {
		batch := r.parts[start:min(start+200, len(r.parts))]
		creates := make([]*ent.MeetingParticipantCreate, 0, len(batch))
		for _, p := range batch {
			body, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("encode participant: %w", err)
			}
			creates = append(creates, tx.MeetingParticipant.Create().SetID(p.ID).SetMeetingID(p.MeetingID).
				SetJoinTime(p.Joined).SetLeft(p.State == ParticipantDisconnected).SetBody(string(body)))
		}
		if err := tx.MeetingParticipant.CreateBulk(creates...).
			OnConflictColumns(meetingparticipant.FieldID).UpdateNewValues().Exec(ctx); err != nil {
			return err
		}
	}
	for start := 0; start < len(r.events); start += 200 {
		end := min(start+200, len(r.events))
		creates := make([]*ent.MeetingEventCreate, 0, end-start)
		for i := start; i < end; i++ {
			e := r.events[i]
			creates = append(creates, tx.MeetingEvent.Create().SetMeetingID(r.eventsOf[i]).SetTime(e.Time).
				SetKind(kindColumn(e.Kind)).SetDescription(e.Description).SetParticipantID(e.ParticipantID).
				SetParticipantName(truncate(e.ParticipantName, 512)).SetActor(e.Actor).SetInferred(e.Inferred))
		}
		saved, err := tx.MeetingEvent.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return err
		}
		for i, s := range saved {
			r.events[start+i].Seq = int64(s.ID)
		}
	}
	return nil
}

// load reads the active meetings and their participants.
func load(ctx context.Context, db *ent.Client) ([]Meeting, map[string][]Participant, error) {
	ms, err := db.Meeting.Query().Where(meeting.StateEQ(meeting.StateActive)).All(ctx)
	if err != nil {
		return nil, nil, database.Translate(err)
	}
	out := make([]Meeting, 0, len(ms))
	ids := make([]string, 0, len(ms))
	for _, row := range ms {
		m, err := decodeMeeting(row)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, m)
		ids = append(ids, m.ID)
	}
	parts := map[string][]Participant{}
	for start := 0; start < len(ids); start += 500 {
		ps, err := db.MeetingParticipant.Query().
			Where(meetingparticipant.MeetingIDIn(ids[start:min(start+500, len(ids))]...)).All(ctx)
		if err != nil {
			return nil, nil, database.Translate(err)
		}
		for _, row := range ps {
			p, err := decodeParticipant(row)
			if err != nil {
				return nil, nil, err
			}
			parts[p.MeetingID] = append(parts[p.MeetingID], p)
		}
	}
	return out, parts, nil
}

func decodeParticipant(row *ent.MeetingParticipant) (Participant, error) {
	var p Participant
	if err := json.Unmarshal([]byte(row.Body), &p); err != nil {
		return p, fmt.Errorf("decode participant %s: %w", row.ID, err)
	}
	return p, nil
}

func decodeMeeting(row *ent.Meeting) (Meeting, error) {
	var m Meeting
	if err := json.Unmarshal([]byte(row.Body), &m); err != nil {
		return m, fmt.Errorf("decode meeting %s: %w", row.ID, err)
	}
	m.Pinned = row.Pinned // pins are written on the row alone
	return m, nil
}

// purge deletes what ended before cutoff: meetings with their
// participants and event logs, and the CDRs already applied.
func purge(ctx context.Context, db *ent.Client, cutoff time.Time, log *slog.Logger) (string, error) {
	var meetings, records int
	err := database.WithTx(ctx, db, func(tx *ent.Tx) error {
		ids, err := tx.Meeting.Query().Where(meeting.StateEQ(meeting.StateEnded), meeting.EndTimeLT(cutoff)).IDs(ctx)
		if err != nil {
			return err
		}
		for start := 0; start < len(ids); start += 500 {
			batch := ids[start:min(start+500, len(ids))]
			if _, err := tx.MeetingEvent.Delete().Where(meetingevent.MeetingIDIn(batch...)).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.MeetingParticipant.Delete().Where(meetingparticipant.MeetingIDIn(batch...)).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.Meeting.Delete().Where(meeting.IDIn(batch...)).Exec(ctx); err != nil {
				return err
			}
		}
		meetings = len(ids)
		records, err = tx.CdrRecord.Delete().Where(cdrrecord.Applied(true), cdrrecord.ReceiveTimeLT(cutoff)).Exec(ctx)
		return err
	})
	if err != nil {
		return "", database.Translate(err)
	}
	if meetings+records > 0 {
		log.InfoContext(ctx, "purged meeting history", slog.Int("meetings", meetings), slog.Int("cdr_records", records))
	}
	return fmt.Sprintf("deleted %d ended meetings and %d applied CDRs", meetings, records), nil
}

func stateColumn(s State) meeting.State {
	if s == Ended {
		return meeting.StateEnded
	}
	return meeting.StateActive
}

var eventKinds = map[EventKind]string{
	EventMeetingStarted: "meeting_started", EventMeetingEnded: "meeting_ended",
	EventParticipantJoined: "participant_joined", EventParticipantLeft: "participant_left",
	EventParticipantChanged: "participant_changed", EventMeetingChanged: "meeting_changed",
	EventOperatorAction: "operator_action",
}

func kindColumn(k EventKind) string { return eventKinds[k] }

func kindOf(s string) EventKind {
	for k, v := range eventKinds {
		if v == s {
			return k
		}
	}
	return EventUnknown
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
