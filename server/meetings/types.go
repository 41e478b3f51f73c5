package meetings

import "time"

// State is whether a meeting is still going.
type State int

// The meeting states.
const (
	Active State = iota + 1
	Ended
)

// CallType is the kind of call behind a meeting.
type CallType int

// The call types, as bridges report them (coSpace, adHoc, lyncConferencing,
// forwarding).
const (
	CallTypeUnknown CallType = iota
	CallTypeSpace
	CallTypeAdHoc
	CallTypeLync
	CallTypeForwarding
)

// ParticipantState is where a participant's call stands.
type ParticipantState int

// The participant states.
const (
	ParticipantUnknown ParticipantState = iota
	ParticipantConnecting
	ParticipantConnected
	ParticipantLobby
	ParticipantOnHold
	ParticipantDisconnected
)

// Direction is who placed a participant's call.
type Direction int

// The directions.
const (
	DirectionUnknown Direction = iota
	DirectionIncoming
	DirectionOutgoing
)

// EventKind is what an event log entry records.
type EventKind int

// The event kinds.
const (
	EventUnknown EventKind = iota
	EventMeetingStarted
	EventMeetingEnded
	EventParticipantJoined
	EventParticipantLeft
	EventParticipantChanged
	EventMeetingChanged
	EventOperatorAction
)

// Instance is one bridge hosting a meeting.
type Instance struct {
	BridgeID   int
	BridgeName string
	CallID     string // the call's id on that bridge
}

// Meeting is a meeting of a cluster with meeting management on. Layouts
// are the bridge's names (cms.Layout values); empty means unset.
type Meeting struct {
	ID          string
	Name        string
	ClusterID   int
	ClusterName string
	Instances   []Instance // first the bridge it started on
	SpaceID     string
	CallType    CallType
	State       State
	Start       time.Time // original start, even after a restart (MT-19)
	End         time.Time // zero while active
	// Participants is the number connected now (or at the end); Lobby
	// the number waiting; Peak the most connected at once.
	Participants, Lobby, Peak int
	Recording, Streaming      bool
	Locked, JoinAudioMuted    bool
	Pinned                    bool
	Correlator                string
}

// Participant is one participant of a meeting: one call leg; its ID is
// the call leg's id (a GUID, unique across bridges).
type Participant struct {
	ID            string
	MeetingID     string
	Name          string
	RemoteAddress string
	LocalAddress  string
	Direction     Direction
	CallType      string // sip, lync, webrtc, ...
	State         ParticipantState
	AudioMuted    bool
	VideoMuted    bool
	Layout        string
	Important     bool
	Joined        time.Time // original join time (MT-19)
	Left          time.Time // zero while in the meeting
	BridgeID      int
	CallLegID     string
	// CMSParticipantID is the bridge's participant id (importance and
	// lobby admission are set on the participant, not the leg).
	CMSParticipantID string
	Speaking         bool
	Alarms           []string
	DisconnectReason string
}

// Event is one entry of a meeting's event log. Times are UTC.
type Event struct {
	Seq             int64
	Time            time.Time
	Kind            EventKind
	Description     string
	ParticipantID   string
	ParticipantName string
	Actor           string // operator actions only
	Inferred        bool   // the time could only be inferred (MT-20)
}

// ClusterRef names a cluster.
type ClusterRef struct {
	ID   int
	Name string
}

// ListQuery filters and pages ListMeetings.
type ListQuery struct {
	Ended      bool
	Query      string // name, URI, participant name or address; case-insensitive
	ClusterIDs []int
	PageSize   int // 0 = default 100
	PageToken  string
}

// ListResult is one page of meetings, pinned first.
type ListResult struct {
	Meetings      []Meeting
	NextPageToken string
	Total         int
	Unmonitored   []ClusterRef // clusters with meeting management off
}

// ParticipantPage is one page of participants.
type ParticipantPage struct {
	Participants  []Participant
	NextPageToken string
	Total         int
}

// EventPage is one page of an event log.
type EventPage struct {
	Events        []Event
	NextPageToken string
}

// AudioStats are one direction of a call leg's audio.
type AudioStats struct {
	Codec                                           string
	BitRate, JitterMS, PacketLossPercent, RoundTrip float64
}

// VideoStats are one video stream of a call leg.
type VideoStats struct {
	Codec                                                      string
	Width, Height                                              int
	FrameRate, BitRate, JitterMS, PacketLossPercent, RoundTrip float64
}

// LegStatistics are a call leg's statistics, read from the bridge.
type LegStatistics struct {
	CallLegID                      string
	Duration                       time.Duration
	Encrypted                      bool
	RxAudio, TxAudio               *AudioStats
	RxVideo, TxVideo               []VideoStats
	RxPresentation, TxPresentation []VideoStats
}

// ParticipantUpdate changes participants; nil and empty fields do not
// change. No IDs means every participant of the meeting.
type ParticipantUpdate struct {
	IDs        []string
	AudioMuted *bool
	VideoMuted *bool
	Important  *bool
	Layout     string
	Pane       int // 0 = unchanged; only with one participant
}

// MeetingUpdate changes a meeting; nil and empty fields do not change.
type MeetingUpdate struct {
	Locked, Recording, Streaming, JoinAudioMuted *bool
	Layout                                       string
}

// Dial is a dial-out: Address, or CallBackID (a disconnected participant
// to call back at its address).
type Dial struct {
	Address    string
	CallBackID string
	Name       string
	Layout     string
}

// ListChange is one change to the list of active meetings.
type ListChange struct {
	Meeting *Meeting // started or changed
	EndedID string   // ended (Meeting is nil)
}

// MeetingChange is one change to a watched meeting.
type MeetingChange struct {
	Meeting      *Meeting // set when the meeting changed
	Participants []Participant
	Events       []Event
	Ended        bool // the last change: the meeting ended
}
