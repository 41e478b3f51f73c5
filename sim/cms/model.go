package cmssim

import (
	"sort"
	"time"
)

// object is one row of a configuration table (coSpace, callLegProfile,
// cdrReceiver, ...): its API parameters as strings, exactly as set.
type object struct {
	id     string
	seq    uint64
	parent string // owning coSpace for accessMethods and coSpaceUsers
	f      map[string]string
}

// table holds configuration objects in creation order, which is the order
// collections are listed in (so paging is stable while nothing changes).
type table struct {
	rows map[string]*object
	seq  uint64
}

func newTable() *table { return &table{rows: map[string]*object{}} }

func (t *table) add(id, parent string, f map[string]string) *object {
	t.seq++
	o := &object{id: id, seq: t.seq, parent: parent, f: f}
	t.rows[id] = o
	return o
}

func (t *table) get(id string) *object { return t.rows[id] }

func (t *table) del(id string) { delete(t.rows, id) }

func (t *table) list(parent string) []*object {
	out := make([]*object, 0, len(t.rows))
	for _, o := range t.rows {
		if parent == "" || o.parent == parent {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (t *table) len() int { return len(t.rows) }

// configDB is the cluster's shared (clustered) database: what CMS
// replicates between members. CDR receivers and the cluster configuration
// are per bridge and live on Bridge instead.
type configDB struct {
	coSpaces        *table
	accessMethods   *table
	coSpaceUsers    *table
	callLegProfiles *table
	callProfiles    *table
	tenants         *table
	callBridges     *table
}

func newConfigDB() *configDB {
	return &configDB{
		coSpaces: newTable(), accessMethods: newTable(), coSpaceUsers: newTable(),
		callLegProfiles: newTable(), callProfiles: newTable(), tenants: newTable(), callBridges: newTable(),
	}
}

func (db *configDB) table(name string) *table {
	switch name {
	case "coSpaces":
		return db.coSpaces
	case "accessMethods":
		return db.accessMethods
	case "coSpaceUsers":
		return db.coSpaceUsers
	case "callLegProfiles":
		return db.callLegProfiles
	case "callProfiles":
		return db.callProfiles
	case "tenants":
		return db.tenants
	case "callBridges":
		return db.callBridges
	}
	return nil
}

// meeting is one conference as the cluster sees it: the properties shared
// by every bridge's instance of the call (same callCorrelator).
type meeting struct {
	correlator string
	coSpace    string
	name       string
	callType   string
	tenant     string
	cdrTag     string
	ownerName  string
	props      map[string]string // PUT /calls parameters: locked, recording, ...
	instances  []*call

	recordingID, streamingID         string
	recordingBridge, streamingBridge *Bridge
	presenter                        *leg
	messageSetAt                     time.Time
}

func (m *meeting) flag(name string) bool { return m.props[name] == "true" }

// participantCount counts participants across every instance.
func (m *meeting) participantCount() int {
	n := 0
	for _, c := range m.instances {
		n += len(c.parts)
	}
	return n
}

// call is one bridge's instance of a meeting.
type call struct {
	id            string
	m             *meeting
	b             *Bridge
	start         time.Time
	parts         []*participant
	legsCompleted int
	legsMaxActive int
	ended         bool
}

// participant is one attendee, hosted on the bridge of its call instance.
// In this simulator a participant always has exactly one local call leg.
type participant struct {
	id                         string
	c                          *call
	l                          *leg
	name                       string
	uri                        string
	originalURI                string
	userJid                    string
	importance                 string
	nameLabelOverride          string
	deactOverride              *bool
	movedParticipant           string
	movedParticipantCallBridge string
	canMove                    bool
}

// leg is a call leg: the media connection of one participant.
type leg struct {
	id                  string
	p                   *participant
	name                string
	remoteParty         string
	originalRemoteParty string
	localAddress        string
	typ                 string // sip | acano
	direction           string // incoming | outgoing
	guest               bool
	start               time.Time
	state               string            // initial | ringing | connected | onHold
	cfg                 map[string]string // live overrides (PUT /callLegs)
	profile             map[string]string // inherited call leg profile values
	baseLayout          string
	deactivated         bool
	deactSince          time.Time
	deactTotal          time.Duration
	sipCallID           string
	groupID             string
	quality             uint64
	activeSpeaker       bool
	movedCallLeg        string
	movedCallLegBridge  string
	failReason          string // set for a dial-out that will fail
}

// flag reads a boolean setting: the live override, else the inherited
// call leg profile value.
func (l *leg) flag(name string) bool {
	if v, ok := l.cfg[name]; ok {
		return v == "true"
	}
	return l.profile[name] == "true"
}
