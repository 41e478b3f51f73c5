package cms

import (
	"context"
	"encoding/xml"
	"iter"
)

// CallLegSettings are the call leg profile fields. They form the body of
// a call leg profile, the live overrides of PUT /callLegs/<id>, and the
// overrides of a dial-out. Clearing one makes the leg inherit it again.
type CallLegSettings struct {
	NeedsActivation                         Field[bool]   `form:"needsActivation"`
	DefaultLayout                           Field[Layout] `form:"defaultLayout"`
	ChangeLayoutAllowed                     Field[bool]   `form:"changeLayoutAllowed"`
	ParticipantLabels                       Field[bool]   `form:"participantLabels"`
	PresentationDisplayMode                 Field[string] `form:"presentationDisplayMode"` // dualStream | singleStream
	PresentationContributionAllowed         Field[bool]   `form:"presentationContributionAllowed"`
	PresentationViewingAllowed              Field[bool]   `form:"presentationViewingAllowed"`
	EndCallAllowed                          Field[bool]   `form:"endCallAllowed"`
	MuteOthersAllowed                       Field[bool]   `form:"muteOthersAllowed"`
	VideoMuteOthersAllowed                  Field[bool]   `form:"videoMuteOthersAllowed"`
	MuteSelfAllowed                         Field[bool]   `form:"muteSelfAllowed"`
	VideoMuteSelfAllowed                    Field[bool]   `form:"videoMuteSelfAllowed"`
	AllowAllMuteSelfAllowed                 Field[bool]   `form:"allowAllMuteSelfAllowed"`
	AllowAllPresentationContributionAllowed Field[bool]   `form:"allowAllPresentationContributionAllowed"`
	ChangeJoinAudioMuteOverrideAllowed      Field[bool]   `form:"changeJoinAudioMuteOverrideAllowed"`
	JoinToneParticipantThreshold            Field[int]    `form:"joinToneParticipantThreshold"`
	LeaveToneParticipantThreshold           Field[int]    `form:"leaveToneParticipantThreshold"`
	VideoMode                               Field[string] `form:"videoMode"` // auto | disabled
	// RxAudioMute: others do not hear this leg.
	RxAudioMute Field[bool] `form:"rxAudioMute"`
	// TxAudioMute: this leg hears nothing.
	TxAudioMute Field[bool] `form:"txAudioMute"`
	// RxVideoMute: others do not see this leg ("stop video").
	RxVideoMute Field[bool] `form:"rxVideoMute"`
	// TxVideoMute: this leg sees nothing.
	TxVideoMute                   Field[bool]   `form:"txVideoMute"`
	SIPMediaEncryption            Field[string] `form:"sipMediaEncryption"` // optional | required | prohibited
	AudioPacketSizeMs             Field[int]    `form:"audioPacketSizeMs"`
	DeactivationMode              Field[string] `form:"deactivationMode"` // deactivate | disconnect | remainActivated
	DeactivationModeTime          Field[int]    `form:"deactivationModeTime"`
	TelepresenceCallsAllowed      Field[bool]   `form:"telepresenceCallsAllowed"`
	SIPPresentationChannelEnabled Field[bool]   `form:"sipPresentationChannelEnabled"`
	BFCPMode                      Field[string] `form:"bfcpMode"` // serverOnly | serverAndClient
	CallLockAllowed               Field[bool]   `form:"callLockAllowed"`
	SetImportanceAllowed          Field[bool]   `form:"setImportanceAllowed"`
	RecordingControlAllowed       Field[bool]   `form:"recordingControlAllowed"`
	StreamingControlAllowed       Field[bool]   `form:"streamingControlAllowed"`
	DisconnectOthersAllowed       Field[bool]   `form:"disconnectOthersAllowed"`
	AddParticipantAllowed         Field[bool]   `form:"addParticipantAllowed"`
	MaxCallDurationTime           Field[int]    `form:"maxCallDurationTime"`
	QualityMain                   Field[string] `form:"qualityMain"`
	QualityPresentation           Field[string] `form:"qualityPresentation"`
	ParticipantCounter            Field[string] `form:"participantCounter"` // never | auto | always
	ControlRemoteCameraAllowed    Field[bool]   `form:"controlRemoteCameraAllowed"`
	LayoutTemplate                Field[string] `form:"layoutTemplate"`
	AudioGainMode                 Field[string] `form:"audioGainMode"`
}

// CallLegValues are the call leg profile fields as a bridge reports them:
// in a call leg profile, and as the active overrides in a call leg's
// <configuration>. A nil field is not set there (inherited).
type CallLegValues struct {
	NeedsActivation                         *bool   `xml:"needsActivation" json:"needsActivation,omitempty"`
	DefaultLayout                           *Layout `xml:"defaultLayout" json:"defaultLayout,omitempty"`
	ChangeLayoutAllowed                     *bool   `xml:"changeLayoutAllowed" json:"changeLayoutAllowed,omitempty"`
	ParticipantLabels                       *bool   `xml:"participantLabels" json:"participantLabels,omitempty"`
	PresentationDisplayMode                 *string `xml:"presentationDisplayMode" json:"presentationDisplayMode,omitempty"`
	PresentationContributionAllowed         *bool   `xml:"presentationContributionAllowed" json:"presentationContributionAllowed,omitempty"`
	PresentationViewingAllowed              *bool   `xml:"presentationViewingAllowed" json:"presentationViewingAllowed,omitempty"`
	EndCallAllowed                          *bool   `xml:"endCallAllowed" json:"endCallAllowed,omitempty"`
	MuteOthersAllowed                       *bool   `xml:"muteOthersAllowed" json:"muteOthersAllowed,omitempty"`
	VideoMuteOthersAllowed                  *bool   `xml:"videoMuteOthersAllowed" json:"videoMuteOthersAllowed,omitempty"`
	MuteSelfAllowed                         *bool   `xml:"muteSelfAllowed" json:"muteSelfAllowed,omitempty"`
	VideoMuteSelfAllowed                    *bool   `xml:"videoMuteSelfAllowed" json:"videoMuteSelfAllowed,omitempty"`
	AllowAllMuteSelfAllowed                 *bool   `xml:"allowAllMuteSelfAllowed" json:"allowAllMuteSelfAllowed,omitempty"`
	AllowAllPresentationContributionAllowed *bool   `xml:"allowAllPresentationContributionAllowed" json:"allowAllPresentationContributionAllowed,omitempty"`
	ChangeJoinAudioMuteOverrideAllowed      *bool   `xml:"changeJoinAudioMuteOverrideAllowed" json:"changeJoinAudioMuteOverrideAllowed,omitempty"`
	JoinToneParticipantThreshold            *int    `xml:"joinToneParticipantThreshold" json:"joinToneParticipantThreshold,omitempty"`
	LeaveToneParticipantThreshold           *int    `xml:"leaveToneParticipantThreshold" json:"leaveToneParticipantThreshold,omitempty"`
	VideoMode                               *string `xml:"videoMode" json:"videoMode,omitempty"`
	RxAudioMute                             *bool   `xml:"rxAudioMute" json:"rxAudioMute,omitempty"`
	TxAudioMute                             *bool   `xml:"txAudioMute" json:"txAudioMute,omitempty"`
	RxVideoMute                             *bool   `xml:"rxVideoMute" json:"rxVideoMute,omitempty"`
	TxVideoMute                             *bool   `xml:"txVideoMute" json:"txVideoMute,omitempty"`
	SIPMediaEncryption                      *string `xml:"sipMediaEncryption" json:"sipMediaEncryption,omitempty"`
	AudioPacketSizeMs                       *int    `xml:"audioPacketSizeMs" json:"audioPacketSizeMs,omitempty"`
	DeactivationMode                        *string `xml:"deactivationMode" json:"deactivationMode,omitempty"`
	DeactivationModeTime                    *int    `xml:"deactivationModeTime" json:"deactivationModeTime,omitempty"`
	TelepresenceCallsAllowed                *bool   `xml:"telepresenceCallsAllowed" json:"telepresenceCallsAllowed,omitempty"`
	SIPPresentationChannelEnabled           *bool   `xml:"sipPresentationChannelEnabled" json:"sipPresentationChannelEnabled,omitempty"`
	BFCPMode                                *string `xml:"bfcpMode" json:"bfcpMode,omitempty"`
	CallLockAllowed                         *bool   `xml:"callLockAllowed" json:"callLockAllowed,omitempty"`
	SetImportanceAllowed                    *bool   `xml:"setImportanceAllowed" json:"setImportanceAllowed,omitempty"`
	RecordingControlAllowed                 *bool   `xml:"recordingControlAllowed" json:"recordingControlAllowed,omitempty"`
	StreamingControlAllowed                 *bool   `xml:"streamingControlAllowed" json:"streamingControlAllowed,omitempty"`
	DisconnectOthersAllowed                 *bool   `xml:"disconnectOthersAllowed" json:"disconnectOthersAllowed,omitempty"`
	AddParticipantAllowed                   *bool   `xml:"addParticipantAllowed" json:"addParticipantAllowed,omitempty"`
	MaxCallDurationTime                     *int    `xml:"maxCallDurationTime" json:"maxCallDurationTime,omitempty"`
	QualityMain                             *string `xml:"qualityMain" json:"qualityMain,omitempty"`
	QualityPresentation                     *string `xml:"qualityPresentation" json:"qualityPresentation,omitempty"`
	ParticipantCounter                      *string `xml:"participantCounter" json:"participantCounter,omitempty"`
	ControlRemoteCameraAllowed              *bool   `xml:"controlRemoteCameraAllowed" json:"controlRemoteCameraAllowed,omitempty"`
	LayoutTemplate                          *string `xml:"layoutTemplate" json:"layoutTemplate,omitempty"`
	AudioGainMode                           *string `xml:"audioGainMode" json:"audioGainMode,omitempty"`
}

// CallLegProfile is a call leg profile. Lists carry only the fields that
// are set in it.
type CallLegProfile struct {
	XMLName xml.Name `xml:"callLegProfile" json:"-"`
	ID      string   `xml:"id,attr" json:"id"`
	Name    string   `xml:"name" json:"name,omitempty"`
	CallLegValues
	Extra []RawElement `xml:",any" json:"extra,omitempty"`
}

func (p CallLegProfile) objectID() string { return p.ID }

// CallLegProfileParams is the body of POST/PUT /callLegProfiles.
type CallLegProfileParams struct {
	Name Field[string] `form:"name"`
	CallLegSettings
}

// ProfileQuery filters the profile collections.
type ProfileQuery struct {
	ListOptions
	// UsageFilter is "referenced" or "unreferenced".
	UsageFilter string
}

// CallLegProfiles lists call leg profiles.
func (c *Client) CallLegProfiles(ctx context.Context, q ProfileQuery) iter.Seq2[CallLegProfile, error] {
	return Iterate[CallLegProfile](ctx, c, "callLegProfiles", "callLegProfiles", q.ListOptions, query("usageFilter", q.UsageFilter))
}

// CallLegProfile reads one call leg profile.
func (c *Client) CallLegProfile(ctx context.Context, id string) (*CallLegProfile, error) {
	return getOne[CallLegProfile](ctx, c, objPath("callLegProfiles", id))
}

// CreateCallLegProfile creates a call leg profile and returns its id.
func (c *Client) CreateCallLegProfile(ctx context.Context, p CallLegProfileParams) (string, error) {
	return c.Create(ctx, "callLegProfiles", FormOf(p))
}

// UpdateCallLegProfile changes a call leg profile.
func (c *Client) UpdateCallLegProfile(ctx context.Context, id string, p CallLegProfileParams) error {
	return c.Modify(ctx, objPath("callLegProfiles", id), FormOf(p))
}

// DeleteCallLegProfile deletes a call leg profile.
func (c *Client) DeleteCallLegProfile(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("callLegProfiles", id))
}

// CallProfile is a call profile.
type CallProfile struct {
	XMLName                      xml.Name     `xml:"callProfile" json:"-"`
	ID                           string       `xml:"id,attr" json:"id"`
	Name                         string       `xml:"name" json:"name,omitempty"`
	ParticipantLimit             *int         `xml:"participantLimit" json:"participantLimit,omitempty"`
	MessageBoardEnabled          *bool        `xml:"messageBoardEnabled" json:"messageBoardEnabled,omitempty"`
	Locked                       *bool        `xml:"locked" json:"locked,omitempty"`
	RecordingMode                *string      `xml:"recordingMode" json:"recordingMode,omitempty"`
	StreamingMode                *string      `xml:"streamingMode" json:"streamingMode,omitempty"`
	LockMode                     *string      `xml:"lockMode" json:"lockMode,omitempty"`
	SIPRecorderURI               *string      `xml:"sipRecorderUri" json:"sipRecorderUri,omitempty"`
	SIPStreamerURI               *string      `xml:"sipStreamerUri" json:"sipStreamerUri,omitempty"`
	PasscodeMode                 *string      `xml:"passcodeMode" json:"passcodeMode,omitempty"`
	PasscodeTimeout              *int         `xml:"passcodeTimeout" json:"passcodeTimeout,omitempty"`
	GatewayAudioCallOptimization *bool        `xml:"gatewayAudioCallOptimization" json:"gatewayAudioCallOptimization,omitempty"`
	LyncConferenceMode           *string      `xml:"lyncConferenceMode" json:"lyncConferenceMode,omitempty"`
	Extra                        []RawElement `xml:",any" json:"extra,omitempty"`
}

func (p CallProfile) objectID() string { return p.ID }

// CallProfileParams is the body of POST/PUT /callProfiles.
type CallProfileParams struct {
	Name                         Field[string] `form:"name"`
	ParticipantLimit             Field[int]    `form:"participantLimit"`
	MessageBoardEnabled          Field[bool]   `form:"messageBoardEnabled"` // removed in 3.0
	Locked                       Field[bool]   `form:"locked"`
	RecordingMode                Field[string] `form:"recordingMode"` // disabled | manual | automatic
	StreamingMode                Field[string] `form:"streamingMode"`
	LockMode                     Field[string] `form:"lockMode"` // all | needsActivation
	SIPRecorderURI               Field[string] `form:"sipRecorderUri"`
	SIPStreamerURI               Field[string] `form:"sipStreamerUri"`
	PasscodeMode                 Field[string] `form:"passcodeMode"` // required | timeout
	PasscodeTimeout              Field[int]    `form:"passcodeTimeout"`
	GatewayAudioCallOptimization Field[bool]   `form:"gatewayAudioCallOptimization"`
	LyncConferenceMode           Field[string] `form:"lyncConferenceMode"`
}

// CallProfiles lists call profiles.
func (c *Client) CallProfiles(ctx context.Context, q ProfileQuery) iter.Seq2[CallProfile, error] {
	return Iterate[CallProfile](ctx, c, "callProfiles", "callProfiles", q.ListOptions, query("usageFilter", q.UsageFilter))
}

// CallProfile reads one call profile.
func (c *Client) CallProfile(ctx context.Context, id string) (*CallProfile, error) {
	return getOne[CallProfile](ctx, c, objPath("callProfiles", id))
}

// CreateCallProfile creates a call profile and returns its id.
func (c *Client) CreateCallProfile(ctx context.Context, p CallProfileParams) (string, error) {
	return c.Create(ctx, "callProfiles", FormOf(p))
}

// UpdateCallProfile changes a call profile.
func (c *Client) UpdateCallProfile(ctx context.Context, id string, p CallProfileParams) error {
	return c.Modify(ctx, objPath("callProfiles", id), FormOf(p))
}

// DeleteCallProfile deletes a call profile.
func (c *Client) DeleteCallProfile(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("callProfiles", id))
}
