package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// PassphraseDictionary is the administrator's uploaded word list for the
// passphrase generator (AU-25). There is at most one row; without it the
// built-in list is used. It belongs to the database part of a backup.
type PassphraseDictionary struct {
	ent.Schema
}

// Fields of the PassphraseDictionary.
func (PassphraseDictionary) Fields() []ent.Field {
	return []ent.Field{
		// The normalised words, one per line.
		field.Text("words"),
		field.Int("word_count"),
		field.String("sha256").MaxLen(64),
		field.String("uploaded_by").MaxLen(256).Default(""),
		field.Time("create_time").Default(nowUTC).Immutable(),
	}
}
