package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Setting is one typed settings section stored as JSON under a key, such as
// "auth.sign_in" or "users.directory". Secrets inside a value are sealed by
// the owning domain before they get here.
type Setting struct {
	ent.Schema
}

// Mixin of the Setting.
func (Setting) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Setting.
func (Setting) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxLen(128).Unique().Immutable(),
		field.Text("value"),
		// Bumped on every write, for optimistic concurrency.
		field.Int("revision").Default(1),
	}
}
