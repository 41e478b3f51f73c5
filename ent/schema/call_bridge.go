package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CallBridge is one managed Call Bridge: how to reach and trust its API,
// and what Switchboard last saw of it. The API password is sealed with the
// instance's secret key (SV-08).
type CallBridge struct {
	ent.Schema
}

// Mixin of the CallBridge.
func (CallBridge) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CallBridge.
func (CallBridge) Fields() []ent.Field {
	return []ent.Field{
		field.Int("cluster_id"),
		field.String("display_name").NotEmpty().MaxLen(128),
		// Host name, IPv4, or IPv6 in brackets, lower case.
		field.String("address").NotEmpty().MaxLen(260),
		field.Int("port"),
		field.String("username").NotEmpty().MaxLen(256),
		field.Bytes("password_sealed").NotEmpty().Sensitive(),
		field.Bool("verify_certificate").Default(false),
		field.Text("trusted_chain_pem").Default(""),
		field.Bool("check_crl").Default(false),
		// The bridge's uniqueName in its cluster, and the clusterId it
		// reported last (SV-26).
		field.String("bridge_name").MaxLen(256).Default(""),
		field.String("cms_cluster_id").MaxLen(128).Default(""),
		field.String("software_version").MaxLen(64).Default(""),
		// Connection state (SV-31): unknown, connected, synchronizing,
		// auth_failed, tls_failed, unreachable, events_disrupted,
		// not_call_bridge.
		field.String("connection_state").MaxLen(32).Default("unknown"),
		field.String("connection_message").MaxLen(1024).Default(""),
		field.Time("last_contact_time").Optional().Nillable(),
		// Switchboard's own entry in the bridge's CDR receiver list: its
		// id on the bridge and the URI registered (SV-21, SV-23).
		field.String("cdr_receiver_id").MaxLen(128).Default(""),
		field.String("cdr_receiver_uri").MaxLen(512).Default(""),
	}
}

// Edges of the CallBridge.
func (CallBridge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cluster", Cluster.Type).Ref("call_bridges").Field("cluster_id").Unique().Required(),
	}
}

// Indexes of the CallBridge.
func (CallBridge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("address", "port").Unique()}
}
