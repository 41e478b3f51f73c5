// Package meetingsv1 adapts the meetings domain service to
// switchboard.meetings.v1: each method converts the request to domain
// types, calls one domain method and converts the result back.
package meetingsv1

import (
	"context"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/server/meetings"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Handler implements meetingsv1connect.MeetingServiceHandler.
type Handler struct {
	meetingsv1connect.UnimplementedMeetingServiceHandler
	svc *meetings.Service
}

// New returns the handler.
func New(svc *meetings.Service) *Handler { return &Handler{svc: svc} }

// errFellBehind ends a watch whose consumer could not keep up: the domain
// dropped it rather than buffer without bound, and the client watches
// again to get a fresh snapshot.
func errFellBehind() error {
	return errs.New(errs.Unavailable, errs.ReasonUnavailable, "fell behind; watch again")
}

// ListMeetings implements MeetingService.ListMeetings.
func (h *Handler) ListMeetings(ctx context.Context, req *connect.Request[meetingsv1.ListMeetingsRequest]) (*connect.Response[meetingsv1.ListMeetingsResponse], error) {
	m := req.Msg
	q := meetings.ListQuery{Ended: m.GetEnded(), Query: m.GetQuery(), PageSize: int(m.GetPageSize()), PageToken: m.GetPageToken()}
	for _, s := range m.GetClusterIds() {
		id, err := strconv.Atoi(s)
		if err != nil || id <= 0 {
			return nil, errs.Invalid("cluster_ids", strconv.Quote(s)+" is not a cluster id")
		}
		q.ClusterIDs = append(q.ClusterIDs, id)
	}
	res, err := h.svc.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &meetingsv1.ListMeetingsResponse{NextPageToken: res.NextPageToken, TotalSize: int32(res.Total)}
	for i := range res.Meetings {
		out.Meetings = append(out.Meetings, toMeeting(&res.Meetings[i]))
	}
	for _, c := range res.Unmonitored {
		out.UnmonitoredClusters = append(out.UnmonitoredClusters, &meetingsv1.ClusterRef{Id: strconv.Itoa(c.ID), Name: c.Name})
	}
	return connect.NewResponse(out), nil
}

// GetMeeting implements MeetingService.GetMeeting.
func (h *Handler) GetMeeting(ctx context.Context, req *connect.Request[meetingsv1.GetMeetingRequest]) (*connect.Response[meetingsv1.GetMeetingResponse], error) {
	mt, err := h.svc.Get(ctx, req.Msg.GetMeetingId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.GetMeetingResponse{Meeting: toMeeting(mt)}), nil
}

// ListParticipants implements MeetingService.ListParticipants.
func (h *Handler) ListParticipants(ctx context.Context, req *connect.Request[meetingsv1.ListParticipantsRequest]) (*connect.Response[meetingsv1.ListParticipantsResponse], error) {
	m := req.Msg
	page, err := h.svc.Participants(ctx, m.GetMeetingId(), m.GetIncludeDisconnected(), int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.ListParticipantsResponse{Participants: toParticipants(page.Participants),
		NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}), nil
}

// GetParticipantStatistics implements MeetingService.GetParticipantStatistics.
func (h *Handler) GetParticipantStatistics(ctx context.Context, req *connect.Request[meetingsv1.GetParticipantStatisticsRequest]) (*connect.Response[meetingsv1.GetParticipantStatisticsResponse], error) {
	legs, read, err := h.svc.Statistics(ctx, req.Msg.GetMeetingId(), req.Msg.GetParticipantId())
	if err != nil {
		return nil, err
	}
	out := &meetingsv1.GetParticipantStatisticsResponse{ReadTime: timestamp(read)}
	for _, l := range legs {
		out.CallLegs = append(out.CallLegs, toLegStatistics(l))
	}
	return connect.NewResponse(out), nil
}

// ListMeetingEvents implements MeetingService.ListMeetingEvents.
func (h *Handler) ListMeetingEvents(ctx context.Context, req *connect.Request[meetingsv1.ListMeetingEventsRequest]) (*connect.Response[meetingsv1.ListMeetingEventsResponse], error) {
	m := req.Msg
	page, err := h.svc.Events(ctx, m.GetMeetingId(), int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.ListMeetingEventsResponse{Events: toEvents(page.Events), NextPageToken: page.NextPageToken}), nil
}

// WatchMeetings implements MeetingService.WatchMeetings. Like every watch
// it is not user activity: only the console's explicit ReportActivity
// keeps a session from idling out, so an open stream does not.
func (h *Handler) WatchMeetings(ctx context.Context, _ *connect.Request[meetingsv1.WatchMeetingsRequest], stream *connect.ServerStream[meetingsv1.WatchMeetingsResponse]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // releases the domain watcher if Send fails
	snapshot, changes, err := h.svc.WatchList(ctx)
	if err != nil {
		return err
	}
	if len(snapshot) == 0 {
		if err := stream.Send(&meetingsv1.WatchMeetingsResponse{SnapshotComplete: true}); err != nil {
			return err
		}
	}
	for i := range snapshot {
		if err := stream.Send(&meetingsv1.WatchMeetingsResponse{Meeting: toMeeting(&snapshot[i]), SnapshotComplete: i == len(snapshot)-1}); err != nil {
			return err
		}
	}
	return forward(ctx, changes, func(c meetings.ListChange) (bool, error) {
		msg := &meetingsv1.WatchMeetingsResponse{EndedMeetingId: c.EndedID}
		if c.Meeting != nil {
			msg.Meeting = toMeeting(c.Meeting)
		}
		return false, stream.Send(msg)
	})
}

// forward sends each change with send until ctx ends, send says the watch
// is over, or the domain closes the channel (the watcher fell behind: the
// client watches again).
func forward[T any](ctx context.Context, changes <-chan T, send func(T) (last bool, err error)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c, ok := <-changes:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errFellBehind()
			}
			if last, err := send(c); last || err != nil {
				return err
			}
		}
	}
}

// WatchMeeting implements MeetingService.WatchMeeting. It ends normally
// after the change that ends the meeting; like WatchMeetings it is not
// user activity.
func (h *Handler) WatchMeeting(ctx context.Context, req *connect.Request[meetingsv1.WatchMeetingRequest], stream *connect.ServerStream[meetingsv1.WatchMeetingResponse]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	snapshot, changes, err := h.svc.WatchMeeting(ctx, req.Msg.GetMeetingId())
	if err != nil {
		return err
	}
	first := toMeetingChange(snapshot)
	first.SnapshotComplete = true
	if err := stream.Send(first); err != nil {
		return err
	}
	if snapshot.Ended {
		return nil
	}
	return forward(ctx, changes, func(c meetings.MeetingChange) (bool, error) {
		return c.Ended, stream.Send(toMeetingChange(c))
	})
}

// PinMeeting implements MeetingService.PinMeeting.
func (h *Handler) PinMeeting(ctx context.Context, req *connect.Request[meetingsv1.PinMeetingRequest]) (*connect.Response[meetingsv1.PinMeetingResponse], error) {
	if err := h.svc.Pin(ctx, req.Msg.GetMeetingId(), true); err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.PinMeetingResponse{}), nil
}

// UnpinMeeting implements MeetingService.UnpinMeeting.
func (h *Handler) UnpinMeeting(ctx context.Context, req *connect.Request[meetingsv1.UnpinMeetingRequest]) (*connect.Response[meetingsv1.UnpinMeetingResponse], error) {
	if err := h.svc.Pin(ctx, req.Msg.GetMeetingId(), false); err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.UnpinMeetingResponse{}), nil
}

// AddParticipant implements MeetingService.AddParticipant.
func (h *Handler) AddParticipant(ctx context.Context, req *connect.Request[meetingsv1.AddParticipantRequest]) (*connect.Response[meetingsv1.AddParticipantResponse], error) {
	m := req.Msg
	switch {
	case m.GetAddress() == "" && m.GetCallBackParticipantId() == "":
		return nil, errs.Invalid("address", "give the address to call, or call_back_participant_id")
	case m.GetAddress() != "" && m.GetCallBackParticipantId() != "":
		return nil, errs.Invalid("call_back_participant_id", "give either an address or call_back_participant_id, not both")
	}
	id, err := h.svc.AddParticipant(ctx, m.GetMeetingId(), meetings.Dial{Address: m.GetAddress(), CallBackID: m.GetCallBackParticipantId(),
		Name: m.GetName(), Layout: fromLayout(m.GetLayout())})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.AddParticipantResponse{ParticipantId: id}), nil
}

// DropParticipants implements MeetingService.DropParticipants.
func (h *Handler) DropParticipants(ctx context.Context, req *connect.Request[meetingsv1.DropParticipantsRequest]) (*connect.Response[meetingsv1.DropParticipantsResponse], error) {
	if err := h.svc.DropParticipants(ctx, req.Msg.GetMeetingId(), req.Msg.GetParticipantIds()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.DropParticipantsResponse{}), nil
}

// UpdateParticipants implements MeetingService.UpdateParticipants.
func (h *Handler) UpdateParticipants(ctx context.Context, req *connect.Request[meetingsv1.UpdateParticipantsRequest]) (*connect.Response[meetingsv1.UpdateParticipantsResponse], error) {
	m := req.Msg
	if m.GetPane() != 0 && len(m.GetParticipantIds()) != 1 {
		return nil, errs.Invalid("pane", "a pane is set for exactly one participant: give one participant_id")
	}
	if m.AudioMuted == nil && m.VideoMuted == nil && m.Important == nil && m.GetLayout() == meetingsv1.Layout_LAYOUT_UNSPECIFIED && m.GetPane() == 0 {
		return nil, errs.Invalid("audio_muted", "nothing to change: set audio_muted, video_muted, layout, important or pane")
	}
	err := h.svc.UpdateParticipants(ctx, m.GetMeetingId(), meetings.ParticipantUpdate{IDs: m.GetParticipantIds(),
		AudioMuted: m.AudioMuted, VideoMuted: m.VideoMuted, Important: m.Important, Layout: fromLayout(m.GetLayout()), Pane: int(m.GetPane())})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.UpdateParticipantsResponse{}), nil
}

// AdmitParticipants implements MeetingService.AdmitParticipants.
func (h *Handler) AdmitParticipants(ctx context.Context, req *connect.Request[meetingsv1.AdmitParticipantsRequest]) (*connect.Response[meetingsv1.AdmitParticipantsResponse], error) {
	n, err := h.svc.AdmitParticipants(ctx, req.Msg.GetMeetingId(), req.Msg.GetParticipantIds())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.AdmitParticipantsResponse{Admitted: int32(n)}), nil
}

// MoveParticipants implements MeetingService.MoveParticipants.
func (h *Handler) MoveParticipants(ctx context.Context, req *connect.Request[meetingsv1.MoveParticipantsRequest]) (*connect.Response[meetingsv1.MoveParticipantsResponse], error) {
	m := req.Msg
	if m.GetTargetMeetingId() == m.GetMeetingId() {
		return nil, errs.Invalid("target_meeting_id", "is the meeting the participants are already in")
	}
	if err := h.svc.MoveParticipants(ctx, m.GetMeetingId(), m.GetParticipantIds(), m.GetTargetMeetingId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.MoveParticipantsResponse{}), nil
}

// UpdateMeeting implements MeetingService.UpdateMeeting.
func (h *Handler) UpdateMeeting(ctx context.Context, req *connect.Request[meetingsv1.UpdateMeetingRequest]) (*connect.Response[meetingsv1.UpdateMeetingResponse], error) {
	m := req.Msg
	if m.Locked == nil && m.Recording == nil && m.Streaming == nil && m.JoinAudioMuted == nil && m.GetLayout() == meetingsv1.Layout_LAYOUT_UNSPECIFIED {
		return nil, errs.Invalid("locked", "nothing to change: set locked, recording, streaming, join_audio_muted or layout")
	}
	err := h.svc.UpdateMeeting(ctx, m.GetMeetingId(), meetings.MeetingUpdate{Locked: m.Locked, Recording: m.Recording,
		Streaming: m.Streaming, JoinAudioMuted: m.JoinAudioMuted, Layout: fromLayout(m.GetLayout())})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.UpdateMeetingResponse{}), nil
}

// EndMeeting implements MeetingService.EndMeeting.
func (h *Handler) EndMeeting(ctx context.Context, req *connect.Request[meetingsv1.EndMeetingRequest]) (*connect.Response[meetingsv1.EndMeetingResponse], error) {
	if err := h.svc.EndMeeting(ctx, req.Msg.GetMeetingId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&meetingsv1.EndMeetingResponse{}), nil
}

// timestamp converts a domain time, UTC on the wire (MT-12); the zero
// time (not happened yet) stays unset.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.UTC())
}

func toMeeting(m *meetings.Meeting) *meetingsv1.Meeting {
	out := &meetingsv1.Meeting{
		Id: m.ID, Name: m.Name, ClusterId: strconv.Itoa(m.ClusterID), ClusterName: m.ClusterName, SpaceId: m.SpaceID,
		CallType: toCallType(m.CallType), State: toState(m.State), StartTime: timestamp(m.Start), EndTime: timestamp(m.End),
		ParticipantCount: int32(m.Participants), LobbyCount: int32(m.Lobby), PeakParticipantCount: int32(m.Peak),
		Recording: m.Recording, Streaming: m.Streaming, Locked: m.Locked, JoinAudioMuted: m.JoinAudioMuted,
		Pinned: m.Pinned, CallCorrelator: m.Correlator,
	}
	for _, in := range m.Instances {
		out.Instances = append(out.Instances, &meetingsv1.BridgeInstance{CallBridgeId: strconv.Itoa(in.BridgeID),
			CallBridgeName: in.BridgeName, CallId: in.CallID})
	}
	return out
}

func toParticipants(list []meetings.Participant) []*meetingsv1.Participant {
	out := make([]*meetingsv1.Participant, 0, len(list))
	for i := range list {
		out = append(out, toParticipant(&list[i]))
	}
	return out
}

func toParticipant(p *meetings.Participant) *meetingsv1.Participant {
	out := &meetingsv1.Participant{
		Id: p.ID, MeetingId: p.MeetingID, Name: p.Name, RemoteAddress: p.RemoteAddress, LocalAddress: p.LocalAddress,
		Direction: toDirection(p.Direction), CallType: p.CallType, State: toParticipantState(p.State),
		AudioMuted: p.AudioMuted, VideoMuted: p.VideoMuted, Layout: toLayout(p.Layout), Important: p.Important,
		JoinTime: timestamp(p.Joined), LeaveTime: timestamp(p.Left), CallLegId: p.CallLegID,
		Speaking: p.Speaking, Alarms: p.Alarms, DisconnectReason: p.DisconnectReason,
	}
	if p.BridgeID != 0 {
		out.CallBridgeId = strconv.Itoa(p.BridgeID)
	}
	return out
}

func toEvents(list []meetings.Event) []*meetingsv1.MeetingEvent {
	out := make([]*meetingsv1.MeetingEvent, 0, len(list))
	for _, e := range list {
		out = append(out, &meetingsv1.MeetingEvent{Sequence: e.Seq, Time: timestamp(e.Time), Kind: toEventKind(e.Kind),
			Description: e.Description, ParticipantId: e.ParticipantID, ParticipantName: e.ParticipantName,
			Actor: e.Actor, Inferred: e.Inferred})
	}
	return out
}

func toMeetingChange(c meetings.MeetingChange) *meetingsv1.WatchMeetingResponse {
	out := &meetingsv1.WatchMeetingResponse{}
	if c.Meeting != nil {
		out.Meeting = toMeeting(c.Meeting)
	}
	if len(c.Participants) > 0 {
		out.Participants = toParticipants(c.Participants)
	}
	if len(c.Events) > 0 {
		out.Events = toEvents(c.Events)
	}
	return out
}

func toLegStatistics(l meetings.LegStatistics) *meetingsv1.CallLegStatistics {
	return &meetingsv1.CallLegStatistics{
		CallLegId: l.CallLegID, DurationSeconds: int64(l.Duration / time.Second), Encrypted: l.Encrypted,
		RxAudio: toAudio(l.RxAudio), TxAudio: toAudio(l.TxAudio),
		RxVideo: toVideo(l.RxVideo), TxVideo: toVideo(l.TxVideo),
		RxPresentation: toVideo(l.RxPresentation), TxPresentation: toVideo(l.TxPresentation),
	}
}

func toAudio(a *meetings.AudioStats) *meetingsv1.AudioStatistics {
	if a == nil {
		return nil
	}
	return &meetingsv1.AudioStatistics{Codec: a.Codec, BitRate: a.BitRate, JitterMs: a.JitterMS,
		PacketLossPercent: a.PacketLossPercent, RoundTripTimeMs: a.RoundTrip}
}

func toVideo(list []meetings.VideoStats) []*meetingsv1.VideoStatistics {
	var out []*meetingsv1.VideoStatistics
	for _, v := range list {
		out = append(out, &meetingsv1.VideoStatistics{Codec: v.Codec, Width: int32(v.Width), Height: int32(v.Height),
			FrameRate: v.FrameRate, BitRate: v.BitRate, JitterMs: v.JitterMS, PacketLossPercent: v.PacketLossPercent,
			RoundTripTimeMs: v.RoundTrip})
	}
	return out
}
