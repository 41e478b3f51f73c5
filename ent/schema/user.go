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
		// The client address of the last successful sign-in.
		field.String("last_sign_in_addr").MaxLen(256).Default(""),
		// Failed sign-ins since the last successful one, and the latest of
		// them, for the account-activity page (AU-56).
		field.Int("failed_sign_ins").Default(0),
		field.Time("last_failed_sign_in_time").Optional().Nillable(),
		// The directory's display name of an LDAP user.
		field.String("display_name").MaxLen(512).Default(""),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		// A user's sessions go with the user.
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("password_history", PasswordHistory.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("source", "username").Unique(),
	}
}
