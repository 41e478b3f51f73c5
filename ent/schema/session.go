package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Session is a signed-in user's session. Only the SHA-256 of the token is
// stored, so a copy of the database cannot be used to sign in.
type Session struct {
	ent.Schema
}

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").NotEmpty().Unique().Immutable().Sensitive(),
		field.Int("user_id").Immutable(),
		field.Time("create_time").Default(nowUTC).Immutable(),
		// The last user interaction; background refreshes do not move it.
		field.Time("last_activity_time").Default(nowUTC),
		// The hard end of the session, whatever the activity.
		field.Time("expire_time").Immutable(),
		field.String("remote_addr").MaxLen(256).Default(""),
		field.String("user_agent").MaxLen(512).Default(""),
		// Set when the session expired (idle or 24 h). The row is kept for
		// a day so that the holder is told SESSION_EXPIRED rather than
		// "unknown session", then purged.
		field.Time("end_time").Optional().Nillable(),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("expire_time"),
	}
}
