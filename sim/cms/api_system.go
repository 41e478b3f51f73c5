package cmssim

import (
	"sort"
	"strconv"
	"time"
)

// alarm is an active entry of /system/alarms.
type alarm struct {
	id       string
	typ      string
	since    time.Time
	children [][2]string
	manual   bool
}

func getStatus(c *reqCtx) (*resp, *apiError) {
	b := c.b
	w := newXW()
	w.open("status")
	w.leaf("hostId", b.hostID)
	w.leaf("softwareVersion", b.sim.opts.SoftwareVersion)
	w.intLeaf("uptimeSeconds", int64(c.now.Sub(b.boot)/time.Second))
	w.leaf("cdrTime", c.now.UTC().Format(cdrTimeFormat))
	w.boolLeaf("activated", true)
	w.boolLeaf("clusterEnabled", c.cl.clustered)
	if c.cl.clustered {
		w.leaf("clusterId", c.cl.ID)
	}
	w.intLeaf("cdrCorrelatorIndex", int64(b.corr))
	w.intLeaf("callLegsActive", int64(len(b.legs)))
	w.intLeaf("callLegsMaxActive", int64(b.legsMaxActive))
	w.intLeaf("callLegsCompleted", int64(b.legsCompleted))
	var aOut, aIn, vOut, vIn int64
	for _, l := range b.legs {
		if l.state != "connected" {
			continue
		}
		st := legStats(l, c.now)
		aOut += int64(st.txAudioBitRate)
		aIn += int64(st.rxAudioBitRate)
		vOut += int64(st.txVideoBitRate)
		vIn += int64(st.rxVideoBitRate)
	}
	w.intLeaf("audioBitRateOutgoing", aOut)
	w.intLeaf("audioBitRateIncoming", aIn)
	w.intLeaf("videoBitRateOutgoing", vOut)
	w.intLeaf("videoBitRateIncoming", vIn)
	w.close("status")
	return xmlResp(w), nil
}

// currentAlarmsLocked reconciles the alarm table with the conditions that
// raise alarms: a CDR receiver that cannot be reached, and a peer bridge
// that is down. Alarm ids stay stable while the condition lasts.
func (b *Bridge) currentAlarmsLocked() []*alarm {
	want := map[string]*alarm{}
	for _, o := range b.receivers.list("") {
		r := b.emitters[o.id]
		if r == nil {
			continue
		}
		if failing, since, _ := r.status(); failing {
			want["cdr/"+o.id] = &alarm{typ: "cdrConnectionFailure", since: since}
		}
	}
	if b.cl.clustered {
		for _, p := range b.cl.Bridges {
			if p != b && p.Down() {
				want["peer/"+p.id] = &alarm{typ: "callBridgeConnectionFailure", since: time.Now(), children: [][2]string{{"callBridge", p.id}}}
			}
		}
	}
	for key, a := range b.alarms {
		if a.manual {
			continue
		}
		if _, still := want[key]; !still {
			delete(b.alarms, key)
		}
	}
	for key, a := range want {
		if _, have := b.alarms[key]; !have {
			a.id = b.sim.ids.guid()
			b.alarms[key] = a
		}
	}
	out := make([]*alarm, 0, len(b.alarms))
	for _, a := range b.alarms {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].since.Equal(out[j].since) {
			return out[i].since.Before(out[j].since)
		}
		return out[i].id < out[j].id
	})
	return out
}

// RaiseAlarm adds an alarm of the given type (e.g. "recorderUnavailable")
// with optional type-specific child elements, and returns its id.
func (b *Bridge) RaiseAlarm(typ string, children map[string]string) string {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	a := &alarm{id: b.sim.ids.guid(), typ: typ, since: time.Now(), manual: true}
	keys := make([]string, 0, len(children))
	for k := range children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a.children = append(a.children, [2]string{k, children[k]})
	}
	b.alarms["manual/"+a.id] = a
	return a.id
}

// ClearAlarm removes an alarm raised with RaiseAlarm.
func (b *Bridge) ClearAlarm(id string) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	delete(b.alarms, "manual/"+id)
}

func getAlarms(c *reqCtx) (*resp, *apiError) {
	all := c.b.currentAlarmsLocked()
	lo, hi, err := c.page(len(all), "alarms", 10)
	if err != nil {
		return nil, err
	}
	w := newXW()
	if lo == hi {
		w.empty("alarms", "total", strconv.Itoa(len(all)))
		return xmlResp(w), nil
	}
	w.open("alarms", "total", strconv.Itoa(len(all)))
	for _, a := range all[lo:hi] {
		w.open("alarm", "id", a.id)
		w.leaf("type", a.typ)
		w.intLeaf("activeTimeSeconds", int64(time.Since(a.since)/time.Second))
		for _, ch := range a.children {
			w.leaf(ch[0], ch[1])
		}
		w.close("alarm")
	}
	w.close("alarms")
	return xmlResp(w), nil
}

var clusterConfigFields = []string{"uniqueName", "peerLinkBitRate", "maxPeerVideoStreams", "participantLimit", "loadLimit",
	"newConferenceLoadLimitBasisPoints", "existingConferenceLoadLimitBasisPoints"}

var kindClusterConfig = &kind{
	plural: "cluster", singular: "cluster",
	params: []param{
		{name: "uniqueName", kind: pStr},
		{name: "peerLinkBitRate", kind: pInt},
		{name: "maxPeerVideoStreams", kind: pInt},
		{name: "participantLimit", kind: pInt},
		{name: "loadLimit", kind: pInt},
		{name: "newConferenceLoadLimitBasisPoints", kind: pInt, max: 10000},
		{name: "existingConferenceLoadLimitBasisPoints", kind: pInt, max: 10000},
	},
}

func getClusterConfig(c *reqCtx) (*resp, *apiError) {
	w := newXW()
	w.open("cluster")
	for _, f := range clusterConfigFields {
		w.leaf(f, c.b.clusterCfg[f])
	}
	w.close("cluster")
	return xmlResp(w), nil
}

func putClusterConfig(c *reqCtx) (*resp, *apiError) {
	set, clear, err := parseParams(nil, kindClusterConfig, nil, c.form, false)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		c.b.clusterCfg[k] = v
	}
	for _, k := range clear {
		delete(c.b.clusterCfg, k)
	}
	return ok, nil
}

// ---- CDR receivers ----

func listReceivers(c *reqCtx) (*resp, *apiError) {
	rows := c.b.receivers.list("")
	lo, hi, err := c.page(len(rows), "cdrReceivers", kindCDRReceiver.defaultPageCap)
	if err != nil {
		return nil, err
	}
	w := newXW()
	attrs := []string{"total", strconv.Itoa(len(rows)), "maximum", strconv.Itoa(maxCDRReceivers)}
	if lo == hi {
		w.empty("cdrReceivers", attrs...)
		return xmlResp(w), nil
	}
	w.open("cdrReceivers", attrs...)
	for _, o := range rows[lo:hi] {
		w.open("cdrReceiver", "id", o.id)
		w.leaf("uri", o.f["uri"])
		w.close("cdrReceiver")
	}
	w.close("cdrReceivers")
	return xmlResp(w), nil
}

func postReceiver(c *reqCtx) (*resp, *apiError) {
	if reason := c.b.receiverRefused(); reason != "" {
		return nil, badRequest(reason)
	}
	set, _, err := parseParams(nil, kindCDRReceiver, nil, c.form, true)
	if err != nil {
		return nil, err
	}
	id, err := c.b.addReceiverLocked(set["uri"])
	if err != nil {
		return nil, err
	}
	return created(location(c, id)), nil
}

func getReceiver(c *reqCtx) (*resp, *apiError) {
	o := c.b.receivers.get(c.ids[0])
	if o == nil {
		return nil, notFound("cdrReceiverDoesNotExist")
	}
	w := newXW()
	w.open("cdrReceiver", "id", o.id)
	w.leaf("uri", o.f["uri"])
	w.close("cdrReceiver")
	return xmlResp(w), nil
}

func putReceiver(c *reqCtx) (*resp, *apiError) {
	o := c.b.receivers.get(c.ids[0])
	if o == nil {
		return nil, notFound("cdrReceiverDoesNotExist")
	}
	set, clear, err := parseParams(nil, kindCDRReceiver, nil, c.form, false)
	if err != nil {
		return nil, err
	}
	if len(clear) > 0 {
		// A receiver without a URI makes no sense; CMS's behaviour is
		// unknown, so refuse it.
		return nil, paramError("uri", "required")
	}
	if uri, has := set["uri"]; has {
		if !validReceiverURI(uri) {
			return nil, paramError("uri", "invalidValue")
		}
		o.f["uri"] = uri
		c.b.emitters[o.id].setURI(uri)
	}
	return ok, nil
}

func deleteReceiver(c *reqCtx) (*resp, *apiError) {
	if c.b.receivers.get(c.ids[0]) == nil {
		return nil, notFound("cdrReceiverDoesNotExist")
	}
	c.b.deleteReceiverLocked(c.ids[0])
	return ok, nil
}

// The legacy single receiver maps onto the first slot of the list.

func getLegacyReceiver(c *reqCtx) (*resp, *apiError) {
	w := newXW()
	w.open("cdrReceiver")
	uri := ""
	if rows := c.b.receivers.list(""); len(rows) > 0 {
		uri = rows[0].f["uri"]
	}
	w.leaf("uri", uri)
	w.close("cdrReceiver")
	return xmlResp(w), nil
}

func putLegacyReceiver(c *reqCtx) (*resp, *apiError) {
	set, clear, err := parseParams(nil, kindCDRReceiver, nil, c.form, false)
	if err != nil {
		return nil, err
	}
	rows := c.b.receivers.list("")
	switch {
	case len(clear) > 0:
		if len(rows) > 0 {
			c.b.deleteReceiverLocked(rows[0].id)
		}
	case set["uri"] != "":
		uri := set["uri"]
		if !validReceiverURI(uri) {
			return nil, paramError("uri", "invalidValue")
		}
		if len(rows) > 0 {
			rows[0].f["uri"] = uri
			c.b.emitters[rows[0].id].setURI(uri)
		} else if _, err := c.b.addReceiverLocked(uri); err != nil {
			return nil, err
		}
	}
	return ok, nil
}
