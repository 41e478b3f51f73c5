package cmssim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFault503Burst(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	a := newAPI(t, s, cl.Bridges[0])
	cl.Bridges[0].Fail503(2)
	for i := 0; i < 2; i++ {
		if r := a.get("/system/status"); r.status != 503 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	a.get("/system/status").mustOK(t)
}

func TestFaultLatency(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	a := newAPI(t, s, b)
	// Keep one connection so handshakes do not blur the measurement.
	a.hc.Transport.(*http.Transport).DisableKeepAlives = false
	a.get("/system/status").mustOK(t)
	const delay = 300 * time.Millisecond
	b.SetLatency(delay)
	start := time.Now()
	a.get("/system/status").mustOK(t)
	if d := time.Since(start); d < delay {
		t.Errorf("reply after %v", d)
	}
	b.SetLatency(0)
	start = time.Now()
	a.get("/system/status").mustOK(t)
	if d := time.Since(start); d >= delay {
		t.Errorf("latency not removed: %v", d)
	}
}

func TestFaultWrongCredentials(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab", Password: "old"})
	b := cl.Bridges[0]
	a := newAPI(t, s, b)
	b.SetPassword("new")
	if r := a.get("/system/status"); r.status != 401 {
		t.Errorf("old password: %d", r.status)
	}
	if r := a.do("POST", "/authTokens", nil); r.status != 401 || r.header.Get("X-Cisco-CMS-Auth-Token") != "" {
		t.Errorf("token with the old password: %d", r.status)
	}
	a.pass = "new"
	a.get("/system/status").mustOK(t)
}

func TestFaultMalformedXML(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	a := newAPI(t, s, b)
	b.SetMalformedXML(true)
	for _, path := range []string{"/system/status", "/coSpaces", "/coSpaces/00000000-0000-4000-8000-000000000000"} {
		r := a.get(path)
		var v any
		if err := xml.Unmarshal(r.body, &v); err == nil || len(r.body) == 0 {
			t.Errorf("%s: body parses: %s", path, r.body)
		}
		if path == "/system/status" && r.status != 200 {
			t.Errorf("status code changed to %d", r.status)
		}
	}
	b.SetMalformedXML(false)
	a.get("/system/status").mustOK(t)
}

func TestFaultRevokedCertificate(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab", Bridges: 2})
	b := cl.Bridges[0]
	fetch := func() *http.Response {
		resp, err := http.Get(s.CRLURL())
		if err != nil {
			t.Fatalf("fetch CRL: %v", err)
		}
		return resp
	}
	revoked := func() []string {
		resp := fetch()
		defer resp.Body.Close()
		der, _ := io.ReadAll(resp.Body)
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("parse CRL: %v", err)
		}
		if err := crl.CheckSignatureFrom(caCert(t, s)); err != nil {
			t.Fatalf("CRL signature: %v", err)
		}
		var out []string
		for _, e := range crl.RevokedCertificateEntries {
			out = append(out, e.SerialNumber.String())
		}
		return out
	}
	if got := revoked(); len(got) != 0 {
		t.Fatalf("fresh CRL lists %v", got)
	}
	if err := b.RevokeCertificate(); err != nil {
		t.Fatal(err)
	}
	got := revoked()
	if len(got) != 1 || got[0] != b.Certificate().Leaf.SerialNumber.String() {
		t.Errorf("CRL lists %v, want the serial of %s", got, b.Name())
	}
	if cl.Bridges[1].Certificate().Leaf.SerialNumber.String() == got[0] {
		t.Errorf("the peer's certificate is revoked too")
	}
	// The bridge keeps serving the revoked certificate.
	newAPI(t, s, b).get("/system/status").mustOK(t)
	// The distribution point can be made unreachable.
	if err := s.SetCRLAvailable(false); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.CRLURL()); err == nil {
		t.Errorf("CRL still reachable")
	}
	if err := s.SetCRLAvailable(true); err != nil {
		t.Fatal(err)
	}
	fetch().Body.Close()
}

func TestFaultDownAndUp(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab", Bridges: 2})
	b := cl.Bridges[0]
	a := newAPI(t, s, b)
	url := b.URL()
	call, _ := b.StartCall(CallOptions{Name: "survives"})
	if err := b.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.hc.Get(url + "/api/v1/system/status"); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("down bridge: %v", err)
	}
	peer := newAPI(t, s, cl.Bridges[1]).get("/system/alarms").mustOK(t)
	if peer.total(t) != 1 || peer.child("alarm").text("type") != "callBridgeConnectionFailure" || peer.child("alarm").text("callBridge") != b.ID() {
		t.Errorf("peer alarms: %s", newAPI(t, s, cl.Bridges[1]).get("/system/alarms").body)
	}
	if err := b.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if b.URL() != url {
		t.Errorf("port changed: %s -> %s", url, b.URL())
	}
	a.get("/calls/" + call.ID).mustOK(t)
}

func TestFaultTLSVersions(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	b.SetTLSVersions(tls.VersionTLS10, tls.VersionTLS11)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CACertPool(), MinVersion: tls.VersionTLS12}}}
	if _, err := hc.Get(b.URL() + "/api/v1/system/status"); err == nil {
		t.Errorf("TLS 1.2 client accepted by a TLS 1.1-only bridge")
	}
	b.SetTLSVersions(tls.VersionTLS12, 0)
	resp, err := hc.Get(b.URL() + "/api/v1/system/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestControlAPI(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	addr, err := s.ServeControl("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctl := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	code, data := ctl("GET", "/v1/bridges", "")
	var infos []BridgeInfo
	if code != 200 || json.Unmarshal(data, &infos) != nil || len(infos) != 1 || infos[0].ID != b.ID() || infos[0].APIBase != b.URL()+"/api/v1" {
		t.Fatalf("bridges: %d %s", code, data)
	}
	a := newAPI(t, s, b)
	if code, _ := ctl("POST", "/v1/bridges/"+b.Name()+"/fail503", `{"count":1}`); code != 200 {
		t.Fatalf("fail503: %d", code)
	}
	if r := a.get("/system/status"); r.status != 503 {
		t.Errorf("after control fail503: %d", r.status)
	}
	ctl("POST", "/v1/bridges/"+b.ID()+"/password", `{"password":"changed"}`)
	if r := a.get("/system/status"); r.status != 401 {
		t.Errorf("after control password: %d", r.status)
	}
	if code, _ := ctl("POST", "/v1/bridges/"+b.Name()+"/drop-cdr-acks", `{"count":2}`); code != 200 || !b.takeDroppedAck() || !b.takeDroppedAck() || b.takeDroppedAck() {
		t.Errorf("drop-cdr-acks: %d, or not two acknowledgements to lose", code)
	}
	a.pass = "changed"
	code, data = ctl("POST", "/v1/bridges/"+b.Name()+"/calls", `{"name":"From control"}`)
	var call Call
	if code != 200 || json.Unmarshal(data, &call) != nil || call.ID == "" {
		t.Fatalf("start call: %d %s", code, data)
	}
	code, data = ctl("POST", "/v1/bridges/"+b.Name()+"/calls/"+call.ID+"/legs", `{"name":"Ada","remote":"ada@example.com"}`)
	var leg Leg
	if code != 200 || json.Unmarshal(data, &leg) != nil || leg.State != "connected" {
		t.Fatalf("join: %d %s", code, data)
	}
	if n := a.get("/callLegs").mustOK(t); n.total(t) != 1 {
		t.Errorf("legs after control join: %d", n.total(t))
	}
	if code, _ := ctl("DELETE", "/v1/bridges/"+b.Name()+"/legs/"+leg.ID, ""); code != 200 {
		t.Errorf("leave: %d", code)
	}
	if code, _ := ctl("POST", "/v1/bridges/nope/restart", ""); code != 404 {
		t.Errorf("unknown bridge: %d", code)
	}
	if code, _ := ctl("POST", "/v1/bridges/"+b.Name()+"/malformed", `{"on":true}`); code != 200 {
		t.Errorf("malformed: %d", code)
	}
	if r := a.get("/system/status"); bytes.HasSuffix(bytes.TrimSpace(r.body), []byte("</status>")) {
		t.Errorf("malformed switch had no effect")
	}
	if code, _ := ctl("POST", "/v1/crl", `{"available":false}`); code != 200 {
		t.Errorf("crl: %d", code)
	}
	if code, data := ctl("GET", "/v1/ca.pem", ""); code != 200 || !bytes.Equal(data, s.CACertPEM()) {
		t.Errorf("ca.pem: %d", code)
	}
}

// A lost acknowledgement: the receiver answered 200 and kept the batch, but
// the bridge never saw the answer, so it sends the very same batch again
// (same session, recordIndex and correlatorIndex) until an answer gets
// through; the receiver tells the copies by session + correlatorIndex.
func TestFaultDroppedCDRAcks(t *testing.T) {
	s := newSim(t, Options{CDRRetryMin: 5 * time.Millisecond, CDRRetryMax: 20 * time.Millisecond})
	b := addCluster(t, s, ClusterOptions{Name: "Lab"}).Bridges[0]
	k := newSink(t)
	b.DropCDRAcks(2)
	if _, err := b.AddCDRReceiver(k.url()); err != nil {
		t.Fatal(err)
	}
	call, err := b.StartCall(CallOptions{Name: "Lost acks"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first batch posted three times", func() bool { return len(k.allBatches()) >= 3 })
	if _, err := b.Join(call.ID, LegOptions{Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	if err := b.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "callEnd delivered", func() bool {
		for _, r := range k.accepted() {
			if r.typ == "callEnd" {
				return true
			}
		}
		return false
	})
	batches := k.allBatches()
	for i := 0; i < 3; i++ {
		if batches[i].status != 200 || !bytes.Equal(batches[i].raw, batches[0].raw) {
			t.Fatalf("post %d (HTTP %d) is not a copy of the first, acknowledged batch", i, batches[i].status)
		}
	}
	if len(batches) < 4 || bytes.Equal(batches[3].raw, batches[0].raw) {
		t.Fatal("the batch was sent a fourth time after an acknowledgement got through")
	}
	// De-duplicated by session + correlatorIndex, the records are the
	// bridge's sequence without holes, and only the first batch repeats.
	seen := map[string]bool{}
	var unique []sinkRecord
	dups := 0
	for _, bt := range batches {
		for _, r := range bt.records {
			key := bt.session + "/" + strconv.Itoa(r.corrIndex)
			if seen[key] {
				dups++
				continue
			}
			seen[key] = true
			unique = append(unique, r)
		}
	}
	if want := 2 * len(batches[0].records); dups != want {
		t.Errorf("%d duplicate records, want %d (the first batch twice)", dups, want)
	}
	for i, r := range unique {
		if r.corrIndex != i || r.recordIndex != i+1 {
			t.Errorf("record %d: correlatorIndex %d, recordIndex %d", i, r.corrIndex, r.recordIndex)
		}
	}
	delivered, attempts, queued := b.CDRStats(k.url())
	if int(delivered) != len(unique) || int(attempts) != len(batches) || queued != 0 {
		t.Errorf("stats: delivered %d attempts %d queued %d; sink saw %d records in %d posts", delivered, attempts, queued, len(unique), len(batches))
	}
}
