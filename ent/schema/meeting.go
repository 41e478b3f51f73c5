package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Meeting is one meeting of the live model, active or ended within the
// history window. The id is the bridges' call correlator, shared by every
// instance of a distributed meeting. The columns are what queries filter
// and sort on; body is the whole domain meeting (server/meetings.Meeting)
// as JSON, so the model is restored exactly after a restart.
type Meeting struct {
	ent.Schema
}

// Fields of the Meeting.
func (Meeting) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(64).NotEmpty().Immutable(),
		field.Int("cluster_id"),
		field.String("name").MaxLen(512).Default(""),
		field.Enum("state").Values("active", "ended"),
		field.Time("start_time"),
		field.Time("end_time").Optional().Nillable(),
		// Pinned meetings are listed first, for every user (MT-14).
		field.Bool("pinned").Default(false),
		// Lower-cased name, space URI and participant names and
		// addresses, for the ended-meetings search.
		field.Text("search").Default(""),
		field.Text("body"),
		field.Time("update_time").Default(nowUTC).UpdateDefault(nowUTC),
	}
}

// Indexes of the Meeting.
func (Meeting) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state", "end_time"),
	}
}

// MeetingParticipant is one participant (call leg) of a stored meeting;
// body is the domain participant as JSON.
type MeetingParticipant struct {
	ent.Schema
}

// Fields of the MeetingParticipant.
func (MeetingParticipant) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(64).NotEmpty().Immutable(),
		field.String("meeting_id").MaxLen(64),
		field.Time("join_time"),
		field.Bool("left").Default(false),
		field.Text("body"),
	}
}

// Indexes of the MeetingParticipant.
func (MeetingParticipant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("meeting_id", "join_time"),
	}
}

// MeetingEvent is one entry of a meeting's event log (MT-17): joins,
// leaves, changes and operator actions, kept with the meeting.
type MeetingEvent struct {
	ent.Schema
}

// Fields of the MeetingEvent.
func (MeetingEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("meeting_id").MaxLen(64).Immutable(),
		field.Time("time").Immutable(),
		field.String("kind").MaxLen(32).Immutable(),
		field.Text("description").Immutable(),
		field.String("participant_id").MaxLen(64).Default("").Immutable(),
		field.String("participant_name").MaxLen(512).Default("").Immutable(),
		// The signed-in user of an operator action.
		field.String("actor").MaxLen(256).Default("").Immutable(),
		// The time could only be inferred (MT-20).
		field.Bool("inferred").Default(false).Immutable(),
	}
}

// Indexes of the MeetingEvent.
func (MeetingEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("meeting_id", "id"),
	}
}
