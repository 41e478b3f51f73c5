package cms

import (
	"context"
	"encoding/xml"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Call is an active call (a meeting instance on this bridge). The list
// carries name, coSpace, callCorrelator and tenant; GET by id adds the
// rest.
type Call struct {
	XMLName xml.Name `xml:"call" json:"-"`
	ID      string   `xml:"id,attr" json:"id"`
	Name    string   `xml:"name" json:"name"`
	// CallType is coSpace, forwarding, adHoc or lyncConferencing.
	CallType string `xml:"callType" json:"callType,omitempty"`
	CoSpace  string `xml:"coSpace" json:"coSpace,omitempty"`
	// CallCorrelator is shared by the instances of one call across a
	// cluster.
	CallCorrelator                   string       `xml:"callCorrelator" json:"callCorrelator,omitempty"`
	Tenant                           string       `xml:"tenant" json:"tenant,omitempty"`
	DurationSeconds                  int64        `xml:"durationSeconds" json:"durationSeconds,omitempty"`
	NumCallLegs                      int          `xml:"numCallLegs" json:"numCallLegs,omitempty"`
	MaxCallLegs                      int          `xml:"maxCallLegs" json:"maxCallLegs,omitempty"`
	NumParticipantsLocal             int          `xml:"numParticipantsLocal" json:"numParticipantsLocal,omitempty"`
	NumParticipantsRemote            int          `xml:"numParticipantsRemote" json:"numParticipantsRemote,omitempty"`
	NumDistributedInstances          int          `xml:"numDistributedInstances" json:"numDistributedInstances,omitempty"`
	PresenterCallLeg                 string       `xml:"presenterCallLeg" json:"presenterCallLeg,omitempty"`
	Locked                           *bool        `xml:"locked" json:"locked,omitempty"`
	Recording                        *bool        `xml:"recording" json:"recording,omitempty"`
	Streaming                        *bool        `xml:"streaming" json:"streaming,omitempty"`
	AllowAllMuteSelf                 *bool        `xml:"allowAllMuteSelf" json:"allowAllMuteSelf,omitempty"`
	AllowAllPresentationContribution *bool        `xml:"allowAllPresentationContribution" json:"allowAllPresentationContribution,omitempty"`
	JoinAudioMuteOverride            string       `xml:"joinAudioMuteOverride" json:"joinAudioMuteOverride,omitempty"`
	MessageText                      string       `xml:"messageText" json:"messageText,omitempty"`
	MessagePosition                  string       `xml:"messagePosition" json:"messagePosition,omitempty"`
	MessageDuration                  string       `xml:"messageDuration" json:"messageDuration,omitempty"` // seconds or "permanent"
	MessageTimeRemaining             string       `xml:"messageTimeRemaining" json:"messageTimeRemaining,omitempty"`
	OwnerName                        string       `xml:"ownerName" json:"ownerName,omitempty"`
	ActiveWhenEmpty                  *bool        `xml:"activeWhenEmpty" json:"activeWhenEmpty,omitempty"`
	EndpointRecording                string       `xml:"endpointRecording" json:"endpointRecording,omitempty"`
	LyncAudienceMute                 string       `xml:"lyncAudienceMute" json:"lyncAudienceMute,omitempty"`
	PanePlacementHighestImportance   *int         `xml:"panePlacementHighestImportance" json:"panePlacementHighestImportance,omitempty"`
	PanePlacementSelfPaneMode        string       `xml:"panePlacementSelfPaneMode" json:"panePlacementSelfPaneMode,omitempty"`
	RecordingStatus                  string       `xml:"recordingStatus" json:"recordingStatus,omitempty"`
	StreamingStatus                  string       `xml:"streamingStatus" json:"streamingStatus,omitempty"`
	Extra                            []RawElement `xml:",any" json:"extra,omitempty"`
}

func (c Call) objectID() string { return c.ID }

// CallParams is the body of POST /calls (CoSpace or Name) and PUT
// /calls/<id> (the rest).
type CallParams struct {
	CoSpace                          Field[string] `form:"coSpace"`
	Name                             Field[string] `form:"name"`
	Locked                           Field[bool]   `form:"locked"`
	Recording                        Field[bool]   `form:"recording"`
	Streaming                        Field[bool]   `form:"streaming"`
	AllowAllMuteSelf                 Field[bool]   `form:"allowAllMuteSelf"`
	AllowAllPresentationContribution Field[bool]   `form:"allowAllPresentationContribution"`
	JoinAudioMuteOverride            Field[bool]   `form:"joinAudioMuteOverride"`
	MessageText                      Field[string] `form:"messageText"`
	MessagePosition                  Field[string] `form:"messagePosition"` // top | middle | bottom
	MessageDuration                  Field[string] `form:"messageDuration"` // seconds or "permanent"
	ActiveWhenEmpty                  Field[bool]   `form:"activeWhenEmpty"`
	PanePlacementHighestImportance   Field[int]    `form:"panePlacementHighestImportance"`
	PanePlacementSelfPaneMode        Field[string] `form:"panePlacementSelfPaneMode"`
}

// CallQuery filters GET /calls.
type CallQuery struct {
	ListOptions
	CoSpaceFilter string
	TenantFilter  string
}

// Calls lists active calls.
func (c *Client) Calls(ctx context.Context, q CallQuery) iter.Seq2[Call, error] {
	return Iterate[Call](ctx, c, "calls", "calls", q.ListOptions,
		query("coSpaceFilter", q.CoSpaceFilter, "tenantFilter", q.TenantFilter))
}

// Call reads one call.
func (c *Client) Call(ctx context.Context, id string) (*Call, error) {
	return getOne[Call](ctx, c, objPath("calls", id))
}

// CreateCall starts a call (for a space with CoSpace, or an ad hoc one
// with Name) and returns its id.
func (c *Client) CreateCall(ctx context.Context, p CallParams) (string, error) {
	return c.Create(ctx, "calls", FormOf(p))
}

// UpdateCall changes a live call (lock, recording, message, ...).
func (c *Client) UpdateCall(ctx context.Context, id string, p CallParams) error {
	return c.Modify(ctx, objPath("calls", id), FormOf(p))
}

// DeleteCall ends a call for everyone.
func (c *Client) DeleteCall(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("calls", id))
}

// Participant is a participant of a call, possibly hosted on another
// bridge of the cluster (CallBridge). The list carries name, call, tenant
// and callBridge; GET by id adds the rest.
type Participant struct {
	XMLName                    xml.Name                  `xml:"participant" json:"-"`
	ID                         string                    `xml:"id,attr" json:"id"`
	Name                       string                    `xml:"name" json:"name"`
	Call                       string                    `xml:"call" json:"call,omitempty"`
	Tenant                     string                    `xml:"tenant" json:"tenant,omitempty"`
	CallBridge                 string                    `xml:"callBridge" json:"callBridge,omitempty"`
	URI                        string                    `xml:"uri" json:"uri,omitempty"`
	OriginalURI                string                    `xml:"originalUri" json:"originalUri,omitempty"`
	NumCallLegs                int                       `xml:"numCallLegs" json:"numCallLegs,omitempty"`
	UserJID                    string                    `xml:"userJid" json:"userJid,omitempty"`
	IsActivator                *bool                     `xml:"isActivator" json:"isActivator,omitempty"`
	CanMove                    *bool                     `xml:"canMove" json:"canMove,omitempty"`
	MovedParticipant           string                    `xml:"movedParticipant" json:"movedParticipant,omitempty"`
	MovedParticipantCallBridge string                    `xml:"movedParticipantCallBridge" json:"movedParticipantCallBridge,omitempty"`
	Status                     *ParticipantStatus        `xml:"status" json:"status,omitempty"`
	Configuration              *ParticipantConfiguration `xml:"configuration" json:"configuration,omitempty"`
	Extra                      []RawElement              `xml:",any" json:"extra,omitempty"`
}

func (p Participant) objectID() string { return p.ID }

// ParticipantStatus is a participant's <status>.
type ParticipantStatus struct {
	// State is initial, ringing, connected or onHold.
	State                  string       `xml:"state" json:"state,omitempty"`
	CameraControlAvailable *bool        `xml:"cameraControlAvailable" json:"cameraControlAvailable,omitempty"`
	Extra                  []RawElement `xml:",any" json:"extra,omitempty"`
}

// ParticipantConfiguration is a participant's <configuration>.
type ParticipantConfiguration struct {
	Importance        *int         `xml:"importance" json:"importance,omitempty"`
	NameLabelOverride string       `xml:"nameLabelOverride" json:"nameLabelOverride,omitempty"`
	DefaultLayout     Layout       `xml:"defaultLayout" json:"defaultLayout,omitempty"`
	LayoutTemplate    string       `xml:"layoutTemplate" json:"layoutTemplate,omitempty"`
	Extra             []RawElement `xml:",any" json:"extra,omitempty"`
}

// ParticipantParams is the body of POST /calls/<id>/participants, a
// dial-out: RemoteParty is the address to call, and the call leg settings
// apply to the new leg.
type ParticipantParams struct {
	RemoteParty       Field[string] `form:"remoteParty"`
	CallBridge        Field[string] `form:"callBridge"`
	CallBridgeGroup   Field[string] `form:"callBridgeGroup"`
	Importance        Field[int]    `form:"importance"`
	NameLabelOverride Field[string] `form:"nameLabelOverride"`
	DTMFSequence      Field[string] `form:"dtmfSequence"`
	MovedParticipant  Field[string] `form:"movedParticipant"`
	Deactivated       Field[bool]   `form:"deactivated"`
	CallLegSettings
}

// ParticipantUpdate is the body of PUT /participants/<id>. Importance and
// Deactivated (false admits a participant waiting in the lobby) belong to
// the participant, not to its call legs.
type ParticipantUpdate struct {
	Importance        Field[int]    `form:"importance"`
	DTMFSequence      Field[string] `form:"dtmfSequence"`
	NameLabelOverride Field[string] `form:"nameLabelOverride"`
	Deactivated       Field[bool]   `form:"deactivated"`
}

// AllParticipantsUpdate is the body of PUT /calls/<id>/participants/*,
// which changes every participant of a call, or (with Mode and FilterIDs)
// only some of them.
type AllParticipantsUpdate struct {
	RxAudioMute Field[bool]   `form:"rxAudioMute"`
	TxAudioMute Field[bool]   `form:"txAudioMute"`
	RxVideoMute Field[bool]   `form:"rxVideoMute"`
	TxVideoMute Field[bool]   `form:"txVideoMute"`
	Layout      Field[Layout] `form:"layout"`
	Importance  Field[int]    `form:"importance"`
	// FilterIDs is a comma-separated list of at most 20 participant ids;
	// see JoinIDs.
	FilterIDs Field[string] `form:"filterIds"`
	// Mode is "exclude" (all but FilterIDs) or "selected" (only them).
	Mode Field[string] `form:"mode"`
}

// JoinIDs joins participant ids for AllParticipantsUpdate.FilterIDs.
func JoinIDs(ids ...string) string { return strings.Join(ids, ",") }

// ParticipantQuery filters the participant collections.
type ParticipantQuery struct {
	ListOptions
	TenantFilter     string
	CallBridgeFilter string
}

func (q ParticipantQuery) values() url.Values {
	return query("tenantFilter", q.TenantFilter, "callBridgeFilter", q.CallBridgeFilter)
}

// Participants lists the participants of every call.
func (c *Client) Participants(ctx context.Context, q ParticipantQuery) iter.Seq2[Participant, error] {
	return Iterate[Participant](ctx, c, "participants", "participants", q.ListOptions, q.values())
}

// CallParticipants lists the participants of one call.
func (c *Client) CallParticipants(ctx context.Context, call string, q ParticipantQuery) iter.Seq2[Participant, error] {
	return Iterate[Participant](ctx, c, objPath("calls", call, "participants"), "participants", q.ListOptions, q.values())
}

// Participant reads one participant.
func (c *Client) Participant(ctx context.Context, id string) (*Participant, error) {
	return getOne[Participant](ctx, c, objPath("participants", id))
}

// AddParticipant dials out from a call and returns the new participant's
// id (the bridge answers Location: /api/v1/participants/<id>).
func (c *Client) AddParticipant(ctx context.Context, call string, p ParticipantParams) (string, error) {
	return c.Create(ctx, objPath("calls", call, "participants"), FormOf(p))
}

// UpdateParticipant changes a participant.
func (c *Client) UpdateParticipant(ctx context.Context, id string, p ParticipantUpdate) error {
	return c.Modify(ctx, objPath("participants", id), FormOf(p))
}

// UpdateAllParticipants changes every (or the selected) participant of a
// call at once, e.g. "mute all".
func (c *Client) UpdateAllParticipants(ctx context.Context, call string, p AllParticipantsUpdate) error {
	return c.Modify(ctx, objPath("calls", call, "participants")+"/*", FormOf(p))
}

// DeleteParticipant drops a participant from its call.
func (c *Client) DeleteParticipant(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("participants", id))
}

// ParticipantCallLegs lists the local call legs of a participant.
func (c *Client) ParticipantCallLegs(ctx context.Context, participant string, o ListOptions) iter.Seq2[CallLeg, error] {
	return Iterate[CallLeg](ctx, c, objPath("participants", participant, "callLegs"), "callLegs", o, nil)
}

// CallLeg is one media connection to this bridge. The list carries name,
// remoteParty, originalRemoteParty, call and (when media is degraded)
// alarms; GET by id adds the configuration and the live status with
// media statistics.
type CallLeg struct {
	XMLName                xml.Name       `xml:"callLeg" json:"-"`
	ID                     string         `xml:"id,attr" json:"id"`
	Name                   string         `xml:"name" json:"name"`
	RemoteParty            string         `xml:"remoteParty" json:"remoteParty,omitempty"`
	OriginalRemoteParty    string         `xml:"originalRemoteParty" json:"originalRemoteParty,omitempty"`
	LocalAddress           string         `xml:"localAddress" json:"localAddress,omitempty"`
	Call                   string         `xml:"call" json:"call,omitempty"`
	Tenant                 string         `xml:"tenant" json:"tenant,omitempty"`
	Type                   string         `xml:"type" json:"type,omitempty"`       // sip | acano
	Subtype                string         `xml:"subtype" json:"subtype,omitempty"` // lync | avaya | distributionLink | lyncDistribution
	LyncSubType            string         `xml:"lyncSubType" json:"lyncSubType,omitempty"`
	Direction              string         `xml:"direction" json:"direction,omitempty"` // incoming | outgoing
	CanMove                *bool          `xml:"canMove" json:"canMove,omitempty"`
	MovedCallLeg           string         `xml:"movedCallLeg" json:"movedCallLeg,omitempty"`
	MovedCallLegCallBridge string         `xml:"movedCallLegCallBridge" json:"movedCallLegCallBridge,omitempty"`
	Configuration          *CallLegConfig `xml:"configuration" json:"configuration,omitempty"`
	Status                 *CallLegStatus `xml:"status" json:"status,omitempty"`
	// Alarms is present (possibly empty) when the bridge reports media
	// alarms for the leg.
	Alarms *CallLegAlarms `xml:"alarms" json:"alarms,omitempty"`
	Extra  []RawElement   `xml:",any" json:"extra,omitempty"`
}

func (l CallLeg) objectID() string { return l.ID }

// CallLegConfig is a call leg's <configuration>: the overrides active on
// it.
type CallLegConfig struct {
	OwnerID           string `xml:"ownerId" json:"ownerId,omitempty"`
	ChosenLayout      Layout `xml:"chosenLayout" json:"chosenLayout,omitempty"`
	NameLabelOverride string `xml:"nameLabelOverride" json:"nameLabelOverride,omitempty"`
	CallLegValues
	Extra []RawElement `xml:",any" json:"extra,omitempty"`
}

// CallLegAlarms are the names of a leg's active media alarms
// (packetLoss, excessiveJitter, highRoundTripTime).
type CallLegAlarms struct {
	Names []string `json:"names"`
}

// UnmarshalXML collects the child element names.
func (a *CallLegAlarms) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	a.Names = []string{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			a.Names = append(a.Names, t.Name.Local)
			if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// CallLegStatus is a call leg's <status>.
type CallLegStatus struct {
	// State is initial, ringing, connected or onHold.
	State           string `xml:"state" json:"state,omitempty"`
	DurationSeconds int64  `xml:"durationSeconds" json:"durationSeconds,omitempty"`
	Direction       string `xml:"direction" json:"direction,omitempty"`
	// SIPCallID is sipCallId; bridges have spelt it sipCallID too, which
	// lands in SIPCallIDAlt (see CallID).
	SIPCallID              string       `xml:"sipCallId" json:"sipCallId,omitempty"`
	SIPCallIDAlt           string       `xml:"sipCallID" json:"sipCallID,omitempty"`
	GroupID                string       `xml:"groupId" json:"groupId,omitempty"`
	Recording              *bool        `xml:"recording" json:"recording,omitempty"`
	Streaming              *bool        `xml:"streaming" json:"streaming,omitempty"`
	Deactivated            *bool        `xml:"deactivated" json:"deactivated,omitempty"`
	EncryptedMedia         *bool        `xml:"encryptedMedia" json:"encryptedMedia,omitempty"`
	UnencryptedMedia       *bool        `xml:"unencryptedMedia" json:"unencryptedMedia,omitempty"`
	CipherSuite            string       `xml:"cipherSuite" json:"cipherSuite,omitempty"`
	Layout                 Layout       `xml:"layout" json:"layout,omitempty"`
	ActiveLayout           Layout       `xml:"activeLayout" json:"activeLayout,omitempty"`
	AvailableVideoStreams  *int         `xml:"availableVideoStreams" json:"availableVideoStreams,omitempty"`
	LayoutTemplate         string       `xml:"layoutTemplate" json:"layoutTemplate,omitempty"`
	CameraControlAvailable *bool        `xml:"cameraControlAvailable" json:"cameraControlAvailable,omitempty"`
	RxAudio                *AudioStats  `xml:"rxAudio" json:"rxAudio,omitempty"`
	TxAudio                *AudioStats  `xml:"txAudio" json:"txAudio,omitempty"`
	RxVideo                []VideoStats `xml:"rxVideo" json:"rxVideo,omitempty"`
	TxVideo                []VideoStats `xml:"txVideo" json:"txVideo,omitempty"`
	Extra                  []RawElement `xml:",any" json:"extra,omitempty"`
}

// CallID returns the SIP Call-ID whichever spelling the bridge used.
func (s *CallLegStatus) CallID() string { return cmp(s.SIPCallID, s.SIPCallIDAlt) }

// AudioStats are the statistics of one audio direction.
type AudioStats struct {
	Codec                string       `xml:"codec" json:"codec,omitempty"`
	Jitter               *Decimal     `xml:"jitter" json:"jitter,omitempty"`
	BitRate              *Decimal     `xml:"bitRate" json:"bitRate,omitempty"`
	CodecBitRate         *Decimal     `xml:"codecBitRate" json:"codecBitRate,omitempty"`
	PacketLossPercentage *Decimal     `xml:"packetLossPercentage" json:"packetLossPercentage,omitempty"`
	RoundTripTime        *Decimal     `xml:"roundTripTime" json:"roundTripTime,omitempty"`
	GainApplied          string       `xml:"gainApplied" json:"gainApplied,omitempty"`
	Extra                []RawElement `xml:",any" json:"extra,omitempty"`
}

// VideoStats are the statistics of one video stream; Role is main or
// presentation.
type VideoStats struct {
	Role                 string       `xml:"role,attr" json:"role,omitempty"`
	Codec                string       `xml:"codec" json:"codec,omitempty"`
	Width                *int         `xml:"width" json:"width,omitempty"`
	Height               *int         `xml:"height" json:"height,omitempty"`
	FrameRate            *Decimal     `xml:"frameRate" json:"frameRate,omitempty"`
	BitRate              *Decimal     `xml:"bitRate" json:"bitRate,omitempty"`
	Jitter               *Decimal     `xml:"jitter" json:"jitter,omitempty"`
	PacketLossPercentage *Decimal     `xml:"packetLossPercentage" json:"packetLossPercentage,omitempty"`
	RoundTripTime        *Decimal     `xml:"roundTripTime" json:"roundTripTime,omitempty"`
	Extra                []RawElement `xml:",any" json:"extra,omitempty"`
}

// CallLegUpdate is the body of PUT /callLegs/<id>: live changes to one
// leg — mute (RxAudioMute), stop video (RxVideoMute), layout
// (ChosenLayout), lobby (NeedsActivation) and the other call leg settings.
// A participant's importance and lobby admission are set with
// UpdateParticipant instead.
type CallLegUpdate struct {
	ChosenLayout      Field[Layout] `form:"chosenLayout"`
	Layout            Field[Layout] `form:"layout"` // legacy
	NameLabelOverride Field[string] `form:"nameLabelOverride"`
	DTMFSequence      Field[string] `form:"dtmfSequence"`
	CallLegSettings
}

// CallLegParams is the body of POST /calls/<id>/callLegs (a dial-out that
// creates a bare leg).
type CallLegParams struct {
	RemoteParty  Field[string] `form:"remoteParty"`
	Bandwidth    Field[int]    `form:"bandwidth"`
	Confirmation Field[bool]   `form:"confirmation"`
	CallLegUpdate
}

// CallLegQuery filters the call leg collections.
type CallLegQuery struct {
	ListOptions
	ParticipantFilter  string
	TenantFilter       string
	ActiveLayoutFilter Layout
	// Alarms, when non-empty, lists only legs with these alarms (a
	// bridge takes e.g. "packetLoss|excessiveJitter").
	Alarms string
}

func (q CallLegQuery) values() url.Values {
	return query("participantFilter", q.ParticipantFilter, "tenantFilter", q.TenantFilter,
		"activeLayoutFilter", string(q.ActiveLayoutFilter), "alarms", q.Alarms)
}

// CallLegs lists the call legs of every call on this bridge.
func (c *Client) CallLegs(ctx context.Context, q CallLegQuery) iter.Seq2[CallLeg, error] {
	return Iterate[CallLeg](ctx, c, "callLegs", "callLegs", q.ListOptions, q.values())
}

// CallCallLegs lists the call legs of one call.
func (c *Client) CallCallLegs(ctx context.Context, call string, q CallLegQuery) iter.Seq2[CallLeg, error] {
	return Iterate[CallLeg](ctx, c, objPath("calls", call, "callLegs"), "callLegs", q.ListOptions, q.values())
}

// CallLeg reads one call leg with its configuration and live status.
func (c *Client) CallLeg(ctx context.Context, id string) (*CallLeg, error) {
	return getOne[CallLeg](ctx, c, objPath("callLegs", id))
}

// CreateCallLeg dials out from a call and returns the new leg's id.
func (c *Client) CreateCallLeg(ctx context.Context, call string, p CallLegParams) (string, error) {
	return c.Create(ctx, objPath("calls", call, "callLegs"), FormOf(p))
}

// UpdateCallLeg changes a live call leg.
func (c *Client) UpdateCallLeg(ctx context.Context, id string, p CallLegUpdate) error {
	return c.Modify(ctx, objPath("callLegs", id), FormOf(p))
}

// DeleteCallLeg disconnects a call leg.
func (c *Client) DeleteCallLeg(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("callLegs", id))
}

// CameraControl is one far-end camera move (PUT
// /callLegs/<id>/cameraControl, CMS 2.9).
type CameraControl struct {
	Pan   Field[string] `form:"pan"`   // left | right
	Tilt  Field[string] `form:"tilt"`  // up | down
	Zoom  Field[string] `form:"zoom"`  // in | out
	Focus Field[string] `form:"focus"` // in | out
}

// MoveCamera sends a far-end camera control command.
func (c *Client) MoveCamera(ctx context.Context, id string, p CameraControl) error {
	return c.Modify(ctx, objPath("callLegs", id)+"/cameraControl", FormOf(p))
}

// GenerateKeyframe asks the bridge to send a key frame to the leg.
func (c *Client) GenerateKeyframe(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, objPath("callLegs", id)+"/generateKeyframe", nil, &Form{})
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }
