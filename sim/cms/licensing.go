package cmssim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"
)

// LicenseFeature is one feature of /system/licensing or /clusterLicensing.
type LicenseFeature struct {
	// Name is the element name: callBridge, callBridgeNoEncryption,
	// webBridge, turn, ldap, branding, recording, streaming, personal,
	// shared, capacityUnits (licensing) or callBridge,
	// callBridgeNoEncryption, customizations, recording (clusterLicensing).
	Name string
	// Status is noLicense, activated, grace or expired.
	Status string
	// Expiry is written as 2022-Aug-08; zero writes no expiry element.
	Expiry time.Time
	// Limit is written when HasLimit (recording, streaming, personal,
	// shared, capacityUnits).
	Limit    int
	HasLimit bool
	// Level is written when set (branding: multipleBrands).
	Level string
}

// Licensing is a bridge's licence state: the license file
// (/system/licensing), the cluster-wide view (/clusterLicensing) and the
// users holding a personal (PMP) licence.
type Licensing struct {
	Features        []LicenseFeature
	ClusterFeatures []LicenseFeature
	// PersonalUsers are the user JIDs with a personal licence. A meeting
	// uses the licence of a connected participant who is a member of the
	// coSpace and holds one, else its coSpace owner's; else it is a shared
	// (SMP) meeting.
	PersonalUsers []string
}

// DefaultLicensing is a fully licensed bridge: every feature activated
// until a year after now, recording and streaming limited to 10
// concurrent calls, 100 personal and 50 shared licences; clusterLicensing
// with callBridge, customizations and recording activated (recording at
// most 90 days ahead, as CMS reports it).
func DefaultLicensing(now time.Time) Licensing {
	year := now.UTC().AddDate(1, 0, 0)
	act := func(name string) LicenseFeature { return LicenseFeature{Name: name, Status: "activated", Expiry: year} }
	limited := func(name string, n int) LicenseFeature {
		f := act(name)
		f.Limit, f.HasLimit = n, true
		return f
	}
	branding := act("branding")
	branding.Level = "multipleBrands"
	return Licensing{
		Features: []LicenseFeature{
			act("callBridge"), {Name: "callBridgeNoEncryption", Status: "noLicense"}, act("webBridge"), act("turn"), act("ldap"),
			branding, limited("recording", 10), limited("streaming", 10), limited("personal", 100), limited("shared", 50),
			{Name: "capacityUnits", Status: "noLicense"},
		},
		ClusterFeatures: []LicenseFeature{
			act("callBridge"), {Name: "callBridgeNoEncryption", Status: "noLicense"}, act("customizations"),
			{Name: "recording", Status: "activated", Expiry: now.UTC().AddDate(0, 0, 90)},
		},
	}
}

// NoLicenseFile is a bridge without a traditional license file (as under
// Smart Licensing): every /system/licensing feature noLicense; the
// clusterLicensing view is kept.
func (l Licensing) NoLicenseFile() Licensing {
	out := l
	out.Features = nil
	for _, f := range l.Features {
		out.Features = append(out.Features, LicenseFeature{Name: f.Name, Status: "noLicense"})
	}
	return out
}

// WithoutActivationKey is l with the callBridge and callBridgeNoEncryption
// features noLicense in both views: the bridge lacks its activation key.
func (l Licensing) WithoutActivationKey() Licensing {
	fix := func(fs []LicenseFeature) []LicenseFeature {
		out := slices.Clone(fs)
		for i := range out {
			if out[i].Name == "callBridge" || out[i].Name == "callBridgeNoEncryption" {
				out[i] = LicenseFeature{Name: out[i].Name, Status: "noLicense"}
			}
		}
		return out
	}
	out := l
	out.Features, out.ClusterFeatures = fix(l.Features), fix(l.ClusterFeatures)
	return out
}

// SetLicensing replaces the bridge's licence state.
func (b *Bridge) SetLicensing(l Licensing) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	b.cl.recordUsageLocked(b.sim.clock.Now())
	b.lic = cloneLicensing(l)
}

// Licensing returns the bridge's licence state.
func (b *Bridge) Licensing() Licensing {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	return cloneLicensing(b.lic)
}

func cloneLicensing(l Licensing) Licensing {
	return Licensing{Features: slices.Clone(l.Features), ClusterFeatures: slices.Clone(l.ClusterFeatures),
		PersonalUsers: slices.Clone(l.PersonalUsers)}
}

// ---- usage snapshots ----

// UsageInterval is the spacing of MPLicenseUsage snapshots.
const UsageInterval = 5 * time.Minute

// Usage is one MPLicenseUsage snapshot's values (licences in use; zero
// values are left out of the entry). Values are kept to two decimals.
type Usage struct {
	PMP, PMPAssigned, SMPAudio, SMPPointToPoint, SMPFull, Recording, Streaming float64
	// Extra are further licence types by element name, as a newer bridge
	// might report them (tests of LI-13); they follow the seven known
	// elements in name order. Names must be XML names.
	Extra map[string]float64
}

// usageEntry is a compact snapshot: unix seconds and the values in
// hundredths, in the element order pmp, pmpAssigned, smpAud, smpPtP,
// smpFull, rec, str (40 bytes). Extra values live beside the entries, in
// usageHistory.extra, as they are rare.
type usageEntry struct {
	t int64
	v [7]uint32
}

var usageElems = [7]string{"pmp", "pmpAssigned", "smpAud", "smpPtP", "smpFull", "rec", "str"}

func hundredths(f float64) uint32 {
	if f <= 0 {
		return 0
	}
	return uint32(f*100 + 0.5)
}

func (u Usage) entry(t time.Time) usageEntry {
	return usageEntry{t: t.Unix(), v: [7]uint32{hundredths(u.PMP), hundredths(u.PMPAssigned), hundredths(u.SMPAudio),
		hundredths(u.SMPPointToPoint), hundredths(u.SMPFull), hundredths(u.Recording), hundredths(u.Streaming)}}
}

// extraHundredths is Extra in hundredths, nil when it holds no use.
func (u Usage) extraHundredths() map[string]uint32 {
	var x map[string]uint32
	for name, v := range u.Extra {
		if h := hundredths(v); h != 0 {
			if x == nil {
				x = map[string]uint32{}
			}
			x[name] = h
		}
	}
	return x
}

// usageHistory is the snapshots a bridge holds for one host id, oldest
// first.
type usageHistory struct {
	host    string
	entries []usageEntry
	extra   map[int64]map[string]uint32 // unix seconds → Extra of that entry
}

// historyLocked returns the history of host, creating it when create.
func (b *Bridge) historyLocked(host string, create bool) *usageHistory {
	for _, h := range b.usage {
		if h.host == host {
			return h
		}
	}
	if !create {
		return nil
	}
	h := &usageHistory{host: host}
	b.usage = append(b.usage, h)
	return h
}

// recordUsageLocked takes every snapshot due up to now on every member.
// It runs before any change to calls, legs or recording, and before the
// usage is read, so a snapshot shows the state at its instant whatever
// the clock's pace.
func (cl *Cluster) recordUsageLocked(now time.Time) {
	for _, b := range cl.Bridges {
		b.recordUsageLocked(now)
	}
}

func (b *Bridge) recordUsageLocked(now time.Time) {
	if b.usageNext.IsZero() || b.usageNext.After(now) {
		return
	}
	e := b.currentUsageLocked().entry(time.Time{})
	h := b.historyLocked(b.hostID, true)
	for ; !b.usageNext.After(now); b.usageNext = b.usageNext.Add(UsageInterval) {
		e.t = b.usageNext.Unix()
		h.entries = append(h.entries, e)
	}
}

// callWeight is the share of a meeting this instance carries: its
// connected participants over the meeting's, so that the weights of a
// distributed meeting sum to 1. A meeting with nobody connected weighs 0.
func callWeight(c *call) (w float64, meetingParts int) {
	local := 0
	for _, p := range c.parts {
		if p.l.state == "connected" {
			local++
		}
	}
	for _, x := range c.m.instances {
		for _, p := range x.parts {
			if p.l.state == "connected" {
				meetingParts++
			}
		}
	}
	if meetingParts == 0 {
		return 0, 0
	}
	return float64(local) / float64(meetingParts), meetingParts
}

// licenseeLocked returns the JID whose personal licence the meeting uses,
// or "" for a shared (SMP) meeting.
func (b *Bridge) licenseeLocked(m *meeting) string {
	if len(b.lic.PersonalUsers) == 0 || m.coSpace == "" {
		return ""
	}
	members := map[string]bool{}
	for _, o := range b.cl.db.coSpaceUsers.list(m.coSpace) {
		members[o.f["userJid"]] = true
	}
	for _, c := range m.instances {
		for _, p := range c.parts {
			if p.l.state == "connected" && p.userJid != "" && members[p.userJid] && slices.Contains(b.lic.PersonalUsers, p.userJid) {
				return p.userJid
			}
		}
	}
	if cs := b.cl.db.coSpaces.get(m.coSpace); cs != nil && cs.f["ownerJid"] != "" && slices.Contains(b.lic.PersonalUsers, cs.f["ownerJid"]) {
		return cs.f["ownerJid"]
	}
	return ""
}

// liveLicensing is what multipartyLicensing and activePersonalLicenses
// report, computed from the bridge's current calls.
type liveLicensing struct {
	participants, calls, callsShared int
	weighted, weightedShared         float64
	personal                         map[string]*personalUse
	personalOrder                    []string
	usage                            Usage
}

type personalUse struct {
	calls    int
	weighted float64
}

func (b *Bridge) liveLicensingLocked() liveLicensing {
	out := liveLicensing{personal: map[string]*personalUse{}}
	for _, c := range b.calls {
		w, n := callWeight(c)
		m := c.m
		if m.recordingBridge == b && m.recordingID != "" {
			out.usage.Recording++
		}
		if m.streamingBridge == b && m.streamingID != "" {
			out.usage.Streaming++
		}
		if w == 0 {
			continue
		}
		out.calls++
		for _, p := range c.parts {
			if p.l.state == "connected" {
				out.participants++
			}
		}
		out.weighted += w
		jid := b.licenseeLocked(m)
		switch {
		case jid != "":
			out.usage.PMP += w
			pu := out.personal[jid]
			if pu == nil {
				pu = &personalUse{}
				out.personal[jid] = pu
				out.personalOrder = append(out.personalOrder, jid)
			}
			pu.calls++
			pu.weighted += w
			continue
		case m.callType == "adHoc" && n == 2:
			out.usage.SMPPointToPoint += w
		default:
			out.usage.SMPFull += w
		}
		out.callsShared++
		out.weightedShared += w
	}
	out.usage.PMPAssigned = float64(len(b.lic.PersonalUsers))
	return out
}

func (b *Bridge) currentUsageLocked() Usage { return b.liveLicensingLocked().usage }

// PreloadLicenseUsage fills host's MPLicenseUsage history with one snapshot
// every 5 minutes from from (included) to to (excluded), f giving each
// snapshot's values (nil: idle). host "" is the bridge's own hostId;
// another id adds a known host, as after a node was replaced. Snapshots
// already held in [from, to) are replaced. 90 days are 25,920 entries of
// 40 bytes.
func (b *Bridge) PreloadLicenseUsage(host string, from, to time.Time, f func(t time.Time) Usage) {
	from, to = from.UTC().Truncate(time.Second), to.UTC()
	n := 0
	if to.After(from) {
		n = int((to.Sub(from) + UsageInterval - 1) / UsageInterval)
	}
	fresh := make([]usageEntry, 0, n)
	extra := map[int64]map[string]uint32{}
	var idle Usage
	for t := from; t.Before(to); t = t.Add(UsageInterval) {
		u := idle
		if f != nil {
			u = f(t)
		}
		fresh = append(fresh, u.entry(t))
		if x := u.extraHundredths(); x != nil {
			extra[t.Unix()] = x
		}
	}
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	b.cl.recordUsageLocked(b.sim.clock.Now())
	if host == "" {
		host = b.hostID
	}
	h := b.historyLocked(host, true)
	lo := sort.Search(len(h.entries), func(i int) bool { return h.entries[i].t >= from.Unix() })
	hi := sort.Search(len(h.entries), func(i int) bool { return h.entries[i].t >= to.Unix() })
	merged := make([]usageEntry, 0, lo+len(fresh)+len(h.entries)-hi)
	merged = append(append(append(merged, h.entries[:lo]...), fresh...), h.entries[hi:]...)
	h.entries = merged
	for t := range h.extra {
		if t >= from.Unix() && t < to.Unix() {
			delete(h.extra, t)
		}
	}
	for t, x := range extra {
		if h.extra == nil {
			h.extra = map[int64]map[string]uint32{}
		}
		h.extra[t] = x
	}
	if host == b.hostID && len(fresh) > 0 {
		if last := time.Unix(fresh[len(fresh)-1].t, 0).UTC(); !b.usageNext.After(last) {
			b.usageNext = last.Add(UsageInterval)
		}
	}
}

// LicenseUsageLen returns the number of snapshots held for host ("" = own).
func (b *Bridge) LicenseUsageLen(host string) int {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	b.cl.recordUsageLocked(b.sim.clock.Now())
	if host == "" {
		host = b.hostID
	}
	if h := b.historyLocked(host, false); h != nil {
		return len(h.entries)
	}
	return 0
}

// ---- handlers ----

const expiryLayout = "2006-Jan-02"

func writeFeatures(w *xw, root string, fs []LicenseFeature) {
	w.open(root)
	w.open("features")
	for _, f := range fs {
		w.open(f.Name)
		w.leaf("status", f.Status)
		if !f.Expiry.IsZero() {
			w.leaf("expiry", f.Expiry.UTC().Format(expiryLayout))
		}
		if f.HasLimit {
			w.intLeaf("limit", int64(f.Limit))
		}
		w.opt("level", f.Level)
		w.close(f.Name)
	}
	w.close("features")
	w.close(root)
}

func getLicensing(c *reqCtx) (*resp, *apiError) {
	w := newXW()
	writeFeatures(w, "licensing", c.b.lic.Features)
	return xmlResp(w), nil
}

func getClusterLicensing(c *reqCtx) (*resp, *apiError) {
	w := newXW()
	writeFeatures(w, "clusterLicensing", c.b.lic.ClusterFeatures)
	return xmlResp(w), nil
}

func (b *Bridge) featureLimit(name string) (int, bool) {
	for _, f := range b.lic.Features {
		if f.Name == name {
			return f.Limit, f.HasLimit
		}
	}
	return 0, false
}

func dec3(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

func getMultipartyLicensing(c *reqCtx) (*resp, *apiError) {
	b := c.b
	live := b.liveLicensingLocked()
	users := map[string]bool{}
	for _, o := range c.cl.db.coSpaceUsers.rows {
		users[o.f["userJid"]] = true
	}
	for _, u := range b.lic.PersonalUsers {
		users[u] = true
	}
	w := newXW()
	w.open("multipartyLicensing")
	w.leaf("timestamp", c.now.UTC().Format(time.RFC3339))
	for _, l := range [][2]string{{"personalLicenseLimit", "personal"}, {"sharedLicenseLimit", "shared"}, {"capacityUnitLimit", "capacityUnits"}} {
		if n, has := b.featureLimit(l[1]); has {
			w.intLeaf(l[0], int64(n))
		}
	}
	w.intLeaf("users", int64(len(users)))
	w.intLeaf("personalLicenses", int64(len(b.lic.PersonalUsers)))
	w.intLeaf("participantsActive", int64(live.participants))
	w.intLeaf("callsActive", int64(live.calls))
	w.leaf("weightedCallsActive", dec3(live.weighted))
	w.leaf("capacityUnitUsage", dec3(live.weighted))
	w.intLeaf("callsWithoutPersonalLicense", int64(live.callsShared))
	w.leaf("weightedCallsWithoutPersonalLicense", dec3(live.weightedShared))
	w.leaf("capacityUnitUsageWithoutPersonalLicense", dec3(live.weightedShared))
	w.close("multipartyLicensing")
	return xmlResp(w), nil
}

func listActivePersonalLicenses(c *reqCtx) (*resp, *apiError) {
	live := c.b.liveLicensingLocked()
	lo, hi, err := c.page(len(live.personalOrder), "activePersonalLicenses", 10)
	if err != nil {
		return nil, err
	}
	w := newXW()
	total := strconv.Itoa(len(live.personalOrder))
	if lo == hi {
		w.empty("activePersonalLicenses", "total", total)
		return xmlResp(w), nil
	}
	w.open("activePersonalLicenses", "total", total)
	for _, jid := range live.personalOrder[lo:hi] {
		pu := live.personal[jid]
		w.open("activePersonalLicense", "id", c.cl.userIDLocked(jid))
		w.intLeaf("callsActive", int64(pu.calls))
		w.leaf("weightedCallsActive", dec3(pu.weighted))
		w.close("activePersonalLicense")
	}
	w.close("activePersonalLicenses")
	return xmlResp(w), nil
}

const usageTimeLayout = "2006-01-02T15:04:05Z"

func (c *reqCtx) timeParam(name string) (int64, bool, *apiError) {
	v := c.q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return 0, false, paramError(name, "invalidValue")
	}
	return t.Unix(), true, nil
}

func listLicenseUsage(c *reqCtx) (*resp, *apiError) {
	c.cl.recordUsageLocked(c.now)
	host := c.q.Get("hostId")
	if host == "" {
		host = c.b.hostID
	}
	var entries []usageEntry
	var extra map[int64]map[string]uint32
	if h := c.b.historyLocked(host, false); h != nil {
		entries, extra = h.entries, h.extra
	}
	if from, has, err := c.timeParam("startTime"); err != nil {
		return nil, err
	} else if has {
		entries = entries[sort.Search(len(entries), func(i int) bool { return entries[i].t >= from }):]
	}
	if to, has, err := c.timeParam("endTime"); err != nil {
		return nil, err
	} else if has {
		entries = entries[:sort.Search(len(entries), func(i int) bool { return entries[i].t >= to })]
	}
	lo, hi, err := c.page(len(entries), "MPLicenseUsage", 100)
	if err != nil {
		return nil, err
	}
	w := newXW()
	total := strconv.Itoa(len(entries))
	if lo == hi {
		w.empty("MPLicenseUsage", "total", total)
		return xmlResp(w), nil
	}
	w.open("MPLicenseUsage", "total", total)
	for _, e := range entries[lo:hi] {
		at := time.Unix(e.t, 0).UTC().Format(usageTimeLayout)
		x := extra[e.t]
		if e.v == ([7]uint32{}) && len(x) == 0 {
			w.empty("entry", "time", at)
			continue
		}
		w.open("entry", "time", at)
		for i, v := range e.v {
			if v != 0 {
				w.leaf(usageElems[i], fmt.Sprintf("%d.%02d", v/100, v%100))
			}
		}
		for _, name := range slices.Sorted(maps.Keys(x)) {
			v := x[name]
			w.leaf(name, fmt.Sprintf("%d.%02d", v/100, v%100))
		}
		w.close("entry")
	}
	w.close("MPLicenseUsage")
	return xmlResp(w), nil
}

func listKnownHosts(c *reqCtx) (*resp, *apiError) {
	c.cl.recordUsageLocked(c.now)
	hosts := []string{c.b.hostID}
	for _, h := range c.b.usage {
		if h.host != c.b.hostID {
			hosts = append(hosts, h.host)
		}
	}
	lo, hi, err := c.page(len(hosts), "knownHosts", 10)
	if err != nil {
		return nil, err
	}
	w := newXW()
	total := strconv.Itoa(len(hosts))
	if lo == hi {
		w.empty("knownHosts", "total", total)
		return xmlResp(w), nil
	}
	w.open("knownHosts", "total", total)
	for _, h := range hosts[lo:hi] {
		w.empty("host", "id", h)
	}
	w.close("knownHosts")
	return xmlResp(w), nil
}
