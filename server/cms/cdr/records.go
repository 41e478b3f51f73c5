package cdr

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
)

// Type is a record's type attribute.
type Type string

// The record types of CMS 2.x–3.x.
const (
	CallStart      Type = "callStart"
	CallEnd        Type = "callEnd"
	CallLegStart   Type = "callLegStart"
	CallLegUpdate  Type = "callLegUpdate"
	CallLegEnd     Type = "callLegEnd"
	RecordingStart Type = "recordingStart"
	RecordingEnd   Type = "recordingEnd"
	StreamingStart Type = "streamingStart"
	StreamingEnd   Type = "streamingEnd"
)

// bodyElement is the element that wraps each known type's content.
var bodyElement = map[Type]string{
	CallStart:      "call",
	CallEnd:        "call",
	CallLegStart:   "callLeg",
	CallLegUpdate:  "callLeg",
	CallLegEnd:     "callLeg",
	RecordingStart: "recording",
	RecordingEnd:   "recording",
	StreamingStart: "streaming",
	StreamingEnd:   "streaming",
}

// Known reports whether t is a record type this package decodes.
func (t Type) Known() bool { _, ok := bodyElement[t]; return ok }

// Batch is the <records> envelope.
type Batch struct {
	// Session is regenerated at each restart of the bridge; session and
	// correlatorIndex together identify a record.
	Session string `json:"session"`
	// CallBridge is the bridge's id in /callBridges; empty when the bridge
	// is not clustered.
	CallBridge string `json:"callBridge,omitempty"`
}

// Record is one <record> with its envelope values. Exactly one body
// pointer is set for a known type whose body element was as expected;
// otherwise the body is in Unknown.
type Record struct {
	Type Type      `json:"type"`
	Time time.Time `json:"time"`
	// RecordIndex counts records sent to this receiver, from 1.
	RecordIndex uint64 `json:"recordIndex"`
	// CorrelatorIndex counts records the bridge produced, from 0; it is
	// the same for every receiver.
	CorrelatorIndex uint64 `json:"correlatorIndex"`
	// NumPrecedingRecordsMissing is the numPreceedingRecordsMissing
	// attribute (the bridge's spelling): how many records were dropped
	// before this one while the receiver could not be reached.
	NumPrecedingRecordsMissing uint64 `json:"numPreceedingRecordsMissing,omitempty"`
	Session                    string `json:"session"`
	CallBridge                 string `json:"callBridge,omitempty"`

	CallStart      *CallStartBody     `json:"callStart,omitempty"`
	CallEnd        *CallEndBody       `json:"callEnd,omitempty"`
	CallLegStart   *CallLegStartBody  `json:"callLegStart,omitempty"`
	CallLegUpdate  *CallLegUpdateBody `json:"callLegUpdate,omitempty"`
	CallLegEnd     *CallLegEndBody    `json:"callLegEnd,omitempty"`
	RecordingStart *MediaBody         `json:"recordingStart,omitempty"`
	RecordingEnd   *MediaBody         `json:"recordingEnd,omitempty"`
	StreamingStart *MediaBody         `json:"streamingStart,omitempty"`
	StreamingEnd   *MediaBody         `json:"streamingEnd,omitempty"`
	// Unknown holds the body of an unknown record type, or of a known type
	// whose body element was not the expected one, verbatim.
	Unknown []cms.RawElement `json:"unknown,omitempty"`
}

// CallID returns the call the record is about: the body id of callStart
// and callEnd, the call element of the others ("" when not sent).
func (r *Record) CallID() string {
	switch {
	case r.CallStart != nil:
		return r.CallStart.ID
	case r.CallEnd != nil:
		return r.CallEnd.ID
	case r.CallLegStart != nil:
		return r.CallLegStart.Call
	case r.CallLegUpdate != nil:
		return r.CallLegUpdate.Call
	case r.RecordingStart != nil:
		return r.RecordingStart.Call
	case r.RecordingEnd != nil:
		return r.RecordingEnd.Call
	case r.StreamingStart != nil:
		return r.StreamingStart.Call
	case r.StreamingEnd != nil:
		return r.StreamingEnd.Call
	}
	return ""
}

// CallLegID returns the call leg the record is about ("" for call and
// media records).
func (r *Record) CallLegID() string {
	switch {
	case r.CallLegStart != nil:
		return r.CallLegStart.ID
	case r.CallLegUpdate != nil:
		return r.CallLegUpdate.ID
	case r.CallLegEnd != nil:
		return r.CallLegEnd.ID
	}
	return ""
}

// Body returns the typed body (a *CallStartBody, ...) or nil.
func (r *Record) Body() any {
	switch {
	case r.CallStart != nil:
		return r.CallStart
	case r.CallEnd != nil:
		return r.CallEnd
	case r.CallLegStart != nil:
		return r.CallLegStart
	case r.CallLegUpdate != nil:
		return r.CallLegUpdate
	case r.CallLegEnd != nil:
		return r.CallLegEnd
	case r.RecordingStart != nil:
		return r.RecordingStart
	case r.RecordingEnd != nil:
		return r.RecordingEnd
	case r.StreamingStart != nil:
		return r.StreamingStart
	case r.StreamingEnd != nil:
		return r.StreamingEnd
	}
	return nil
}

// Flag is an element whose presence means true: <ivr/> in callLegUpdate
// says the leg is in an IVR rather than a call. An explicit "false" text
// is honoured.
type Flag bool

// UnmarshalXML sets the flag from the element's presence and text.
func (f *Flag) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	*f = Flag(!strings.EqualFold(strings.TrimSpace(s), "false"))
	return nil
}

// CallStartBody is the <call> of a callStart record.
type CallStartBody struct {
	ID        string `xml:"id,attr" json:"id"`
	Name      string `xml:"name" json:"name"`
	OwnerName string `xml:"ownerName" json:"ownerName,omitempty"`
	// CallType is coSpace, forwarding, adHoc, lyncConferencing, ...
	CallType       string           `xml:"callType" json:"callType,omitempty"`
	CoSpace        string           `xml:"coSpace" json:"coSpace,omitempty"`
	CallCorrelator string           `xml:"callCorrelator" json:"callCorrelator,omitempty"`
	Tenant         string           `xml:"tenant" json:"tenant,omitempty"`
	CDRTag         string           `xml:"cdrTag" json:"cdrTag,omitempty"`
	Extra          []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// CallEndBody is the <call> of a callEnd record.
type CallEndBody struct {
	ID                string           `xml:"id,attr" json:"id"`
	CallLegsCompleted int              `xml:"callLegsCompleted" json:"callLegsCompleted"`
	CallLegsMaxActive int              `xml:"callLegsMaxActive" json:"callLegsMaxActive"`
	DurationSeconds   int64            `xml:"durationSeconds" json:"durationSeconds"`
	EndpointRecorded  *bool            `xml:"endpointRecorded" json:"endpointRecorded,omitempty"`
	Extra             []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// CallLegStartBody is the <callLeg> of a callLegStart record.
type CallLegStartBody struct {
	ID              string `xml:"id,attr" json:"id"`
	CDRTag          string `xml:"cdrTag" json:"cdrTag,omitempty"`
	DisplayName     string `xml:"displayName" json:"displayName,omitempty"`
	GuestConnection *bool  `xml:"guestConnection" json:"guestConnection,omitempty"`
	// LocalAddress is the address dialled (incoming) or the caller id
	// presented (outgoing).
	LocalAddress           string           `xml:"localAddress" json:"localAddress,omitempty"`
	RemoteParty            string           `xml:"remoteParty" json:"remoteParty,omitempty"`
	RemoteAddress          string           `xml:"remoteAddress" json:"remoteAddress,omitempty"`
	Type                   string           `xml:"type" json:"type,omitempty"`
	SubType                string           `xml:"subType" json:"subType,omitempty"`
	LyncSubType            string           `xml:"lyncSubType" json:"lyncSubType,omitempty"`
	Direction              string           `xml:"direction" json:"direction,omitempty"`
	Call                   string           `xml:"call" json:"call,omitempty"`
	OwnerID                string           `xml:"ownerId" json:"ownerId,omitempty"`
	SIPCallID              string           `xml:"sipCallId" json:"sipCallId,omitempty"`
	GroupID                string           `xml:"groupId" json:"groupId,omitempty"`
	Recording              *bool            `xml:"recording" json:"recording,omitempty"`
	Streaming              *bool            `xml:"streaming" json:"streaming,omitempty"`
	IVR                    *Flag            `xml:"ivr" json:"ivr,omitempty"`
	CanMove                *bool            `xml:"canMove" json:"canMove,omitempty"`
	MovedCallLeg           string           `xml:"movedCallLeg" json:"movedCallLeg,omitempty"`
	MovedCallLegCallBridge string           `xml:"movedCallLegCallBridge" json:"movedCallLegCallBridge,omitempty"`
	Extra                  []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// CallLegUpdateBody is the <callLeg> of a callLegUpdate record, sent
// whenever one of its fields changes.
type CallLegUpdateBody struct {
	ID     string `xml:"id,attr" json:"id"`
	CDRTag string `xml:"cdrTag" json:"cdrTag,omitempty"`
	// State is "connected" once connected, empty before.
	State string `xml:"state" json:"state,omitempty"`
	// Call is the call the leg is in; IVR is set instead while it is in
	// an IVR.
	Call      string `xml:"call" json:"call,omitempty"`
	IVR       *Flag  `xml:"ivr" json:"ivr,omitempty"`
	OwnerID   string `xml:"ownerId" json:"ownerId,omitempty"`
	SIPCallID string `xml:"sipCallId" json:"sipCallId,omitempty"`
	GroupID   string `xml:"groupId" json:"groupId,omitempty"`
	// Deactivated is true while the leg waits in the lobby.
	Deactivated        *bool            `xml:"deactivated" json:"deactivated,omitempty"`
	DisplayName        string           `xml:"displayName" json:"displayName,omitempty"`
	RemoteAddress      string           `xml:"remoteAddress" json:"remoteAddress,omitempty"`
	CanMove            *bool            `xml:"canMove" json:"canMove,omitempty"`
	ConfirmationStatus string           `xml:"confirmationStatus" json:"confirmationStatus,omitempty"`
	Extra              []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// CallLegEndBody is the <callLeg> of a callLegEnd record.
type CallLegEndBody struct {
	ID string `xml:"id,attr" json:"id"`
	// Reason is why the leg ended, e.g. remoteTeardown.
	Reason                string           `xml:"reason" json:"reason,omitempty"`
	RemoteTeardown        *bool            `xml:"remoteTeardown" json:"remoteTeardown,omitempty"`
	DurationSeconds       int64            `xml:"durationSeconds" json:"durationSeconds"`
	ActivatedDuration     *int64           `xml:"activatedDuration" json:"activatedDuration,omitempty"`
	ConfirmationStatus    string           `xml:"confirmationStatus" json:"confirmationStatus,omitempty"`
	MediaUsagePercentages *MediaUsage      `xml:"mediaUsagePercentages" json:"mediaUsagePercentages,omitempty"`
	Alarms                []Alarm          `xml:"alarm" json:"alarms,omitempty"`
	EncryptedMedia        *bool            `xml:"encryptedMedia" json:"encryptedMedia,omitempty"`
	UnencryptedMedia      *bool            `xml:"unencryptedMedia" json:"unencryptedMedia,omitempty"`
	RxAudio               *Stream          `xml:"rxAudio" json:"rxAudio,omitempty"`
	TxAudio               *Stream          `xml:"txAudio" json:"txAudio,omitempty"`
	RxVideo               *Stream          `xml:"rxVideo" json:"rxVideo,omitempty"`
	TxVideo               *Stream          `xml:"txVideo" json:"txVideo,omitempty"`
	SIPCallID             string           `xml:"sipCallId" json:"sipCallId,omitempty"`
	Extra                 []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// MediaUsage is the share of the leg's time spent in each media role, in
// percent.
type MediaUsage struct {
	MainVideoViewer         *cms.Decimal     `xml:"mainVideoViewer" json:"mainVideoViewer,omitempty"`
	MainVideoContributor    *cms.Decimal     `xml:"mainVideoContributor" json:"mainVideoContributor,omitempty"`
	PresentationViewer      *cms.Decimal     `xml:"presentationViewer" json:"presentationViewer,omitempty"`
	PresentationContributor *cms.Decimal     `xml:"presentationContributor" json:"presentationContributor,omitempty"`
	MultiStreamVideo        *cms.Decimal     `xml:"multiStreamVideo" json:"multiStreamVideo,omitempty"`
	Extra                   []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// Alarm is a media alarm of a leg and the share of its time it was
// raised, in percent.
type Alarm struct {
	// Type is packetLoss, excessiveJitter or highRoundTripTime.
	Type               string      `xml:"type,attr" json:"type"`
	DurationPercentage cms.Decimal `xml:"durationPercentage,attr" json:"durationPercentage"`
}

// Stream summarises one media direction of a leg.
type Stream struct {
	Codec            string            `xml:"codec" json:"codec,omitempty"`
	MaxSizeWidth     *int              `xml:"maxSizeWidth" json:"maxSizeWidth,omitempty"`
	MaxSizeHeight    *int              `xml:"maxSizeHeight" json:"maxSizeHeight,omitempty"`
	PacketStatistics *PacketStatistics `xml:"packetStatistics" json:"packetStatistics,omitempty"`
	Extra            []cms.RawElement  `xml:",any" json:"extra,omitempty"`
}

// PacketStatistics describe packet loss bursts and the gaps between them.
type PacketStatistics struct {
	PacketLossBursts *Burst           `xml:"packetLossBursts" json:"packetLossBursts,omitempty"`
	PacketGap        *Burst           `xml:"packetGap" json:"packetGap,omitempty"`
	Extra            []cms.RawElement `xml:",any" json:"extra,omitempty"`
}

// Burst is a duration and density pair of PacketStatistics.
type Burst struct {
	Duration *cms.Decimal `xml:"duration" json:"duration,omitempty"`
	Density  *cms.Decimal `xml:"density" json:"density,omitempty"`
}

// MediaBody is the <recording> or <streaming> of a recording or
// streaming record. The published guides do not list these fields; the
// ones named here are the likely ones, and anything else lands in Extra.
type MediaBody struct {
	ID          string           `xml:"id,attr" json:"id"`
	Call        string           `xml:"call" json:"call,omitempty"`
	CallLeg     string           `xml:"callLeg" json:"callLeg,omitempty"`
	Path        string           `xml:"path" json:"path,omitempty"`
	RecorderURI string           `xml:"recorderUri" json:"recorderUri,omitempty"`
	StreamerURI string           `xml:"streamerUri" json:"streamerUri,omitempty"`
	StreamURL   string           `xml:"streamUrl" json:"streamUrl,omitempty"`
	Reason      string           `xml:"reason" json:"reason,omitempty"`
	Extra       []cms.RawElement `xml:",any" json:"extra,omitempty"`
}
