package cmssim

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// apiError is a failed API request: an HTTP status and the failureDetails
// reason code CMS puts in the body (with parameter and error attributes for
// parameterError).
type apiError struct {
	status int
	reason string
	param  string
	perr   string
}

func (e *apiError) Error() string {
	if e.param != "" {
		return fmt.Sprintf("%s (%s: %s)", e.reason, e.param, e.perr)
	}
	return e.reason
}

func notFound(reason string) *apiError { return &apiError{status: 404, reason: reason} }

func badRequest(reason string) *apiError { return &apiError{status: 400, reason: reason} }

// paramError builds a parameterError. The error values used by the
// simulator are: unrecognised, required, invalidValue, valueTooLong.
func paramError(name, why string) *apiError {
	return &apiError{status: 400, reason: "parameterError", param: name, perr: why}
}

type pkind int

const (
	pStr pkind = iota
	pBool
	pInt
	pEnum
	pRef    // id of an object in another table of the cluster database
	pAction // accepted but not stored (regenerateSecret, requireCallId, ...)
)

// param is one POST/PUT parameter an object accepts.
type param struct {
	name     string
	kind     pkind
	enum     []string
	ref      string // table for pRef
	max      int    // maximum length (pStr) or value (pInt); 0 = none
	postOnly bool
	putOnly  bool
	required bool // on POST
}

// kind describes one configuration collection.
type kind struct {
	plural, singular string
	notFound         string
	params           []param
	listFields       []string // elements of a list entry
	getFields        []string // elements of a single GET; nil = every set parameter
	filterFields     []string // fields the generic filter= matches
	defaultPageCap   int
}

func (k *kind) param(name string) *param {
	for i := range k.params {
		if k.params[i].name == name {
			return &k.params[i]
		}
	}
	return nil
}

var layouts = []string{"allEqual", "speakerOnly", "telepresence", "stacked", "allEqualQuarters", "allEqualNinths",
	"allEqualSixteenths", "allEqualTwentyFifths", "onePlusFive", "onePlusSeven", "onePlusNine", "automatic", "onePlusN"}

func boolParams(names ...string) []param {
	out := make([]param, len(names))
	for i, n := range names {
		out[i] = param{name: n, kind: pBool}
	}
	return out
}

func cat(groups ...[]param) []param {
	var out []param
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// callLegProfileParams are the call-leg-profile fields, which PUT /callLegs
// also accepts as live overrides.
var callLegProfileParams = cat(
	[]param{
		{name: "name", kind: pStr},
		{name: "needsActivation", kind: pBool},
		{name: "defaultLayout", kind: pEnum, enum: layouts},
	},
	boolParams("changeLayoutAllowed", "participantLabels"),
	[]param{{name: "presentationDisplayMode", kind: pEnum, enum: []string{"dualStream", "singleStream"}}},
	boolParams("presentationContributionAllowed", "presentationViewingAllowed", "endCallAllowed", "muteOthersAllowed",
		"videoMuteOthersAllowed", "muteSelfAllowed", "videoMuteSelfAllowed", "allowAllMuteSelfAllowed",
		"allowAllPresentationContributionAllowed", "changeJoinAudioMuteOverrideAllowed"),
	[]param{
		{name: "joinToneParticipantThreshold", kind: pInt, max: 100},
		{name: "leaveToneParticipantThreshold", kind: pInt, max: 100},
		{name: "videoMode", kind: pEnum, enum: []string{"auto", "disabled"}},
	},
	boolParams("rxAudioMute", "txAudioMute", "rxVideoMute", "txVideoMute"),
	[]param{
		{name: "sipMediaEncryption", kind: pEnum, enum: []string{"optional", "required", "prohibited"}},
		{name: "audioPacketSizeMs", kind: pInt},
		{name: "deactivationMode", kind: pEnum, enum: []string{"deactivate", "disconnect", "remainActivated"}},
		{name: "deactivationModeTime", kind: pInt},
	},
	boolParams("telepresenceCallsAllowed", "sipPresentationChannelEnabled"),
	[]param{{name: "bfcpMode", kind: pEnum, enum: []string{"serverOnly", "serverAndClient"}}},
	boolParams("callLockAllowed", "setImportanceAllowed", "recordingControlAllowed", "streamingControlAllowed",
		"disconnectOthersAllowed", "addParticipantAllowed"),
	[]param{
		{name: "maxCallDurationTime", kind: pInt},
		{name: "qualityMain", kind: pEnum, enum: []string{"unrestricted", "max1080p30", "max720p30", "max480p30"}},
		{name: "qualityPresentation", kind: pEnum, enum: []string{"unrestricted", "max1080p30", "max720p5"}},
		{name: "participantCounter", kind: pEnum, enum: []string{"never", "auto", "always"}},
		{name: "controlRemoteCameraAllowed", kind: pBool},
		{name: "layoutTemplate", kind: pStr},
		{name: "audioGainMode", kind: pEnum, enum: []string{"agc"}},
	},
)

func names(ps []param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

var (
	kindCoSpace = &kind{
		plural: "coSpaces", singular: "coSpace", notFound: "coSpaceDoesNotExist", defaultPageCap: 20,
		params: []param{
			{name: "name", kind: pStr},
			{name: "uri", kind: pStr},
			{name: "secondaryUri", kind: pStr},
			{name: "callId", kind: pStr},
			{name: "cdrTag", kind: pStr, max: 100},
			{name: "passcode", kind: pStr},
			{name: "defaultLayout", kind: pEnum, enum: layouts},
			{name: "tenant", kind: pRef, ref: "tenants"},
			{name: "callLegProfile", kind: pRef, ref: "callLegProfiles"},
			{name: "callProfile", kind: pRef, ref: "callProfiles"},
			{name: "callBrandingProfile", kind: pStr},
			{name: "dialInSecurityProfile", kind: pStr},
			{name: "requireCallId", kind: pAction},
			{name: "secret", kind: pStr},
			{name: "regenerateSecret", kind: pAction, putOnly: true},
			{name: "nonMemberAccess", kind: pBool},
			{name: "ownerJid", kind: pStr},
			{name: "streamUrl", kind: pStr},
			{name: "ownerAdGuid", kind: pStr},
			{name: "meetingScheduler", kind: pStr},
			{name: "panePlacementHighestImportance", kind: pInt},
			{name: "panePlacementSelfPaneMode", kind: pEnum, enum: []string{"skip", "self", "blank"}},
		},
		listFields: []string{"name", "autoGenerated", "uri", "secondaryUri", "callId", "tenant"},
		getFields: []string{"name", "autoGenerated", "uri", "secondaryUri", "callId", "cdrTag", "passcode", "defaultLayout",
			"tenant", "callLegProfile", "callProfile", "callBrandingProfile", "dialInSecurityProfile", "numAccessMethods",
			"ownerId", "ownerJid", "secret", "nonMemberAccess", "streamUrl", "ownerAdGuid", "meetingScheduler",
			"panePlacementHighestImportance", "panePlacementSelfPaneMode"},
		filterFields: []string{"name", "uri", "secondaryUri", "callId"},
	}
	kindAccessMethod = &kind{
		plural: "accessMethods", singular: "accessMethod", notFound: "accessMethodDoesNotExist", defaultPageCap: 10,
		params: []param{
			{name: "uri", kind: pStr},
			{name: "callId", kind: pStr},
			{name: "passcode", kind: pStr},
			{name: "name", kind: pStr},
			{name: "callLegProfile", kind: pRef, ref: "callLegProfiles"},
			{name: "secret", kind: pStr},
			{name: "regenerateSecret", kind: pAction, putOnly: true},
			{name: "scope", kind: pEnum, enum: []string{"public", "private"}},
			{name: "importance", kind: pInt},
			{name: "dialInSecurityProfile", kind: pStr},
		},
		listFields:   []string{"uri", "callId", "passcode", "name"},
		getFields:    []string{"uri", "callId", "passcode", "name", "callLegProfile", "secret", "scope", "importance", "dialInSecurityProfile"},
		filterFields: []string{"uri", "callId", "name"},
	}
	kindCoSpaceUser = &kind{
		plural: "coSpaceUsers", singular: "coSpaceUser", notFound: "coSpaceUserDoesNotExist", defaultPageCap: 10,
		params: cat(
			[]param{{name: "userJid", kind: pStr, postOnly: true, required: true}, {name: "callLegProfile", kind: pRef, ref: "callLegProfiles"}},
			boolParams("canDestroy", "canAddRemoveMember", "canChangeName", "canChangeUri", "canChangeCallId",
				"canChangePasscode", "canPostMessage", "canRemoveSelf", "canDeleteAllMessages", "canChangeNonMemberAccessAllowed"),
		),
		listFields: []string{"userJid", "userId", "autoGenerated"},
		getFields: []string{"userJid", "userId", "autoGenerated", "callLegProfile", "canDestroy", "canAddRemoveMember",
			"canChangeName", "canChangeUri", "canChangeCallId", "canChangePasscode", "canPostMessage", "canRemoveSelf",
			"canDeleteAllMessages", "canChangeNonMemberAccessAllowed"},
		filterFields: []string{"userJid"},
	}
	kindCallLegProfile = &kind{
		plural: "callLegProfiles", singular: "callLegProfile", notFound: "callLegProfileDoesNotExist", defaultPageCap: 10,
		params:       callLegProfileParams,
		listFields:   names(callLegProfileParams),
		filterFields: []string{"name"},
	}
	kindCallProfile = &kind{
		plural: "callProfiles", singular: "callProfile", notFound: "callProfileDoesNotExist", defaultPageCap: 10,
		params: []param{
			{name: "participantLimit", kind: pInt},
			{name: "messageBoardEnabled", kind: pBool},
			{name: "locked", kind: pBool},
			{name: "recordingMode", kind: pEnum, enum: []string{"disabled", "manual", "automatic"}},
			{name: "streamingMode", kind: pEnum, enum: []string{"disabled", "manual", "automatic"}},
			{name: "lockMode", kind: pEnum, enum: []string{"all", "needsActivation"}},
			{name: "sipRecorderUri", kind: pStr},
			{name: "sipStreamerUri", kind: pStr},
			{name: "passcodeMode", kind: pEnum, enum: []string{"required", "timeout"}},
			{name: "passcodeTimeout", kind: pInt},
			{name: "gatewayAudioCallOptimization", kind: pBool},
			{name: "lyncConferenceMode", kind: pStr},
		},
		listFields: []string{"participantLimit", "messageBoardEnabled", "locked", "recordingMode", "streamingMode", "lockMode",
			"sipRecorderUri", "sipStreamerUri", "passcodeMode", "passcodeTimeout", "gatewayAudioCallOptimization", "lyncConferenceMode"},
	}
	kindTenant = &kind{
		plural: "tenants", singular: "tenant", notFound: "tenantDoesNotExist", defaultPageCap: 10,
		params: []param{
			{name: "name", kind: pStr, required: true},
			{name: "tenantGroup", kind: pStr},
			{name: "callLegProfile", kind: pRef, ref: "callLegProfiles"},
			{name: "callProfile", kind: pRef, ref: "callProfiles"},
			{name: "dtmfProfile", kind: pStr},
			{name: "ivrBrandingProfile", kind: pStr},
			{name: "callBrandingProfile", kind: pStr},
			{name: "participantLimit", kind: pInt},
			{name: "userProfile", kind: pStr},
			{name: "dialInSecurityProfile", kind: pStr},
			{name: "webBridgeProfile", kind: pStr},
		},
		listFields:   []string{"name", "tenantGroup"},
		filterFields: []string{"name"},
	}
	kindCallBridge = &kind{
		plural: "callBridges", singular: "callBridge", notFound: "callBridgeDoesNotExist", defaultPageCap: 10,
		params: []param{
			{name: "name", kind: pStr},
			{name: "address", kind: pStr},
			{name: "sipDomain", kind: pStr},
			{name: "callBridgeGroup", kind: pStr},
		},
		listFields:   []string{"name"},
		getFields:    []string{"name", "address", "sipDomain", "callBridgeGroup"},
		filterFields: []string{"name"},
	}
	kindCDRReceiver = &kind{
		plural: "cdrReceivers", singular: "cdrReceiver", notFound: "cdrReceiverDoesNotExist", defaultPageCap: 4,
		params:     []param{{name: "uri", kind: pStr, required: true}},
		listFields: []string{"uri"},
		getFields:  []string{"uri"},
	}
)

// parseParams validates a form body against k. It returns the parameters to
// set and, for PUT, the ones sent empty (to clear). Parameters not listed
// for the object are refused rather than ignored, so a misspelt parameter
// fails loudly in tests.
func parseParams(db *configDB, k *kind, extra []param, form url.Values, post bool) (set map[string]string, clear []string, err *apiError) {
	set = map[string]string{}
	keys := make([]string, 0, len(form))
	for key := range form {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := form.Get(key)
		p := k.param(key)
		if p == nil {
			for i := range extra {
				if extra[i].name == key {
					p = &extra[i]
				}
			}
		}
		if p == nil || (post && p.putOnly) || (!post && p.postOnly) {
			return nil, nil, paramError(key, "unrecognised")
		}
		if v == "" {
			if !post {
				clear = append(clear, key)
			}
			continue
		}
		if e := checkValue(db, p, v); e != nil {
			return nil, nil, e
		}
		set[key] = v
	}
	if post {
		for _, p := range k.params {
			if p.required && set[p.name] == "" {
				return nil, nil, paramError(p.name, "required")
			}
		}
	}
	return set, clear, nil
}

func checkValue(db *configDB, p *param, v string) *apiError {
	switch p.kind {
	case pBool, pAction:
		if p.kind == pAction && p.name != "regenerateSecret" && p.name != "requireCallId" {
			return nil
		}
		if v != "true" && v != "false" {
			return paramError(p.name, "invalidValue")
		}
	case pInt:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (p.max > 0 && n > p.max) {
			return paramError(p.name, "invalidValue")
		}
	case pEnum:
		if !slices.Contains(p.enum, v) {
			return paramError(p.name, "invalidValue")
		}
	case pStr:
		if p.max > 0 && len(v) > p.max {
			return paramError(p.name, "valueTooLong")
		}
	case pRef:
		if db != nil {
			if t := db.table(p.ref); t != nil && t.get(v) == nil {
				return badRequest(refReason[p.ref])
			}
		}
	}
	return nil
}

var refReason = map[string]string{
	"callLegProfiles": "callLegProfileDoesNotExist",
	"callProfiles":    "callProfileDoesNotExist",
	"tenants":         "tenantDoesNotExist",
	"coSpaces":        "coSpaceDoesNotExist",
	"callBridges":     "callBridgeDoesNotExist",
}

// matchFilter reports whether the generic filter= substring matches any of
// the fields (case-insensitively).
func matchFilter(filter string, values ...string) bool {
	if filter == "" {
		return true
	}
	f := strings.ToLower(filter)
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), f) {
			return true
		}
	}
	return false
}

// createObjectLocked validates form and adds an object of kind k to the
// cluster database, applying the per-kind rules (uniqueness, generated
// secrets and ids). b is nil when called from Go rather than the API.
func (cl *Cluster) createObjectLocked(b *Bridge, k *kind, parent string, form url.Values) (string, *apiError) {
	set, _, err := parseParams(cl.db, k, nil, form, true)
	if err != nil {
		return "", err
	}
	id := cl.sim.ids.guid()
	switch k {
	case kindCoSpace:
		if set["requireCallId"] == "true" && set["callId"] == "" {
			set["callId"] = cl.generateCallIDLocked()
		}
		delete(set, "requireCallId")
		if set["secret"] == "" {
			set["secret"] = randomToken(8)
		}
		if e := cl.checkUniqueLocked("", set); e != nil {
			return "", e
		}
	case kindAccessMethod:
		if set["secret"] == "" {
			set["secret"] = randomToken(8)
		}
		if e := cl.checkUniqueLocked(id, set); e != nil {
			return "", e
		}
	case kindCoSpaceUser:
		set["userId"] = cl.userIDLocked(set["userJid"])
	}
	cl.db.table(k.plural).add(id, parent, set)
	return id, nil
}

// updateObjectLocked applies PUT semantics: omitted parameters keep their
// value, empty ones are cleared.
func (cl *Cluster) updateObjectLocked(k *kind, o *object, form url.Values) *apiError {
	set, clear, err := parseParams(cl.db, k, nil, form, false)
	if err != nil {
		return err
	}
	regen := set["regenerateSecret"] == "true"
	delete(set, "regenerateSecret")
	if k == kindCoSpace || k == kindAccessMethod {
		merged := map[string]string{}
		for key, v := range o.f {
			merged[key] = v
		}
		for key, v := range set {
			merged[key] = v
		}
		for _, key := range clear {
			delete(merged, key)
		}
		if e := cl.checkUniqueLocked(o.id, merged); e != nil {
			return e
		}
	}
	for key, v := range set {
		o.f[key] = v
	}
	for _, key := range clear {
		delete(o.f, key)
	}
	if regen {
		o.f["secret"] = randomToken(8)
	}
	return nil
}

// checkUniqueLocked enforces that URIs and call ids are unique across
// coSpaces and access methods (self is the object being changed).
func (cl *Cluster) checkUniqueLocked(self string, f map[string]string) *apiError {
	uris := []string{f["uri"], f["secondaryUri"]}
	for _, t := range []*table{cl.db.coSpaces, cl.db.accessMethods} {
		for _, o := range t.rows {
			if o.id == self {
				continue
			}
			for _, u := range uris {
				if u != "" && (o.f["uri"] == u || o.f["secondaryUri"] == u) {
					return badRequest("duplicateCoSpaceUri")
				}
			}
			if f["callId"] != "" && o.f["callId"] == f["callId"] {
				return badRequest("duplicateCoSpaceId")
			}
		}
	}
	return nil
}

func (cl *Cluster) generateCallIDLocked() string {
	for {
		id := strconv.FormatUint(100000000+cl.sim.ids.uint64()%900000000, 10)
		if cl.checkUniqueLocked("", map[string]string{"callId": id}) == nil {
			return id
		}
	}
}

// userIDLocked returns a stable user id for a JID. The simulator has no
// LDAP-imported /users, so any JID is accepted and given an id.
func (cl *Cluster) userIDLocked(jid string) string {
	for _, o := range cl.db.coSpaceUsers.rows {
		if o.f["userJid"] == jid {
			return o.f["userId"]
		}
	}
	return cl.sim.ids.guid()
}
