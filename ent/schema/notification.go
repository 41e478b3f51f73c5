package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Notification is one condition that needs attention (OV-02), raised and
// cleared by the condition itself. While it holds, active_key is
// "code|subject kind|subject id", unique, so raising twice is idempotent;
// when it clears, active_key is unset and resolve_time set, and the row
// is purged 7 days later.
type Notification struct {
	ent.Schema
}

// Mixin of the Notification.
func (Notification) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").NotEmpty().MaxLen(64).Immutable(),
		field.Enum("severity").Values("error", "warning", "information"),
		field.String("subject_kind").MaxLen(64).Default("").Immutable(),
		field.String("subject_id").MaxLen(128).Default("").Immutable(),
		field.String("subject_name").MaxLen(256).Default(""),
		field.Text("message"),
		field.String("active_key").MaxLen(300).Optional().Nillable().Unique(),
		field.Time("resolve_time").Optional().Nillable(),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("resolve_time"),
		index.Fields("subject_kind", "subject_id"),
	}
}
