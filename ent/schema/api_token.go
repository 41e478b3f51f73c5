package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// ApiToken is a long-lived credential for integrations, with its own role
// and expiry. Only the SHA-256 of the secret is stored.
type ApiToken struct {
	ent.Schema
}

// Fields of the ApiToken.
func (ApiToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(128).Unique(),
		field.Bytes("token_hash").NotEmpty().Unique().Immutable().Sensitive(),
		// The first characters of the secret, to recognise it.
		field.String("prefix").MaxLen(16).Immutable(),
		field.Enum("role").Values("administrator", "video_operator").Immutable(),
		field.String("created_by").MaxLen(256).Default("").Immutable(),
		field.Time("create_time").Default(nowUTC).Immutable(),
		field.Time("expire_time").Immutable(),
		field.Time("last_use_time").Optional().Nillable(),
	}
}
