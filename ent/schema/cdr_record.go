package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CdrRecord is one Call Detail Record as a Call Bridge posted it, stored
// before the post is acknowledged so that nothing acknowledged is lost. A
// bridge re-sends a batch it got no 200 for; the unique key (bridge,
// session, correlator index) makes the re-send a no-op.
type CdrRecord struct {
	ent.Schema
}

// Fields of the CdrRecord.
func (CdrRecord) Fields() []ent.Field {
	return []ent.Field{
		// The Switchboard bridge the post was addressed to (its receiver
		// path), not a foreign key: records outlive a removed bridge for
		// the history window.
		field.Int("bridge_id").Immutable(),
		// The bridge's CDR session, new on every bridge restart.
		field.String("session").MaxLen(128).Immutable(),
		field.Int64("correlator_index").Immutable(),
		field.Int64("record_index").Immutable(),
		field.String("type").MaxLen(64).Immutable(),
		field.Time("time").Immutable(),
		field.String("call_id").MaxLen(64).Default("").Immutable(),
		field.String("call_leg_id").MaxLen(64).Default("").Immutable(),
		// The decoded record as JSON (server/cms/cdr.Record).
		field.Text("body").Immutable(),
		field.Time("receive_time").Default(nowUTC).Immutable(),
		// Set once the live meeting model has applied the record.
		field.Bool("applied").Default(false),
	}
}

// Indexes of the CdrRecord.
func (CdrRecord) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("bridge_id", "session", "correlator_index").Unique(),
		// The receiver reads a bridge's last record (its session) on every
		// post: without this it sorted all the bridge's records.
		index.Fields("bridge_id", "id"),
		index.Fields("applied", "id"),
		index.Fields("receive_time"),
	}
}
