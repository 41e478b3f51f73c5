package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PasswordHistory keeps the hashes of a local user's recent passwords, the
// current one included, for the reuse policy (AU-18, AU-22).
type PasswordHistory struct {
	ent.Schema
}

// Fields of the PasswordHistory.
func (PasswordHistory) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("password_hash").NotEmpty().Immutable().Sensitive(),
		field.Time("create_time").Default(nowUTC).Immutable(),
	}
}

// Edges of the PasswordHistory.
func (PasswordHistory) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("password_history").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the PasswordHistory.
func (PasswordHistory) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "create_time")}
}
