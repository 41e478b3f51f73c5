package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LicenseSample is one MPLicenseUsage entry as a Call Bridge reported it:
// the licences a host used at one 5-minute snapshot (SPEC LI-56, LI-61).
// The unique key (host, time) makes a re-fetch of an interval a no-op, so
// that the collector can backfill from the last stored entry after an
// outage.
type LicenseSample struct {
	ent.Schema
}

// Fields of the LicenseSample.
func (LicenseSample) Fields() []ent.Field {
	return []ent.Field{
		// The Switchboard bridge the entry was read from, not a foreign
		// key: samples outlive a removed bridge for the 90-day window.
		field.Int("bridge_id").Immutable(),
		// The bridge's cluster when the entry was read, so that a
		// cluster's history survives the removal of one of its bridges
		// (LI-21, LI-67); 0 for rows stored before this column existed
		// whose bridge was already gone.
		field.Int("cluster_id").Default(0).Immutable(),
		// The host id of the Call Bridge (system/status hostId).
		field.String("host_id").MaxLen(128).NotEmpty().Immutable(),
		// The entry's time attribute, UTC.
		field.Time("time").Immutable(),
		field.Float("pmp").Default(0),
		field.Float("pmp_assigned").Default(0),
		field.Float("smp_aud").Default(0),
		field.Float("smp_ptp").Default(0),
		field.Float("smp_full").Default(0),
		field.Float("rec").Default(0),
		field.Float("str").Default(0),
		// Licence types the bridge reported beyond the seven above, by
		// element name (LI-13: carried through to the reports). NULL
		// when there are none, which is nearly always.
		field.JSON("extra", map[string]float64{}).Optional(),
	}
}

// Indexes of the LicenseSample.
func (LicenseSample) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("host_id", "time").Unique(),
		// The collector's "last stored entry" of a bridge.
		index.Fields("bridge_id", "time"),
		// Range reads and the retention purge.
		index.Fields("time"),
		// A cluster's range reads (Traditional mode's report and status).
		index.Fields("cluster_id", "time"),
		// The report's header lists the further types: the few samples
		// that have any, found without reading the table.
		index.Fields("time").StorageKey("licensesample_time_extra").
			Annotations(entsql.IndexWhere("extra IS NOT NULL")),
	}
}
