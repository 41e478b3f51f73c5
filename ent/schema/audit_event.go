package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEvent records one state-changing call: who, what, when, from where and
// with what outcome. Records are append-only; secrets never reach them.
type AuditEvent struct {
	ent.Schema
}

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("time").Default(nowUTC).Immutable(),
		// The username, or "anonymous" / "system" / "bootstrap".
		field.String("actor").MaxLen(256).Immutable(),
		field.String("actor_source").MaxLen(16).Default("").Immutable(),
		// The full procedure name, e.g. /switchboard.auth.v1.AuthService/SignIn,
		// or a named host-level action such as BREAK_GLASS_RESET.
		field.String("action").MaxLen(256).Immutable(),
		field.String("target").MaxLen(512).Default("").Immutable(),
		field.String("remote_addr").MaxLen(256).Default("").Immutable(),
		// "OK" or the error reason.
		field.String("outcome").MaxLen(64).Immutable(),
		// The request with secret fields masked, as JSON.
		field.Text("details").Default("").Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("time"),
		index.Fields("actor", "time"),
	}
}
