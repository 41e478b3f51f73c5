package meetingsv1

import (
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/meetings"
)

// layouts maps the wire enum to the bridge's layout names, which the domain
// keeps as they are.
var layouts = map[meetingsv1.Layout]cms.Layout{
	meetingsv1.Layout_LAYOUT_ALL_EQUAL:               cms.LayoutAllEqual,
	meetingsv1.Layout_LAYOUT_SPEAKER_ONLY:            cms.LayoutSpeakerOnly,
	meetingsv1.Layout_LAYOUT_TELEPRESENCE:            cms.LayoutTelepresence,
	meetingsv1.Layout_LAYOUT_STACKED:                 cms.LayoutStacked,
	meetingsv1.Layout_LAYOUT_ALL_EQUAL_QUARTERS:      cms.LayoutAllEqualQuarters,
	meetingsv1.Layout_LAYOUT_ALL_EQUAL_NINTHS:        cms.LayoutAllEqualNinths,
	meetingsv1.Layout_LAYOUT_ALL_EQUAL_SIXTEENTHS:    cms.LayoutAllEqualSixteenths,
	meetingsv1.Layout_LAYOUT_ALL_EQUAL_TWENTY_FIFTHS: cms.LayoutAllEqualTwentyFifths,
	meetingsv1.Layout_LAYOUT_ONE_PLUS_FIVE:           cms.LayoutOnePlusFive,
	meetingsv1.Layout_LAYOUT_ONE_PLUS_SEVEN:          cms.LayoutOnePlusSeven,
	meetingsv1.Layout_LAYOUT_ONE_PLUS_NINE:           cms.LayoutOnePlusNine,
	meetingsv1.Layout_LAYOUT_AUTOMATIC:               cms.LayoutAutomatic,
	meetingsv1.Layout_LAYOUT_ONE_PLUS_N:              cms.LayoutOnePlusN,
}

// layoutNames is layouts reversed.
var layoutNames = func() map[cms.Layout]meetingsv1.Layout {
	m := make(map[cms.Layout]meetingsv1.Layout, len(layouts))
	for k, v := range layouts {
		m[v] = k
	}
	return m
}()

// fromLayout gives the bridge's name of a layout; "" (unset) for
// LAYOUT_UNSPECIFIED. protovalidate has already refused undefined values.
func fromLayout(l meetingsv1.Layout) string { return string(layouts[l]) }

// toLayout gives the wire enum of a bridge layout name; a name this
// version does not know (a newer bridge's) shows as unspecified.
func toLayout(name string) meetingsv1.Layout { return layoutNames[cms.Layout(name)] }

func toState(s meetings.State) meetingsv1.MeetingState {
	switch s {
	case meetings.Active:
		return meetingsv1.MeetingState_MEETING_STATE_ACTIVE
	case meetings.Ended:
		return meetingsv1.MeetingState_MEETING_STATE_ENDED
	}
	return meetingsv1.MeetingState_MEETING_STATE_UNSPECIFIED
}

func toCallType(c meetings.CallType) meetingsv1.CallType {
	switch c {
	case meetings.CallTypeSpace:
		return meetingsv1.CallType_CALL_TYPE_SPACE
	case meetings.CallTypeAdHoc:
		return meetingsv1.CallType_CALL_TYPE_AD_HOC
	case meetings.CallTypeLync:
		return meetingsv1.CallType_CALL_TYPE_LYNC
	case meetings.CallTypeForwarding:
		return meetingsv1.CallType_CALL_TYPE_FORWARDING
	}
	return meetingsv1.CallType_CALL_TYPE_UNSPECIFIED
}

func toParticipantState(s meetings.ParticipantState) meetingsv1.ParticipantState {
	switch s {
	case meetings.ParticipantConnecting:
		return meetingsv1.ParticipantState_PARTICIPANT_STATE_CONNECTING
	case meetings.ParticipantConnected:
		return meetingsv1.ParticipantState_PARTICIPANT_STATE_CONNECTED
	case meetings.ParticipantLobby:
		return meetingsv1.ParticipantState_PARTICIPANT_STATE_LOBBY
	case meetings.ParticipantOnHold:
		return meetingsv1.ParticipantState_PARTICIPANT_STATE_ON_HOLD
	case meetings.ParticipantDisconnected:
		return meetingsv1.ParticipantState_PARTICIPANT_STATE_DISCONNECTED
	}
	return meetingsv1.ParticipantState_PARTICIPANT_STATE_UNSPECIFIED
}

func toDirection(d meetings.Direction) meetingsv1.Direction {
	switch d {
	case meetings.DirectionIncoming:
		return meetingsv1.Direction_DIRECTION_INCOMING
	case meetings.DirectionOutgoing:
		return meetingsv1.Direction_DIRECTION_OUTGOING
	}
	return meetingsv1.Direction_DIRECTION_UNSPECIFIED
}

func toEventKind(k meetings.EventKind) meetingsv1.MeetingEventKind {
	switch k {
	case meetings.EventMeetingStarted:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_MEETING_STARTED
	case meetings.EventMeetingEnded:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_MEETING_ENDED
	case meetings.EventParticipantJoined:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_JOINED
	case meetings.EventParticipantLeft:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_LEFT
	case meetings.EventParticipantChanged:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_CHANGED
	case meetings.EventMeetingChanged:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_MEETING_CHANGED
	case meetings.EventOperatorAction:
		return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_OPERATOR_ACTION
	}
	return meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_UNSPECIFIED
}
