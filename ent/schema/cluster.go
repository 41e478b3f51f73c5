package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Cluster is a group of Call Bridges sharing one configuration, as their
// own API reports it; a standalone bridge is a cluster of one (SV-01).
type Cluster struct {
	ent.Schema
}

// Mixin of the Cluster.
func (Cluster) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Cluster.
func (Cluster) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty().MaxLen(128),
		// The clusterId the members report; empty for a standalone bridge.
		field.String("cms_cluster_id").MaxLen(128).Default(""),
		// Use Switchboard to manage meetings on this cluster (SV-20).
		field.Bool("meeting_management").Default(true),
		// The peers the members' /callBridges list, as JSON
		// [{"name","url"}], refreshed by the monitor (SV-17).
		field.Text("peers").Default(""),
	}
}

// Edges of the Cluster.
func (Cluster) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("call_bridges", CallBridge.Type).Annotations(entsql.OnDelete(entsql.Restrict)),
	}
}
