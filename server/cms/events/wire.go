package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
)

// Message types the client understands.
const (
	TypeSubscribeRequest   = "subscribeRequest"
	TypeSubscriptionUpdate = "subscriptionUpdate"
	TypeCallListUpdate     = "callListUpdate"
	TypeCallInfoUpdate     = "callInfoUpdate"
	TypeRosterUpdate       = "rosterUpdate"
)

// Subscription types.
const (
	SubCalls      = "calls"
	SubCallInfo   = "callInfo"
	SubCallRoster = "callRoster"
)

// Element lists requested by default, as the public clients request them
// (Options can replace them). They are copied into every request, never
// handed out, so no caller can change another client's subscriptions.
var (
	defaultCallsElements = []string{"name", "participants", "distributedInstances", "recording",
		"endpointRecording", "streaming", "lockState", "callType", "callCorrelator"}
	defaultCallInfoElements = []string{"name", "participants", "distributedInstances", "recording",
		"endpointRecording", "streaming", "lockState", "callType", "callCorrelator", "joinAudioMuteOverride"}
	defaultCallRosterElements = []string{"name", "uri", "state", "direction", "audioMuted", "videoMuted",
		"importance", "layout", "activeSpeaker", "presenter", "endpointRecording", "canMove",
		"movedParticipant", "movedParticipantCallBridge"}
)

// UpdateType says what an update does to the object it names.
type UpdateType string

// The update types.
const (
	Add    UpdateType = "add"
	Update UpdateType = "update"
	Remove UpdateType = "remove"
)

// Subscription is one entry of a subscribeRequest.
type Subscription struct {
	// Index is chosen by the client and echoed as subscriptionIndex.
	Index int    `json:"index"`
	Type  string `json:"type"`
	// Call is the call id for callInfo and callRoster.
	Call     string   `json:"call,omitempty"`
	Elements []string `json:"elements"`
}

// Ack is a messageAck frame.
type Ack struct {
	MessageID int64  `json:"messageId"`
	Status    string `json:"status"`
}

// Frame is one websocket frame: a message or an ack.
type Frame struct {
	Message *Message `json:"message,omitempty"`
	Ack     *Ack     `json:"messageAck,omitempty"`
}

// Message is a message from the bridge. One typed part is set for the
// types this package knows; Raw holds the whole message of any other type.
type Message struct {
	ID   int64  `json:"messageId"`
	Type string `json:"type"`
	// Call is filled in by Client for callInfoUpdate and rosterUpdate,
	// which name only their subscription index.
	Call               string              `json:"call,omitempty"`
	SubscriptionUpdate *SubscriptionUpdate `json:"subscriptionUpdate,omitempty"`
	CallListUpdate     *CallListUpdate     `json:"callListUpdate,omitempty"`
	CallInfoUpdate     *CallInfoUpdate     `json:"callInfoUpdate,omitempty"`
	RosterUpdate       *RosterUpdate       `json:"rosterUpdate,omitempty"`
	// SubscribeRequest is set when decoding a captured client message.
	SubscribeRequest []Subscription `json:"subscribeRequest,omitempty"`
	// Raw is the message of an unknown type, verbatim.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// SubscriptionUpdate reports the state of subscriptions (pending, active,
// ...).
type SubscriptionUpdate struct {
	Subscriptions []SubscriptionState `json:"subscriptions"`
}

// SubscriptionState is the state of one subscription.
type SubscriptionState struct {
	Index int    `json:"index"`
	State string `json:"state"`
	// Extra holds fields this package does not know.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decodeFields).
func (s *SubscriptionState) UnmarshalJSON(b []byte) error {
	return decodeFields(b, map[string]any{"index": &s.Index, "state": &s.State}, &s.Extra)
}

// CallListUpdate carries updates of the calls subscription.
type CallListUpdate struct {
	SubscriptionIndex int          `json:"subscriptionIndex"`
	Updates           []CallUpdate `json:"updates"`
}

// CallUpdate is one call in a callListUpdate. Add carries every requested
// element, Update only those that changed, Remove a Reason.
type CallUpdate struct {
	Call       string     `json:"call"`
	UpdateType UpdateType `json:"updateType"`
	Reason     string     `json:"reason,omitempty"`
	CallFields
}

// UnmarshalJSON decodes tolerantly (see decodeFields).
func (u *CallUpdate) UnmarshalJSON(b []byte) error {
	f := u.CallFields.fields()
	f["call"], f["updateType"], f["reason"] = &u.Call, &u.UpdateType, &u.Reason
	return decodeFields(b, f, &u.Extra)
}

// CallFields are the elements of a call in the calls and callInfo
// subscriptions; nil means not in this message (unchanged).
type CallFields struct {
	Name                 *string `json:"name,omitempty"`
	Participants         *int    `json:"participants,omitempty"`
	DistributedInstances *int    `json:"distributedInstances,omitempty"`
	// Recording, Streaming and EndpointRecording are "active" or
	// "inactive".
	Recording         *string `json:"recording,omitempty"`
	EndpointRecording *string `json:"endpointRecording,omitempty"`
	Streaming         *string `json:"streaming,omitempty"`
	// LockState is "locked" or "notLocked".
	LockState             *string `json:"lockState,omitempty"`
	CallType              *string `json:"callType,omitempty"`
	CallCorrelator        *string `json:"callCorrelator,omitempty"`
	JoinAudioMuteOverride *bool   `json:"joinAudioMuteOverride,omitempty"`
	// Extra holds elements this package does not know, and known ones
	// whose value had an unexpected type.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

func (c *CallFields) fields() map[string]any {
	return map[string]any{
		"name": &c.Name, "participants": &c.Participants, "distributedInstances": &c.DistributedInstances,
		"recording": &c.Recording, "endpointRecording": &c.EndpointRecording, "streaming": &c.Streaming,
		"lockState": &c.LockState, "callType": &c.CallType, "callCorrelator": &c.CallCorrelator,
		"joinAudioMuteOverride": &c.JoinAudioMuteOverride,
	}
}

// CallInfoUpdate carries the callInfo of one call: every requested
// element first, then only the changed ones.
type CallInfoUpdate struct {
	SubscriptionIndex int      `json:"subscriptionIndex"`
	CallInfo          CallInfo `json:"callInfo"`
}

// CallInfo is the body of a callInfoUpdate.
type CallInfo struct {
	// Call is set when the bridge includes it.
	Call string `json:"call,omitempty"`
	CallFields
}

// UnmarshalJSON decodes tolerantly (see decodeFields).
func (c *CallInfo) UnmarshalJSON(b []byte) error {
	f := c.CallFields.fields()
	f["call"] = &c.Call
	return decodeFields(b, f, &c.Extra)
}

// RosterUpdate carries roster changes of one call.
type RosterUpdate struct {
	SubscriptionIndex int           `json:"subscriptionIndex"`
	Updates           []RosterEntry `json:"updates"`
}

// RosterEntry is one participant in a rosterUpdate; Participant is the
// API /participants id.
type RosterEntry struct {
	Participant string     `json:"participant"`
	UpdateType  UpdateType `json:"updateType"`
	Reason      string     `json:"reason,omitempty"`
	Name        *string    `json:"name,omitempty"`
	URI         *string    `json:"uri,omitempty"`
	// State is initial, ringing, connected or onHold.
	State                      *string `json:"state,omitempty"`
	Direction                  *string `json:"direction,omitempty"`
	AudioMuted                 *bool   `json:"audioMuted,omitempty"`
	VideoMuted                 *bool   `json:"videoMuted,omitempty"`
	Importance                 *int    `json:"importance,omitempty"`
	Layout                     *string `json:"layout,omitempty"`
	ActiveSpeaker              *bool   `json:"activeSpeaker,omitempty"`
	Presenter                  *bool   `json:"presenter,omitempty"`
	EndpointRecording          *string `json:"endpointRecording,omitempty"`
	CanMove                    *bool   `json:"canMove,omitempty"`
	MovedParticipant           *string `json:"movedParticipant,omitempty"`
	MovedParticipantCallBridge *string `json:"movedParticipantCallBridge,omitempty"`
	// Extra holds elements this package does not know, and known ones
	// whose value had an unexpected type.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decodeFields).
func (r *RosterEntry) UnmarshalJSON(b []byte) error {
	return decodeFields(b, map[string]any{
		"participant": &r.Participant, "updateType": &r.UpdateType, "reason": &r.Reason,
		"name": &r.Name, "uri": &r.URI, "state": &r.State, "direction": &r.Direction,
		"audioMuted": &r.AudioMuted, "videoMuted": &r.VideoMuted, "importance": &r.Importance,
		"layout": &r.Layout, "activeSpeaker": &r.ActiveSpeaker, "presenter": &r.Presenter,
		"endpointRecording": &r.EndpointRecording, "canMove": &r.CanMove,
		"movedParticipant": &r.MovedParticipant, "movedParticipantCallBridge": &r.MovedParticipantCallBridge,
	}, &r.Extra)
}

// decodeFields decodes a JSON object field by field into the pointers of
// known, so that one element of an unexpected type (or a new element)
// does not cost the whole update: it is kept in extra instead. null is
// treated as absent.
func decodeFields(b []byte, known map[string]any, extra *map[string]json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("expected an object, got null")
	}
	for k, v := range m {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		if dst, ok := known[k]; ok {
			// Decode into a fresh value first: a failed json.Unmarshal can
			// leave a half-set field (an allocated pointer to false).
			tmp := reflect.New(reflect.TypeOf(dst).Elem())
			if json.Unmarshal(v, tmp.Interface()) == nil {
				reflect.ValueOf(dst).Elem().Set(tmp.Elem())
				continue
			}
		}
		if *extra == nil {
			*extra = map[string]json.RawMessage{}
		}
		(*extra)[k] = v
	}
	return nil
}

// Decode decodes one frame. It fails, naming what is wrong, on anything
// that is not a message or messageAck frame, and on a message without a
// messageId (which could not be acknowledged).
func Decode(b []byte) (*Frame, error) {
	var env struct {
		Type       string          `json:"type"`
		Message    json.RawMessage `json:"message"`
		MessageAck json.RawMessage `json:"messageAck"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("events: frame is not a JSON object: %w", err)
	}
	switch env.Type {
	case "messageAck":
		var a Ack
		if len(env.MessageAck) == 0 {
			return nil, errors.New(`events: messageAck frame without "messageAck"`)
		}
		if err := json.Unmarshal(env.MessageAck, &a); err != nil {
			return nil, fmt.Errorf("events: messageAck: %w", err)
		}
		return &Frame{Ack: &a}, nil
	case "message":
		if len(env.Message) == 0 {
			return nil, errors.New(`events: message frame without "message"`)
		}
		m, err := decodeMessage(env.Message)
		if err != nil {
			return nil, err
		}
		return &Frame{Message: m}, nil
	case "":
		return nil, errors.New(`events: frame has no "type"`)
	}
	return nil, fmt.Errorf("events: unknown frame type %q (want message or messageAck)", env.Type)
}

func decodeMessage(raw json.RawMessage) (*Message, error) {
	var head struct {
		ID   *json.Number `json:"messageId"`
		Type string       `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("events: message: %w", err)
	}
	if head.ID == nil {
		return nil, errors.New("events: message without messageId")
	}
	id, err := head.ID.Int64()
	if err != nil {
		f, ferr := head.ID.Float64()
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("events: messageId %s is not an integer", head.ID.String())
		}
		id = int64(f)
	}
	m := &Message{ID: id, Type: head.Type}
	var target any
	switch head.Type {
	case TypeSubscriptionUpdate:
		m.SubscriptionUpdate = new(SubscriptionUpdate)
		target = m.SubscriptionUpdate
	case TypeCallListUpdate:
		m.CallListUpdate = new(CallListUpdate)
		target = m.CallListUpdate
	case TypeCallInfoUpdate:
		m.CallInfoUpdate = new(CallInfoUpdate)
		target = m.CallInfoUpdate
	case TypeRosterUpdate:
		m.RosterUpdate = new(RosterUpdate)
		target = m.RosterUpdate
	case TypeSubscribeRequest:
		var req struct {
			Subscriptions []Subscription `json:"subscriptions"`
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("events: message %d (%s): %w", id, head.Type, err)
		}
		m.SubscribeRequest = req.Subscriptions
		return m, nil
	default:
		m.Raw = append(json.RawMessage(nil), raw...)
		return m, nil
	}
	if err := json.Unmarshal(raw, target); err != nil {
		return nil, fmt.Errorf("events: message %d (%s): %w", id, head.Type, err)
	}
	return m, nil
}

// EncodeAck returns the messageAck frame for message id.
func EncodeAck(id int64) []byte {
	b, _ := json.Marshal(map[string]any{"type": "messageAck", "messageAck": Ack{MessageID: id, Status: "success"}})
	return b
}

// EncodeSubscribeRequest returns a subscribeRequest frame carrying subs,
// the full set the client wants.
func EncodeSubscribeRequest(id int64, subs []Subscription) []byte {
	if subs == nil {
		subs = []Subscription{}
	}
	b, _ := json.Marshal(map[string]any{"type": "message", "message": map[string]any{
		"messageId": id, "type": TypeSubscribeRequest, "subscriptions": subs,
	}})
	return b
}
