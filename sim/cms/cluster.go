package cmssim

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// Cluster is a group of bridges sharing one configuration database
// (coSpaces, profiles, tenants, the callBridges list) and hosting
// distributed calls. A one-bridge cluster is a standalone bridge unless
// ClusterOptions.SingleNodeCluster was set.
type Cluster struct {
	// Name is the cluster's name as given to AddCluster.
	Name string
	// ID is the cluster id reported as clusterId by clustered members.
	ID string
	// Bridges are the members in creation order. Treat it as read-only;
	// use AddBridge to grow the cluster.
	Bridges []*Bridge

	sim  *Sim
	opts ClusterOptions

	// mu guards everything below and all live state of every member
	// (calls, participants, legs, CDR counters, receivers): one lock per
	// cluster keeps distributed calls consistent without lock ordering
	// between bridges.
	mu        sync.Mutex
	clustered bool
	db        *configDB
	meetings  map[string]*meeting
	// licRaw is /clusterLicensing/raw, licRawWrites its write count.
	licRaw       string
	licRawWrites int
}

func newCluster(s *Sim, o ClusterOptions) *Cluster {
	return &Cluster{
		Name: o.Name, ID: s.ids.guid(), sim: s, opts: o,
		clustered: o.SingleNodeCluster,
		db:        newConfigDB(), meetings: map[string]*meeting{},
	}
}

// Clustered reports whether the members run with clustering on.
func (cl *Cluster) Clustered() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.clustered
}

// AddBridge starts one more member. If the cluster was a standalone bridge
// it becomes a real cluster, and every member's /callBridges lists the
// newcomer. An empty name gets the default "<cluster>-cbN".
func (cl *Cluster) AddBridge(name string) (*Bridge, error) {
	return cl.addBridge(name, "")
}

func (cl *Cluster) addBridge(name, addr string) (*Bridge, error) {
	cl.mu.Lock()
	n := len(cl.Bridges) + 1
	cl.mu.Unlock()
	if name == "" {
		name = fmt.Sprintf("%s-cb%d", slug(cl.Name), n)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("cmssim: listen address %q: %w", addr, err)
	}
	b, err := newBridge(cl, name, host, addr)
	if err != nil {
		return nil, err
	}
	if err := cl.sim.registerBridge(b); err != nil {
		b.shutdown()
		return nil, err
	}
	if err := b.srv.start(); err != nil {
		b.shutdown()
		return nil, fmt.Errorf("cmssim: bridge %s: listen: %w", name, err)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.Bridges = append(cl.Bridges, b)
	if len(cl.Bridges) > 1 {
		cl.clustered = true
	}
	cl.syncMembershipLocked()
	for _, uri := range cl.opts.CDRReceivers {
		if _, err := b.addReceiverLocked(uri); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// syncMembershipLocked makes the callBridges table list every member and
// gives each member a uniqueName equal to its entry's name, as a correctly
// configured CMS cluster does.
func (cl *Cluster) syncMembershipLocked() {
	if !cl.clustered {
		return
	}
	for _, b := range cl.Bridges {
		if cl.db.callBridges.get(b.id) == nil {
			cl.db.callBridges.add(b.id, "", map[string]string{"name": b.name, "address": b.URL()})
		}
		if b.clusterCfg["uniqueName"] == "" {
			b.clusterCfg["uniqueName"] = b.name
		}
		session, cb := b.envelopeLocked()
		for _, r := range b.emitters {
			r.setEnvelope(session, cb)
		}
	}
}

// CreateCoSpace adds a coSpace to the cluster database, as POST /coSpaces
// would, and returns its id.
func (cl *Cluster) CreateCoSpace(o CoSpaceOptions) (string, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	form := map[string][]string{}
	set := func(k, v string) {
		if v != "" {
			form[k] = []string{v}
		}
	}
	set("name", o.Name)
	set("uri", o.URI)
	set("secondaryUri", o.SecondaryURI)
	set("callId", o.CallID)
	set("passcode", o.Passcode)
	set("defaultLayout", o.DefaultLayout)
	set("callLegProfile", o.CallLegProfile)
	set("cdrTag", o.CDRTag)
	set("meetingScheduler", o.MeetingScheduler)
	id, aerr := cl.createObjectLocked(nil, kindCoSpace, "", form)
	if aerr != nil {
		return "", aerr
	}
	return id, nil
}

// CoSpaceOptions are the commonly used coSpace parameters.
type CoSpaceOptions struct {
	Name, URI, SecondaryURI, CallID, Passcode, DefaultLayout, CallLegProfile, CDRTag, MeetingScheduler string
}

// bridgeByID returns the member whose callBridge id is id.
func (cl *Cluster) bridgeByID(id string) *Bridge {
	for _, b := range cl.Bridges {
		if b.id == id {
			return b
		}
	}
	return nil
}

func slug(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

var errClosed = errors.New("cmssim: bridge stopped")
