package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// LdapGroup maps a directory group (by DN) to a role (AU-34).
type LdapGroup struct {
	ent.Schema
}

// Mixin of the LdapGroup.
func (LdapGroup) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the LdapGroup.
func (LdapGroup) Fields() []ent.Field {
	return []ent.Field{
		// The DN as entered.
		field.String("dn").NotEmpty().MaxLen(1024),
		// The DN normalised (parsed, attribute types and values folded to
		// lower case), so that one group cannot be mapped twice.
		field.String("dn_key").NotEmpty().MaxLen(1024).Unique(),
		field.Enum("role").Values("administrator", "video_operator"),
	}
}
