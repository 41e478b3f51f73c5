package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a person who can sign in. Local users carry a password hash;
// directory (LDAP) users are recorded on first sign-in so that sessions and
// audit records can refer to them, but never carry a password.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("source").Values("local", "ldap").Default("local").Immutable(),
		// Case-sensitive and immutable (AU-12, AU-13). Unique per source, so
		// that a directory user named like a local one stays distinct.
		field.String("username").NotEmpty().MaxLen(256).Immutable(),
		field.String("first_name").MaxLen(256).Default(""),
		field.String("last_name").MaxLen(256).Default(""),
		field.Enum("role").Values("administrator", "video_operator"),
		// PHC-formatted argon2id hash; empty for directory users.
		field.String("password_hash").Default("").Sensitive(),
		field.Time("last_sign_in_time").Optional().Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		// A user's sessions go with the user.
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("source", "username").Unique(),
	}
}
