package cmssim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

var callParams = []param{
	{name: "locked", kind: pBool},
	{name: "recording", kind: pBool},
	{name: "streaming", kind: pBool},
	{name: "allowAllMuteSelf", kind: pBool},
	{name: "allowAllPresentationContribution", kind: pBool},
	{name: "joinAudioMuteOverride", kind: pBool},
	{name: "messageText", kind: pStr},
	{name: "messagePosition", kind: pEnum, enum: []string{"top", "middle", "bottom"}},
	{name: "messageDuration", kind: pStr},
	{name: "activeWhenEmpty", kind: pBool},
	{name: "panePlacementHighestImportance", kind: pInt},
	{name: "panePlacementSelfPaneMode", kind: pEnum, enum: []string{"skip", "self", "blank"}},
}

var (
	kindCall     = &kind{plural: "calls", singular: "call", notFound: "callDoesNotExist", params: callParams, defaultPageCap: 20}
	kindCallPost = &kind{plural: "calls", singular: "call", params: append([]param{
		{name: "coSpace", kind: pRef, ref: "coSpaces"},
		{name: "name", kind: pStr},
	}, callParams...)}
	// legParams are what PUT /callLegs accepts: the call leg profile fields
	// (without the profile's name) plus per-leg settings.
	legParams = append(slices.DeleteFunc(slices.Clone(callLegProfileParams), func(p param) bool { return p.name == "name" }),
		param{name: "chosenLayout", kind: pEnum, enum: layouts},
		param{name: "layout", kind: pEnum, enum: layouts},
		param{name: "nameLabelOverride", kind: pStr},
		param{name: "dtmfSequence", kind: pAction},
	)
	kindLeg = &kind{plural: "callLegs", singular: "callLeg", notFound: "callLegDoesNotExist", params: legParams, defaultPageCap: 20}
	// dialParams are what POST /calls/<id>/participants and .../callLegs
	// accept: the leg settings plus the dial-out-only parameters.
	dialParams = append(slices.Clone(legParams),
		param{name: "remoteParty", kind: pStr},
		param{name: "bandwidth", kind: pInt},
		param{name: "confirmation", kind: pBool},
		param{name: "callBridge", kind: pRef, ref: "callBridges"},
		param{name: "callBridgeGroup", kind: pStr},
		param{name: "importance", kind: pInt},
		param{name: "movedParticipant", kind: pStr},
		param{name: "deactivated", kind: pBool},
	)
	kindDial        = &kind{plural: "participants", singular: "participant", params: dialParams}
	kindParticipant = &kind{plural: "participants", singular: "participant", notFound: "participantDoesNotExist", defaultPageCap: 20,
		params: []param{
			{name: "importance", kind: pInt},
			{name: "dtmfSequence", kind: pAction},
			{name: "nameLabelOverride", kind: pStr},
			{name: "deactivated", kind: pBool},
		}}
	kindAllParticipants = &kind{plural: "participants", singular: "participant", params: []param{
		{name: "rxAudioMute", kind: pBool},
		{name: "txAudioMute", kind: pBool},
		{name: "rxVideoMute", kind: pBool},
		{name: "txVideoMute", kind: pBool},
		{name: "layout", kind: pEnum, enum: layouts},
		{name: "importance", kind: pInt},
		{name: "filterIds", kind: pStr},
		{name: "mode", kind: pEnum, enum: []string{"exclude", "selected"}},
	}}
)

// ---- calls ----

func (c *reqCtx) localCall() (*call, *apiError) {
	call := c.b.callByID[c.ids[0]]
	if call == nil {
		return nil, notFound("callDoesNotExist")
	}
	return call, nil
}

func listCalls(c *reqCtx) (*resp, *apiError) {
	var rows []*call
	for _, x := range c.b.calls {
		if !matchFilter(c.q.Get("filter"), x.m.name) {
			continue
		}
		if v := c.q.Get("coSpaceFilter"); v != "" && x.m.coSpace != v {
			continue
		}
		if v := c.q.Get("tenantFilter"); v != "" && x.m.tenant != v {
			continue
		}
		rows = append(rows, x)
	}
	lo, hi, err := c.page(len(rows), "calls", kindCall.defaultPageCap)
	if err != nil {
		return nil, err
	}
	w := newXW()
	if lo == hi {
		w.empty("calls", "total", strconv.Itoa(len(rows)))
		return xmlResp(w), nil
	}
	w.open("calls", "total", strconv.Itoa(len(rows)))
	for _, x := range rows[lo:hi] {
		w.open("call", "id", x.id)
		w.leaf("name", x.m.name)
		w.opt("coSpace", x.m.coSpace)
		w.leaf("callCorrelator", x.m.correlator)
		w.opt("tenant", x.m.tenant)
		w.close("call")
	}
	w.close("calls")
	return xmlResp(w), nil
}

func getCall(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	m := x.m
	w := newXW()
	w.open("call", "id", x.id)
	w.leaf("name", m.name)
	w.leaf("callType", m.callType)
	w.opt("coSpace", m.coSpace)
	w.leaf("callCorrelator", m.correlator)
	w.opt("tenant", m.tenant)
	w.intLeaf("durationSeconds", int64(c.now.Sub(x.start)/time.Second))
	w.intLeaf("numCallLegs", int64(len(x.parts)))
	w.intLeaf("maxCallLegs", int64(x.legsMaxActive))
	w.intLeaf("numParticipantsLocal", int64(len(x.parts)))
	w.intLeaf("numParticipantsRemote", int64(m.participantCount()-len(x.parts)))
	w.intLeaf("numDistributedInstances", int64(len(m.instances)-1))
	if m.presenter != nil && m.presenter.p.c == x {
		w.leaf("presenterCallLeg", m.presenter.id)
	}
	for _, f := range []string{"locked", "recording", "streaming", "allowAllMuteSelf", "allowAllPresentationContribution", "joinAudioMuteOverride"} {
		v := m.flag(f)
		switch f {
		case "recording":
			v = m.recordingID != ""
		case "streaming":
			v = m.streamingID != ""
		}
		w.boolLeaf(f, v)
	}
	// APIARY's example carries these next to the booleans; their values
	// are not documented, so they use the Events API's words.
	w.leaf("recordingStatus", activeWord(m.recordingID != ""))
	w.leaf("streamingStatus", activeWord(m.streamingID != ""))
	if m.props["messageText"] != "" {
		w.leaf("messageText", m.props["messageText"])
		w.leaf("messagePosition", orDefault(m.props["messagePosition"], "middle"))
		d := orDefault(m.props["messageDuration"], "permanent")
		w.leaf("messageDuration", d)
		if n, convErr := strconv.Atoi(d); convErr == nil {
			left := n - int(c.now.Sub(m.messageSetAt)/time.Second)
			w.intLeaf("messageTimeRemaining", int64(max(left, 0)))
		}
	}
	w.opt("ownerName", m.ownerName)
	w.boolLeaf("activeWhenEmpty", m.flag("activeWhenEmpty"))
	w.boolLeaf("endpointRecording", false)
	w.opt("panePlacementHighestImportance", m.props["panePlacementHighestImportance"])
	w.opt("panePlacementSelfPaneMode", m.props["panePlacementSelfPaneMode"])
	w.close("call")
	return xmlResp(w), nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func postCall(c *reqCtx) (*resp, *apiError) {
	set, _, err := parseParams(c.cl.db, kindCallPost, nil, c.form, true)
	if err != nil {
		return nil, err
	}
	if set["coSpace"] == "" && set["name"] == "" {
		return nil, paramError("coSpace", "required")
	}
	// A call created through the API has nobody in it yet; it must not end
	// before the dial-outs that usually follow.
	x, e := c.b.startCallLocked(CallOptions{Name: set["name"], CoSpace: set["coSpace"], ActiveWhenEmpty: true}, c.now)
	if e != nil {
		if ae, isAPI := e.(*apiError); isAPI {
			return nil, ae
		}
		return nil, badRequest("invalidOperation")
	}
	delete(set, "coSpace")
	delete(set, "name")
	form := map[string][]string{}
	for k, v := range set {
		form[k] = []string{v}
	}
	if len(form) > 0 {
		if err := c.b.updateCallLocked(x, form, c.now); err != nil {
			return nil, err
		}
	}
	return created("/api/v1/calls/" + x.id), nil
}

func putCall(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	if err := c.b.updateCallLocked(x, c.form, c.now); err != nil {
		return nil, err
	}
	return ok, nil
}

func deleteCall(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	c.cl.endMeetingLocked(x.m, "callDeactivated", c.now)
	return ok, nil
}

func (b *Bridge) updateCallLocked(x *call, form map[string][]string, now time.Time) *apiError {
	set, clear, err := parseParams(b.cl.db, kindCall, nil, form, false)
	if err != nil {
		return err
	}
	// A dual-homed (Lync/Skype for Business) meeting's lock belongs to the
	// Lync conference; the bridge cannot change it.
	if _, has := set["locked"]; (has || slices.Contains(clear, "locked")) && x.m.callType == "lyncConferencing" {
		return badRequest("invalidOperation")
	}
	if d, has := set["messageDuration"]; has && d != "permanent" {
		if n, convErr := strconv.Atoi(d); convErr != nil || n < 0 {
			return paramError("messageDuration", "invalidValue")
		}
	}
	m := x.m
	if v, has := set["recording"]; has {
		switch {
		case v == "true" && m.recordingID == "":
			b.startRecordingLocked(x, now)
		case v == "false" && m.recordingID != "":
			rb := m.recordingBridge
			rb.stopRecordingLocked(rb.instanceOf(m, x), now)
		}
		delete(set, "recording")
	}
	if v, has := set["streaming"]; has {
		switch {
		case v == "true" && m.streamingID == "":
			b.startStreamingLocked(x, now)
		case v == "false" && m.streamingID != "":
			sb := m.streamingBridge
			sb.stopStreamingLocked(sb.instanceOf(m, x), now)
		}
		delete(set, "streaming")
	}
	for k, v := range set {
		m.props[k] = v
	}
	for _, k := range clear {
		delete(m.props, k)
	}
	if _, has := set["messageText"]; has {
		m.messageSetAt = now
	}
	b.cl.notifyMeetingLocked(m)
	// Turning activeWhenEmpty off on an empty call ends it, as the last
	// participant leaving would have.
	if (set["activeWhenEmpty"] == "false" || slices.Contains(clear, "activeWhenEmpty")) && m.participantCount() == 0 {
		b.cl.endMeetingLocked(m, "allLeft", now)
	}
	return nil
}

// instanceOf returns b's instance of m, falling back to def.
func (b *Bridge) instanceOf(m *meeting, def *call) *call {
	for _, c := range m.instances {
		if c.b == b {
			return c
		}
	}
	return def
}

// ---- participants ----

// partView is a participant as one bridge sees it: through the local
// instance of its (possibly distributed) call.
type partView struct {
	p     *participant
	local *call
}

func (b *Bridge) visibleParticipantsLocked() []partView {
	var out []partView
	for _, c := range b.calls {
		for _, inst := range c.m.instances {
			for _, p := range inst.parts {
				out = append(out, partView{p, c})
			}
		}
	}
	return out
}

func (c *reqCtx) participant(id string) (partView, *apiError) {
	for _, v := range c.b.visibleParticipantsLocked() {
		if v.p.id == id {
			return v, nil
		}
	}
	return partView{}, notFound("participantDoesNotExist")
}

func (c *reqCtx) writeParticipantList(views []partView) (*resp, *apiError) {
	var rows []partView
	for _, v := range views {
		if !matchFilter(c.q.Get("filter"), v.p.displayName(), v.p.uri) {
			continue
		}
		if f := c.q.Get("tenantFilter"); f != "" && v.p.c.m.tenant != f {
			continue
		}
		if f := c.q.Get("callBridgeFilter"); f != "" && v.p.c.b.id != f {
			continue
		}
		rows = append(rows, v)
	}
	lo, hi, err := c.page(len(rows), "participants", kindParticipant.defaultPageCap)
	if err != nil {
		return nil, err
	}
	w := newXW()
	if lo == hi {
		w.empty("participants", "total", strconv.Itoa(len(rows)))
		return xmlResp(w), nil
	}
	w.open("participants", "total", strconv.Itoa(len(rows)))
	for _, v := range rows[lo:hi] {
		w.open("participant", "id", v.p.id)
		w.leaf("name", v.p.displayName())
		w.leaf("call", v.local.id)
		w.opt("tenant", v.p.c.m.tenant)
		if v.p.c.b != c.b {
			w.leaf("callBridge", v.p.c.b.id)
		}
		w.close("participant")
	}
	w.close("participants")
	return xmlResp(w), nil
}

func listParticipants(c *reqCtx) (*resp, *apiError) {
	return c.writeParticipantList(c.b.visibleParticipantsLocked())
}

func listCallParticipants(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	var views []partView
	for _, inst := range x.m.instances {
		for _, p := range inst.parts {
			views = append(views, partView{p, x})
		}
	}
	return c.writeParticipantList(views)
}

func getParticipant(c *reqCtx) (*resp, *apiError) {
	v, err := c.participant(c.ids[0])
	if err != nil {
		return nil, err
	}
	p := v.p
	w := newXW()
	w.open("participant", "id", p.id)
	w.leaf("name", p.displayName())
	w.leaf("call", v.local.id)
	w.opt("tenant", p.c.m.tenant)
	if p.c.b != c.b {
		w.leaf("callBridge", p.c.b.id)
	}
	w.leaf("uri", p.uri)
	w.leaf("originalUri", p.originalURI)
	n := 0
	if p.c.b == c.b {
		n = 1
	}
	w.intLeaf("numCallLegs", int64(n))
	w.opt("userJid", p.userJid)
	w.boolLeaf("isActivator", !p.l.flag("needsActivation"))
	w.boolLeaf("canMove", p.canMove)
	w.opt("movedParticipant", p.movedParticipant)
	w.opt("movedParticipantCallBridge", p.movedParticipantCallBridge)
	w.open("status")
	w.leaf("state", p.l.state)
	w.boolLeaf("cameraControlAvailable", false)
	w.close("status")
	w.open("configuration")
	w.opt("importance", p.importance)
	w.opt("nameLabelOverride", p.nameLabelOverride)
	w.opt("defaultLayout", p.l.cfg["defaultLayout"])
	w.opt("layoutTemplate", p.l.cfg["layoutTemplate"])
	w.close("configuration")
	w.close("participant")
	return xmlResp(w), nil
}

func putParticipant(c *reqCtx) (*resp, *apiError) {
	v, err := c.participant(c.ids[0])
	if err != nil {
		return nil, err
	}
	if err := v.p.c.b.updateParticipantLocked(v.p, c.form, c.now); err != nil {
		return nil, err
	}
	return ok, nil
}

func (b *Bridge) updateParticipantLocked(p *participant, form map[string][]string, now time.Time) *apiError {
	set, clear, err := parseParams(b.cl.db, kindParticipant, nil, form, false)
	if err != nil {
		return err
	}
	nameChanged := false
	for _, k := range clear {
		switch k {
		case "importance":
			p.importance = ""
		case "nameLabelOverride":
			p.nameLabelOverride, nameChanged = "", true
		case "deactivated":
			p.deactOverride = nil
		}
	}
	if v, has := set["importance"]; has {
		p.importance = v
	}
	if v, has := set["nameLabelOverride"]; has {
		p.nameLabelOverride, nameChanged = v, true
	}
	if v, has := set["deactivated"]; has {
		d := v == "true"
		p.deactOverride = &d
	}
	if nameChanged && p.l.state == "connected" {
		b.emitLegUpdateLocked(p.l, now)
	}
	b.cl.notifyParticipantLocked(p, "")
	b.cl.recomputeActivationLocked(p.c.m, now)
	return nil
}

func deleteParticipant(c *reqCtx) (*resp, *apiError) {
	v, err := c.participant(c.ids[0])
	if err != nil {
		return nil, err
	}
	v.p.c.b.endLegLocked(v.p.l, "localTeardown", false, c.now)
	return ok, nil
}

func listParticipantLegs(c *reqCtx) (*resp, *apiError) {
	v, err := c.participant(c.ids[0])
	if err != nil {
		return nil, err
	}
	var legs []*leg
	if v.p.c.b == c.b {
		legs = append(legs, v.p.l)
	}
	return c.writeLegList(legs)
}

// postParticipant dials out (or, with movedParticipant, moves a
// participant in). The answer is 200 with the new participant's Location
// even when the dial-out will fail: failure shows as the participant
// disappearing with a callLegEnd, as on a real bridge.
func postParticipant(c *reqCtx) (*resp, *apiError) {
	l, err := c.dial()
	if err != nil {
		return nil, err
	}
	return created("/api/v1/participants/" + l.p.id), nil
}

func postCallLeg(c *reqCtx) (*resp, *apiError) {
	l, err := c.dial()
	if err != nil {
		return nil, err
	}
	return created("/api/v1/callLegs/" + l.id), nil
}

func (c *reqCtx) dial() (*leg, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	set, _, err := parseParams(c.cl.db, kindDial, nil, c.form, true)
	if err != nil {
		return nil, err
	}
	host := c.b
	if id := set["callBridge"]; id != "" {
		host = c.cl.bridgeByID(id)
		if host == nil || host.Down() {
			return nil, badRequest("callBridgeUnavailable")
		}
	}
	inst := host.instanceOf(x.m, nil)
	if inst == nil {
		m := x.m
		inst = &call{id: c.cl.sim.ids.guid(), m: m, b: host, start: c.now}
		host.adoptCallLocked(inst, c.now)
	}
	extra := map[string]string{}
	for _, p := range legParams {
		if v, has := set[p.name]; has && p.kind != pAction && p.name != "nameLabelOverride" {
			extra[p.name] = v
		}
	}
	if mp := set["movedParticipant"]; mp != "" {
		p := c.cl.participantLocked(mp)
		if p == nil {
			return nil, paramError("movedParticipant", "invalidValue")
		}
		if !p.canMove {
			return nil, badRequest("participantCannotBeModified")
		}
		return host.moveLocked(p, inst, extra, c.now), nil
	}
	if set["remoteParty"] == "" {
		return nil, paramError("remoteParty", "required")
	}
	o := LegOptions{Name: orDefault(set["nameLabelOverride"], set["remoteParty"]), Remote: set["remoteParty"], Outgoing: true}
	if n, convErr := strconv.Atoi(set["importance"]); convErr == nil && n > 0 {
		o.Importance = n
	}
	p, l := host.newLegLocked(inst, o, c.now)
	for k, v := range extra {
		l.cfg[k] = v
	}
	p.nameLabelOverride = set["nameLabelOverride"]
	if v, has := set["deactivated"]; has {
		d := v == "true"
		p.deactOverride = &d
	}
	host.dialLocked(l, c.now)
	return l, nil
}

// adoptCallLocked registers a new distributed instance created by a
// dial-out placed on another member.
func (b *Bridge) adoptCallLocked(inst *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	m := inst.m
	m.instances = append(m.instances, inst)
	b.calls = append(b.calls, inst)
	b.callByID[inst.id] = inst
	w := fragment()
	w.open("call", "id", inst.id)
	w.leaf("name", m.name)
	w.leaf("ownerName", m.ownerName)
	w.leaf("callType", m.callType)
	w.opt("coSpace", m.coSpace)
	w.leaf("callCorrelator", m.correlator)
	w.opt("tenant", m.tenant)
	w.opt("cdrTag", m.cdrTag)
	w.close("call")
	b.emitLocked("callStart", now, w.bytes())
	b.cl.notifyMeetingLocked(m)
}

func putAllParticipants(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	set, _, err := parseParams(c.cl.db, kindAllParticipants, nil, c.form, false)
	if err != nil {
		return nil, err
	}
	var ids []string
	if f := set["filterIds"]; f != "" {
		ids = strings.Split(f, ",")
		if len(ids) > 20 {
			return nil, paramError("filterIds", "invalidValue")
		}
		// CMS's default mode is not documented in our sources; requiring
		// it keeps a client explicit.
		if set["mode"] == "" {
			return nil, paramError("mode", "required")
		}
	}
	for _, inst := range slices.Clone(x.m.instances) {
		for _, p := range slices.Clone(inst.parts) {
			if len(ids) > 0 {
				in := slices.Contains(ids, p.id)
				if (set["mode"] == "selected") != in {
					continue
				}
			}
			form := map[string][]string{}
			for _, k := range []string{"rxAudioMute", "txAudioMute", "rxVideoMute", "txVideoMute"} {
				if v, has := set[k]; has {
					form[k] = []string{v}
				}
			}
			if v, has := set["layout"]; has {
				form["chosenLayout"] = []string{v}
			}
			if len(form) > 0 {
				if e := inst.b.updateLegLocked(p.l, form, c.now); e != nil {
					return nil, e
				}
			}
			if v, has := set["importance"]; has {
				p.importance = v
				c.cl.notifyParticipantLocked(p, "")
			}
		}
	}
	return ok, nil
}

// ---- call legs ----

func (c *reqCtx) localLeg() (*leg, *apiError) {
	l := c.b.legs[c.ids[0]]
	if l == nil {
		return nil, notFound("callLegDoesNotExist")
	}
	return l, nil
}

func (b *Bridge) localLegsLocked() []*leg {
	var out []*leg
	for _, c := range b.calls {
		for _, p := range c.parts {
			out = append(out, p.l)
		}
	}
	return out
}

func listCallLegs(c *reqCtx) (*resp, *apiError) {
	return c.writeLegList(c.b.localLegsLocked())
}

func listCallLegsOfCall(c *reqCtx) (*resp, *apiError) {
	x, err := c.localCall()
	if err != nil {
		return nil, err
	}
	var legs []*leg
	for _, p := range x.parts {
		legs = append(legs, p.l)
	}
	return c.writeLegList(legs)
}

// layoutPanes is how many video panes a layout shows (absent: as many as
// there are participants).
var layoutPanes = map[string]int{"speakerOnly": 1, "allEqualQuarters": 4, "allEqualNinths": 9, "allEqualSixteenths": 16,
	"allEqualTwentyFifths": 25, "onePlusFive": 6, "onePlusSeven": 8, "onePlusNine": 10, "telepresence": 1, "stacked": 5}

// availableVideoStreams is how many other participants the leg's layout
// can show.
func availableVideoStreams(l *leg) int {
	others := l.p.c.m.participantCount() - 1
	if n, has := layoutPanes[l.layout()]; has && n < others {
		return n
	}
	return max(others, 0)
}

func (c *reqCtx) writeLegList(all []*leg) (*resp, *apiError) {
	var rows []*leg
	var alarmWant []string
	if v := c.q.Get("alarms"); v != "" {
		alarmWant = strings.FieldsFunc(v, func(r rune) bool { return r == '|' || r == ',' })
	}
	lower, upper := -1, -1
	if v := c.q.Get("availableVideoStreamsLowerBound"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, paramError("availableVideoStreamsLowerBound", "invalidValue")
		}
		lower = n
	}
	if v := c.q.Get("availableVideoStreamsUpperBound"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, paramError("availableVideoStreamsUpperBound", "invalidValue")
		}
		upper = n
	}
	filter, partF, tenantF := c.q.Get("filter"), c.q.Get("participantFilter"), c.q.Get("tenantFilter")
	layoutF, ownerF := c.q.Get("activeLayoutFilter"), c.q.Get("ownerIdSet")
	for _, l := range all {
		if filter != "" && !matchFilter(filter, l.name, l.remoteParty) {
			continue
		}
		if partF != "" && l.p.id != partF {
			continue
		}
		if tenantF != "" && l.p.c.m.tenant != tenantF {
			continue
		}
		if layoutF != "" && l.layout() != layoutF {
			continue
		}
		if ownerF != "" && (ownerF == "true") != (l.p.userJid != "") {
			continue
		}
		if lower >= 0 || upper >= 0 {
			avail := availableVideoStreams(l)
			if (lower >= 0 && avail < lower) || (upper >= 0 && avail > upper) {
				continue
			}
		}
		if len(alarmWant) > 0 {
			have := legAlarms(l, c.now)
			hit := false
			for _, a := range alarmWant {
				if a == "all" && len(have) > 0 || slices.Contains(have, a) {
					hit = true
				}
			}
			if !hit {
				continue
			}
		}
		rows = append(rows, l)
	}
	lo, hi, err := c.page(len(rows), "callLegs", kindLeg.defaultPageCap)
	if err != nil {
		return nil, err
	}
	w := newXW()
	if lo == hi {
		w.empty("callLegs", "total", strconv.Itoa(len(rows)))
		return xmlResp(w), nil
	}
	w.open("callLegs", "total", strconv.Itoa(len(rows)))
	for _, l := range rows[lo:hi] {
		w.open("callLeg", "id", l.id)
		w.leaf("name", l.p.displayName())
		w.leaf("remoteParty", l.remoteParty)
		w.leaf("originalRemoteParty", l.originalRemoteParty)
		w.leaf("call", l.p.c.id)
		writeAlarms(w, l, c.now)
		w.close("callLeg")
	}
	w.close("callLegs")
	return xmlResp(w), nil
}

func legAlarms(l *leg, now time.Time) []string {
	if l.state != "connected" {
		return nil
	}
	return legStats(l, now).alarms
}

// writeAlarms writes a leg's <alarms>: its active alarms, or an empty
// <alarms/> once alarms it had have all cleared (a real /callLegs capture
// has an empty one), or nothing for a leg that never had an alarm.
func writeAlarms(w *xw, l *leg, now time.Time) {
	alarms := legAlarms(l, now)
	if len(alarms) == 0 {
		if l.state == "connected" {
			if seen, _ := legAlarmHistory(l.quality, int64(now.Sub(l.start)/time.Second)); len(seen) > 0 {
				w.empty("alarms")
			}
		}
		return
	}
	w.open("alarms")
	for _, a := range alarms {
		w.empty(a)
	}
	w.close("alarms")
}

func getCallLeg(c *reqCtx) (*resp, *apiError) {
	l, err := c.localLeg()
	if err != nil {
		return nil, err
	}
	w := newXW()
	writeLegDetail(w, l, c.now)
	return xmlResp(w), nil
}

func writeLegDetail(w *xw, l *leg, now time.Time) {
	p := l.p
	w.open("callLeg", "id", l.id)
	w.leaf("name", p.displayName())
	w.leaf("remoteParty", l.remoteParty)
	w.leaf("originalRemoteParty", l.originalRemoteParty)
	w.leaf("localAddress", l.localAddress)
	w.leaf("call", p.c.id)
	w.opt("tenant", p.c.m.tenant)
	w.leaf("type", l.typ)
	w.leaf("direction", l.direction)
	w.boolLeaf("canMove", p.canMove)
	w.opt("movedCallLeg", l.movedCallLeg)
	w.opt("movedCallLegCallBridge", l.movedCallLegBridge)
	w.open("configuration")
	w.opt("ownerId", p.userJid)
	for _, prm := range legParams {
		if v := l.cfg[prm.name]; v != "" {
			w.leaf(prm.name, v)
		}
	}
	w.close("configuration")
	w.open("status")
	w.leaf("state", l.state)
	w.intLeaf("durationSeconds", int64(now.Sub(l.start)/time.Second))
	w.leaf("sipCallId", l.sipCallID)
	w.leaf("groupId", l.groupID)
	w.boolLeaf("recording", false)
	w.boolLeaf("streaming", false)
	w.boolLeaf("deactivated", l.deactivated)
	if l.state == "connected" {
		st := legStats(l, now)
		w.boolLeaf("encryptedMedia", st.encrypted)
		w.boolLeaf("unencryptedMedia", !st.encrypted)
		if st.encrypted {
			w.leaf("cipherSuite", "AES_CM_128_HMAC_SHA1_80")
		}
		w.leaf("layout", l.layout())
		w.leaf("activeLayout", l.layout())
		w.intLeaf("availableVideoStreams", int64(availableVideoStreams(l)))
		w.boolLeaf("cameraControlAvailable", false)
		audio := func(tag string, jitter, rate int, loss float64) {
			w.open(tag)
			w.leaf("codec", st.audioCodec)
			w.intLeaf("jitter", int64(jitter))
			w.intLeaf("bitRate", int64(rate))
			w.intLeaf("codecBitRate", 64000)
			w.leaf("packetLossPercentage", fmt.Sprintf("%.1f", loss))
			w.intLeaf("roundTripTime", int64(st.rtt))
			w.close(tag)
		}
		audio("rxAudio", st.rxAudioJitter, st.rxAudioBitRate, st.rxAudioLoss)
		audio("txAudio", st.txAudioJitter, st.txAudioBitRate, st.txAudioLoss)
		video := func(tag string, width, height, fps, rate, jitter int, loss float64) {
			w.open(tag, "role", "main")
			w.leaf("codec", st.videoCodec)
			w.intLeaf("width", int64(width))
			w.intLeaf("height", int64(height))
			w.intLeaf("frameRate", int64(fps))
			w.intLeaf("bitRate", int64(rate))
			w.intLeaf("jitter", int64(jitter))
			w.leaf("packetLossPercentage", fmt.Sprintf("%.1f", loss))
			w.intLeaf("roundTripTime", int64(st.rtt))
			w.close(tag)
		}
		video("rxVideo", st.rxWidth, st.rxHeight, st.rxFrameRate, st.rxVideoBitRate, st.rxVideoJitter, st.rxVideoLoss)
		video("txVideo", st.txWidth, st.txHeight, st.txFrameRate, st.txVideoBitRate, st.txVideoJitter, st.txVideoLoss)
	}
	w.close("status")
	writeAlarms(w, l, now)
	w.close("callLeg")
}

func putCallLeg(c *reqCtx) (*resp, *apiError) {
	l, err := c.localLeg()
	if err != nil {
		return nil, err
	}
	if err := c.b.updateLegLocked(l, c.form, c.now); err != nil {
		return nil, err
	}
	return ok, nil
}

// updateLegLocked applies live call-leg changes (mutes, layout, lobby).
func (b *Bridge) updateLegLocked(l *leg, form map[string][]string, now time.Time) *apiError {
	set, clear, err := parseParams(b.cl.db, kindLeg, nil, form, false)
	if err != nil {
		return err
	}
	p := l.p
	nameChanged := false
	for k, v := range set {
		switch {
		case k == "dtmfSequence":
		case k == "nameLabelOverride":
			p.nameLabelOverride, nameChanged = v, true
		default:
			l.cfg[k] = v
		}
	}
	for _, k := range clear {
		if k == "nameLabelOverride" {
			p.nameLabelOverride, nameChanged = "", true
			continue
		}
		delete(l.cfg, k)
	}
	if nameChanged && l.state == "connected" {
		b.emitLegUpdateLocked(l, now)
	}
	b.cl.notifyParticipantLocked(p, "")
	b.cl.recomputeActivationLocked(p.c.m, now)
	return nil
}

func deleteCallLeg(c *reqCtx) (*resp, *apiError) {
	l, err := c.localLeg()
	if err != nil {
		return nil, err
	}
	c.b.endLegLocked(l, "localTeardown", false, c.now)
	return ok, nil
}
