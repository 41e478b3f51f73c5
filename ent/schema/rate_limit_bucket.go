package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RateLimitBucket is the sign-in token bucket of one username, known or not
// (AU-43, AU-46). A missing row is a full bucket.
type RateLimitBucket struct {
	ent.Schema
}

// Fields of the RateLimitBucket.
func (RateLimitBucket) Fields() []ent.Field {
	return []ent.Field{
		field.String("username").NotEmpty().MaxLen(256).Unique().Immutable(),
		field.Int("tokens"),
		// The start of the current refill interval.
		field.Time("refill_base"),
		// Bumped on every write: updates are compare-and-swap on it.
		field.Int("version").Default(1),
	}
}

// Indexes of the RateLimitBucket.
func (RateLimitBucket) Indexes() []ent.Index {
	return []ent.Index{index.Fields("refill_base")}
}
