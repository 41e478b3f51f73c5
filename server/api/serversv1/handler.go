// Package serversv1 adapts the servers domain service to
// switchboard.servers.v1.
package serversv1

import (
	"context"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/servers/v1/serversv1connect"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// Handler implements serversv1connect.ServerServiceHandler.
type Handler struct {
	serversv1connect.UnimplementedServerServiceHandler
	svc *servers.Service
}

// New returns the handler.
func New(svc *servers.Service) *Handler { return &Handler{svc: svc} }

func parseID(field, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, errs.ReasonNotFound, "no such %s %q", field, s)
	}
	return id, nil
}

// TestCallBridgeConnection implements ServerService.TestCallBridgeConnection.
func (h *Handler) TestCallBridgeConnection(ctx context.Context, req *connect.Request[serversv1.TestCallBridgeConnectionRequest]) (*connect.Response[serversv1.TestCallBridgeConnectionResponse], error) {
	id, err := parseID("Call Bridge", req.Msg.GetCallBridgeId())
	if err != nil {
		return nil, err
	}
	r, err := h.svc.TestConnection(ctx, fromConnection(req.Msg.GetConnection()), id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.TestCallBridgeConnectionResponse{Result: toResult(r)}), nil
}

// AddCallBridge implements ServerService.AddCallBridge.
func (h *Handler) AddCallBridge(ctx context.Context, req *connect.Request[serversv1.AddCallBridgeRequest]) (*connect.Response[serversv1.AddCallBridgeResponse], error) {
	m := req.Msg
	b, c, err := h.svc.AddCallBridge(ctx, servers.NewBridge{Connection: fromConnection(m.GetConnection()), DisplayName: m.GetDisplayName(),
		MeetingManagement: m.MeetingManagement, ClusterDisplayName: m.GetClusterDisplayName()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.AddCallBridgeResponse{CallBridge: toBridge(*b), Cluster: toCluster(*c)}), nil
}

// GetCallBridge implements ServerService.GetCallBridge.
func (h *Handler) GetCallBridge(ctx context.Context, req *connect.Request[serversv1.GetCallBridgeRequest]) (*connect.Response[serversv1.GetCallBridgeResponse], error) {
	id, err := parseID("Call Bridge", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	b, err := h.svc.GetCallBridge(ctx, id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.GetCallBridgeResponse{CallBridge: toBridge(*b)}), nil
}

// UpdateCallBridge implements ServerService.UpdateCallBridge.
func (h *Handler) UpdateCallBridge(ctx context.Context, req *connect.Request[serversv1.UpdateCallBridgeRequest]) (*connect.Response[serversv1.UpdateCallBridgeResponse], error) {
	m := req.Msg
	id, err := parseID("Call Bridge", m.GetId())
	if err != nil {
		return nil, err
	}
	var in servers.BridgeUpdate
	in.DisplayName = m.DisplayName
	if m.Connection != nil {
		c := fromConnection(m.GetConnection())
		in.Connection = &c
	}
	b, err := h.svc.UpdateCallBridge(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.UpdateCallBridgeResponse{CallBridge: toBridge(*b)}), nil
}

// RemoveCallBridge implements ServerService.RemoveCallBridge.
func (h *Handler) RemoveCallBridge(ctx context.Context, req *connect.Request[serversv1.RemoveCallBridgeRequest]) (*connect.Response[serversv1.RemoveCallBridgeResponse], error) {
	id, err := parseID("Call Bridge", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := h.svc.RemoveCallBridge(ctx, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.RemoveCallBridgeResponse{}), nil
}

// ListClusters implements ServerService.ListClusters.
func (h *Handler) ListClusters(ctx context.Context, _ *connect.Request[serversv1.ListClustersRequest]) (*connect.Response[serversv1.ListClustersResponse], error) {
	list, err := h.svc.ListClusters(ctx)
	if err != nil {
		return nil, err
	}
	out := &serversv1.ListClustersResponse{}
	for _, c := range list {
		out.Clusters = append(out.Clusters, toCluster(c))
	}
	return connect.NewResponse(out), nil
}

// UpdateCluster implements ServerService.UpdateCluster.
func (h *Handler) UpdateCluster(ctx context.Context, req *connect.Request[serversv1.UpdateClusterRequest]) (*connect.Response[serversv1.UpdateClusterResponse], error) {
	id, err := parseID("cluster", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	c, err := h.svc.UpdateCluster(ctx, id, req.Msg.DisplayName, req.Msg.MeetingManagement)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.UpdateClusterResponse{Cluster: toCluster(*c)}), nil
}

// AddDiscoveredCallBridges implements ServerService.AddDiscoveredCallBridges.
func (h *Handler) AddDiscoveredCallBridges(ctx context.Context, req *connect.Request[serversv1.AddDiscoveredCallBridgesRequest]) (*connect.Response[serversv1.AddDiscoveredCallBridgesResponse], error) {
	cid, err := parseID("cluster", req.Msg.GetClusterId())
	if err != nil {
		return nil, err
	}
	tid, err := parseID("Call Bridge", req.Msg.GetTemplateCallBridgeId())
	if err != nil {
		return nil, err
	}
	results, err := h.svc.AddDiscovered(ctx, cid, tid)
	if err != nil {
		return nil, err
	}
	out := &serversv1.AddDiscoveredCallBridgesResponse{}
	for _, r := range results {
		d := &serversv1.DiscoveredResult{Discovered: toPeer(r.Peer)}
		if r.Bridge != nil {
			d.CallBridge = toBridge(*r.Bridge)
		}
		if r.Failure != nil {
			d.Failure = toResult(*r.Failure)
		}
		out.Results = append(out.Results, d)
	}
	return connect.NewResponse(out), nil
}

// GetCdrReceiverSettings implements ServerService.GetCdrReceiverSettings.
func (h *Handler) GetCdrReceiverSettings(ctx context.Context, _ *connect.Request[serversv1.GetCdrReceiverSettingsRequest]) (*connect.Response[serversv1.GetCdrReceiverSettingsResponse], error) {
	a, w, err := h.svc.CDRReceiverAddress(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.GetCdrReceiverSettingsResponse{Settings: &serversv1.CdrReceiverSettings{Address: a, Warnings: w}}), nil
}

// UpdateCdrReceiverSettings implements ServerService.UpdateCdrReceiverSettings.
func (h *Handler) UpdateCdrReceiverSettings(ctx context.Context, req *connect.Request[serversv1.UpdateCdrReceiverSettingsRequest]) (*connect.Response[serversv1.UpdateCdrReceiverSettingsResponse], error) {
	a, w, err := h.svc.SetCDRReceiverAddress(ctx, req.Msg.GetAddress())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&serversv1.UpdateCdrReceiverSettingsResponse{Settings: &serversv1.CdrReceiverSettings{Address: a, Warnings: w}}), nil
}

func fromConnection(c *serversv1.CallBridgeConnection) servers.Connection {
	return servers.Connection{Address: c.GetAddress(), Port: int(c.GetPort()), Username: c.GetUsername(), Password: c.GetPassword(),
		VerifyCertificate: c.GetVerifyCertificate(), TrustedChainPEM: c.GetTrustedChainPem(), CheckCRL: c.GetCheckCrl()}
}

var failures = map[servers.Failure]serversv1.ConnectionFailure{
	servers.FailureUnreachable:    serversv1.ConnectionFailure_CONNECTION_FAILURE_UNREACHABLE,
	servers.FailureTLSHandshake:   serversv1.ConnectionFailure_CONNECTION_FAILURE_TLS_HANDSHAKE,
	servers.FailureUntrusted:      serversv1.ConnectionFailure_CONNECTION_FAILURE_UNTRUSTED,
	servers.FailureNameMismatch:   serversv1.ConnectionFailure_CONNECTION_FAILURE_NAME_MISMATCH,
	servers.FailureRevoked:        serversv1.ConnectionFailure_CONNECTION_FAILURE_REVOKED,
	servers.FailureCRLUnavailable: serversv1.ConnectionFailure_CONNECTION_FAILURE_CRL_UNAVAILABLE,
	servers.FailureBadCredentials: serversv1.ConnectionFailure_CONNECTION_FAILURE_BAD_CREDENTIALS,
	servers.FailureNotCallBridge:  serversv1.ConnectionFailure_CONNECTION_FAILURE_NOT_CALL_BRIDGE,
	servers.FailureAPIError:       serversv1.ConnectionFailure_CONNECTION_FAILURE_API_ERROR,
}

var states = map[string]serversv1.ConnectionState{
	servers.StateUnknown:         serversv1.ConnectionState_CONNECTION_STATE_UNKNOWN,
	servers.StateConnected:       serversv1.ConnectionState_CONNECTION_STATE_CONNECTED,
	servers.StateSynchronizing:   serversv1.ConnectionState_CONNECTION_STATE_SYNCHRONIZING,
	servers.StateAuthFailed:      serversv1.ConnectionState_CONNECTION_STATE_AUTH_FAILED,
	servers.StateTLSFailed:       serversv1.ConnectionState_CONNECTION_STATE_TLS_FAILED,
	servers.StateUnreachable:     serversv1.ConnectionState_CONNECTION_STATE_UNREACHABLE,
	servers.StateEventsDisrupted: serversv1.ConnectionState_CONNECTION_STATE_EVENTS_DISRUPTED,
	servers.StateNotCallBridge:   serversv1.ConnectionState_CONNECTION_STATE_NOT_CALL_BRIDGE,
}

func toResult(r servers.TestResult) *serversv1.ConnectionTestResult {
	return &serversv1.ConnectionTestResult{Ok: r.OK, Failure: failures[r.Failure], Message: r.Message,
		SoftwareVersion: r.SoftwareVersion, BridgeName: r.BridgeName, Clustered: r.Clustered, TlsVerified: r.TLSVerified}
}

func toBridge(b servers.Bridge) *serversv1.CallBridge {
	out := &serversv1.CallBridge{Id: strconv.Itoa(b.ID), ClusterId: strconv.Itoa(b.ClusterID), DisplayName: b.DisplayName,
		Address: b.Address, Port: uint32(b.Port), Username: b.Username, HasPassword: b.HasPassword,
		VerifyCertificate: b.VerifyCertificate, TrustedChainPem: b.TrustedChainPEM, CheckCrl: b.CheckCRL, TlsVerified: b.TLSVerified(),
		BridgeName: b.BridgeName, SoftwareVersion: b.SoftwareVersion, ConnectionState: states[b.State], ConnectionMessage: b.StateMessage,
		CreateTime: timestamppb.New(b.CreateTime), UpdateTime: timestamppb.New(b.UpdateTime)}
	if b.LastContact != nil {
		out.LastContactTime = timestamppb.New(*b.LastContact)
	}
	return out
}

func toPeer(p servers.Peer) *serversv1.DiscoveredCallBridge {
	return &serversv1.DiscoveredCallBridge{Name: p.Name, Url: p.URL, Address: p.Address, Port: uint32(p.Port)}
}

func toCluster(c servers.Cluster) *serversv1.Cluster {
	out := &serversv1.Cluster{Id: strconv.Itoa(c.ID), DisplayName: c.DisplayName, CmsClusterId: c.CMSClusterID,
		MeetingManagement: c.MeetingManagement, CreateTime: timestamppb.New(c.CreateTime)}
	for _, b := range c.Bridges {
		out.CallBridges = append(out.CallBridges, toBridge(b))
	}
	for _, p := range c.Discovered {
		out.Discovered = append(out.Discovered, toPeer(p))
	}
	return out
}
