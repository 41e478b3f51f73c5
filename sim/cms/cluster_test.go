package cmssim

import (
	"crypto/tls"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func TestClusterMembershipIsConsistent(t *testing.T) {
	s := newSim(t, Options{Seed: 7})
	cl := addCluster(t, s, ClusterOptions{Name: "London", Bridges: 3, Username: "admin", Password: "secret"})
	if !cl.Clustered() || len(cl.Bridges) != 3 {
		t.Fatalf("cluster: clustered=%v members=%d", cl.Clustered(), len(cl.Bridges))
	}
	var views [][]string
	for _, b := range cl.Bridges {
		a := newAPI(t, s, b)
		list := a.get("/callBridges").mustOK(t)
		if list.total(t) != 3 {
			t.Fatalf("%s lists %d bridges", b.Name(), list.total(t))
		}
		var view []string
		self := ""
		unique := a.get("/system/configuration/cluster").mustOK(t).text("uniqueName")
		for _, e := range list.all("callBridge") {
			id, name := e.attr("id"), e.text("name")
			detail := a.get("/callBridges/" + id).mustOK(t)
			peer := s.Bridge(id)
			if peer == nil || detail.text("name") != name || detail.text("address") != peer.URL() || !detail.has("sipDomain") {
				t.Errorf("%s: entry %s: %s", b.Name(), id, a.get("/callBridges/"+id).body)
			}
			if name == unique {
				self = id
			}
			view = append(view, id+"="+name+"@"+detail.text("address"))
		}
		if self != b.ID() {
			t.Errorf("%s: uniqueName %q names %q, want own id %q", b.Name(), unique, self, b.ID())
		}
		sort.Strings(view)
		views = append(views, view)
		st := a.get("/system/status").mustOK(t)
		if st.text("clusterEnabled") != "true" || st.text("clusterId") != cl.ID {
			t.Errorf("%s status: clusterEnabled %q clusterId %q", b.Name(), st.text("clusterEnabled"), st.text("clusterId"))
		}
	}
	for i := 1; i < len(views); i++ {
		if strings.Join(views[i], ",") != strings.Join(views[0], ",") {
			t.Errorf("member %d sees %v, member 0 sees %v", i, views[i], views[0])
		}
	}

	// The configuration database is shared; changing /callBridges on one
	// member changes every member's view.
	a0, a2 := newAPI(t, s, cl.Bridges[0]), newAPI(t, s, cl.Bridges[2])
	cs := a0.post("/coSpaces", "name", "Shared", "uri", "shared").created(t)
	a2.get("/coSpaces/" + cs).mustOK(t)
	extra := a0.post("/callBridges", "name", "cms-dr", "address", "https://192.0.2.10:8443").created(t)
	if n := a2.get("/callBridges").mustOK(t); n.total(t) != 4 {
		t.Errorf("peer does not see the new entry")
	}
	a2.del("/callBridges/" + extra).mustOK(t)

	// Growing the cluster updates every member.
	nb, err := cl.AddBridge("")
	if err != nil {
		t.Fatal(err)
	}
	if nb.Name() != "london-cb4" {
		t.Errorf("default name %q", nb.Name())
	}
	for _, b := range cl.Bridges {
		if n := newAPI(t, s, b).get("/callBridges").mustOK(t); n.total(t) != 4 {
			t.Errorf("%s sees %d members after AddBridge", b.Name(), n.total(t))
		}
	}
}

func TestStandaloneBridge(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Solo"})
	a := newAPI(t, s, cl.Bridges[0])
	if r := a.get("/callBridges"); !strings.Contains(string(r.body), `<callBridges total="0"/>`) {
		t.Errorf("standalone callBridges: %s", r.body)
	}
	st := a.get("/system/status").mustOK(t)
	if st.text("clusterEnabled") != "false" || st.has("clusterId") {
		t.Errorf("standalone status: %s", a.get("/system/status").body)
	}
	if u := a.get("/system/configuration/cluster").mustOK(t); u.text("uniqueName") != "" {
		t.Errorf("standalone uniqueName %q", u.text("uniqueName"))
	}
	one := addCluster(t, s, ClusterOptions{Name: "One", SingleNodeCluster: true})
	if n := newAPI(t, s, one.Bridges[0]).get("/callBridges").mustOK(t); n.total(t) != 1 {
		t.Errorf("single-node cluster lists %d", n.total(t))
	}
}

func TestDistributedCall(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "London", Bridges: 2})
	b0, b1 := cl.Bridges[0], cl.Bridges[1]
	cs, err := cl.CreateCoSpace(CoSpaceOptions{Name: "All hands", URI: "allhands"})
	if err != nil {
		t.Fatal(err)
	}
	ada, _ := b0.JoinCoSpace(cs, LegOptions{Name: "Ada"})
	alan, _ := b1.JoinCoSpace(cs, LegOptions{Name: "Alan"})
	if ada.CallID == alan.CallID {
		t.Fatalf("instances share a call id")
	}
	a0 := newAPI(t, s, b0)
	c := a0.get("/calls/" + ada.CallID).mustOK(t)
	if c.text("numDistributedInstances") != "1" || c.text("numParticipantsLocal") != "1" || c.text("numParticipantsRemote") != "1" {
		t.Errorf("distributed call: %s", a0.get("/calls/"+ada.CallID).body)
	}
	c1 := newAPI(t, s, b1).get("/calls/" + alan.CallID).mustOK(t)
	if c1.text("callCorrelator") != c.text("callCorrelator") {
		t.Errorf("instances have different correlators")
	}
	ps := a0.get("/calls/" + ada.CallID + "/participants").mustOK(t)
	if ps.total(t) != 2 {
		t.Fatalf("participants: %s", a0.get("/calls/"+ada.CallID+"/participants").body)
	}
	for _, p := range ps.all("participant") {
		remote := p.attr("id") == alan.ParticipantID
		if remote != p.has("callBridge") || (remote && p.text("callBridge") != b1.ID()) || p.text("call") != ada.CallID {
			t.Errorf("participant entry %s: %+v", p.attr("id"), p)
		}
	}
	if n := a0.get("/participants?callBridgeFilter=" + b1.ID()).mustOK(t); n.total(t) != 1 {
		t.Errorf("callBridgeFilter: %d", n.total(t))
	}
	// Only local legs are listed.
	if n := a0.get("/callLegs").mustOK(t); n.total(t) != 1 {
		t.Errorf("b0 lists %d legs", n.total(t))
	}
	// A dial-out placed on the peer creates the peer's leg.
	pid := a0.post("/calls/"+ada.CallID+"/participants", "remoteParty", "grace@example.com", "callBridge", b1.ID()).created(t)
	if p := newAPI(t, s, b1).get("/participants/" + pid).mustOK(t); p.text("numCallLegs") != "1" {
		t.Errorf("dial-out not hosted on the peer")
	}
	// Ending one instance's last participant leaves the other running.
	b0.Leave(ada.ID)
	if len(b0.Calls()) != 0 || len(b1.Calls()) != 1 {
		t.Errorf("after the b0 participant left: b0 %d calls, b1 %d", len(b0.Calls()), len(b1.Calls()))
	}
}

func TestTLSChain(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	leaf := b.Certificate().Leaf
	if len(leaf.CRLDistributionPoints) != 1 || leaf.CRLDistributionPoints[0] != s.CRLURL() {
		t.Errorf("CDP %v, want %s", leaf.CRLDistributionPoints, s.CRLURL())
	}
	if leaf.VerifyHostname("127.0.0.1") != nil || leaf.VerifyHostname("localhost") != nil {
		t.Errorf("leaf SANs: %v %v", leaf.IPAddresses, leaf.DNSNames)
	}
	for _, host := range []string{b.URL(), strings.Replace(b.URL(), "127.0.0.1", "localhost", 1)} {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CACertPool()}}}
		resp, err := hc.Get(host + "/api/v1/system/status")
		if err != nil {
			t.Fatalf("verified TLS to %s: %v", host, err)
		}
		resp.Body.Close()
	}
	// An unrelated trust anchor fails.
	other := New(Options{})
	defer other.Close()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: other.CACertPool()}}}
	if _, err := hc.Get(b.URL() + "/api/v1/system/status"); err == nil {
		t.Errorf("unrelated CA accepted")
	}
	// A self-signed leaf only works without verification.
	if err := b.UseSelfSignedCertificate(); err != nil {
		t.Fatal(err)
	}
	hc = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CACertPool()}}}
	if _, err := hc.Get(b.URL() + "/api/v1/system/status"); err == nil {
		t.Errorf("self-signed leaf verified against the CA")
	}
	if err := b.ReissueCertificate("cb1.example.com"); err != nil {
		t.Fatal(err)
	}
	if got := b.Certificate().Leaf.DNSNames; len(got) != 1 || got[0] != "cb1.example.com" {
		t.Errorf("reissued SANs %v", got)
	}
}
