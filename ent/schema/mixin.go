package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// TimeMixin gives an entity create and update times, always in UTC.
type TimeMixin struct {
	mixin.Schema
}

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("create_time").Default(nowUTC).Immutable(),
		field.Time("update_time").Default(nowUTC).UpdateDefault(nowUTC),
	}
}

func nowUTC() time.Time { return time.Now().UTC() }
