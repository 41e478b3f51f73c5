package cms

import (
	"os"
	"strings"
	"testing"
	"time"
)

func decodeFile(t *testing.T, name string) *Reply {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := DecodeReply(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// §4: /system/licensing features with status, expiry, limit and level.
func TestDecodeLicensing(t *testing.T) {
	l := decodeFile(t, "licensing.xml").Value.(*LicenseFeatures)
	if len(l.Features) != 11 {
		t.Fatalf("features: %d", len(l.Features))
	}
	cb := l.Feature("callBridge")
	if cb == nil || cb.Status != LicenseActivated {
		t.Fatalf("callBridge: %+v", cb)
	}
	if d, ok := cb.ExpiryDate(); !ok || !d.Equal(time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiry %v %v", d, ok)
	}
	if f := l.Feature("callBridgeNoEncryption"); f.Status != LicenseNoLicense || f.Expiry != "" {
		t.Errorf("no-encryption: %+v", f)
	}
	if _, ok := l.Feature("callBridgeNoEncryption").ExpiryDate(); ok {
		t.Error("absent expiry parsed")
	}
	if f := l.Feature("turn"); f.Status != LicenseGrace {
		t.Errorf("turn: %+v", f)
	}
	if f := l.Feature("streaming"); f.Status != LicenseExpired || f.Limit == nil || *f.Limit != 2 {
		t.Errorf("streaming: %+v", f)
	}
	if f := l.Feature("branding"); f.Level != "multipleBrands" || f.Limit != nil {
		t.Errorf("branding: %+v", f)
	}
	if f := l.Feature("capacityUnits"); f.Limit != nil {
		t.Errorf("empty <limit/> must stay unset: %+v", f)
	}
	if p, s := l.Feature("personal"), l.Feature("shared"); *p.Limit != 250 || *s.Limit != 40 {
		t.Errorf("personal %+v shared %+v", p, s)
	}
	if l.Feature("nope") != nil {
		t.Error("unknown feature found")
	}
	cl := decodeFile(t, "clusterLicensing.xml")
	if cl.Kind != "clusterLicensing" {
		t.Fatal(cl.Kind)
	}
	c := cl.Value.(*LicenseFeatures)
	if f := c.Feature("customizations"); f == nil || f.Status != LicenseExpired || f.Expiry != "2025-Nov-30" {
		t.Errorf("customizations: %+v", f)
	}
	if _, err := DecodeReply(strings.NewReader(`<licensing><features><recording><limit>ten</limit></recording></features></licensing>`)); err == nil ||
		!strings.Contains(err.Error(), "recording/limit") {
		t.Errorf("bad limit: %v", err)
	}
}

func TestDecodeMultipartyLicensing(t *testing.T) {
	m := decodeFile(t, "multipartyLicensing.xml").Value.(*MultipartyLicensing)
	if m.Timestamp == nil || !m.Timestamp.Equal(time.Date(2019, 5, 16, 18, 44, 52, 0, time.UTC)) {
		t.Errorf("timestamp %v", m.Timestamp)
	}
	if *m.PersonalLicenseLimit != 250 || *m.SharedLicenseLimit != 40 || *m.CapacityUnitLimit != 0 {
		t.Errorf("limits %+v", m)
	}
	if m.Users != 1200 || m.PersonalLicenses != 180 || m.ParticipantsActive != 14 || m.CallsActive != 3 ||
		m.WeightedCallsActive != 2.5 || m.CapacityUnitUsage != 2.5 || m.CallsWithoutPersonalLicense != 2 ||
		m.WeightedCallsWithoutPersonalLicense != 1.5 || m.CapacityUnitUsageWithoutPersonalLicense != 1.5 {
		t.Errorf("counters %+v", m)
	}
	a := decodeFile(t, "activePersonalLicenses.xml").Value.(*Page[ActivePersonalLicense])
	if *a.Total != 2 || len(a.Items) != 2 || a.Items[1].CallsActive != 2 || a.Items[1].WeightedCallsActive != 0.75 ||
		a.Items[0].ID != "5f2c4e1a-7b3d-4c9e-8a1f-2d3e4f5a6b01" {
		t.Errorf("active personal licences %+v", a)
	}
	e := decodeFile(t, "activePersonalLicenses_empty.xml").Value.(*Page[ActivePersonalLicense])
	if *e.Total != 0 || len(e.Items) != 0 {
		t.Errorf("empty: %+v", e)
	}
}

func TestDecodeLicenseUsage(t *testing.T) {
	u := decodeFile(t, "MPLicenseUsage.xml").Value.(*Page[LicenseUsage])
	if *u.Total != 333 || len(u.Items) != 3 {
		t.Fatalf("usage: %+v", u)
	}
	first, idle, full := u.Items[0], u.Items[1], u.Items[2]
	if !first.Time.Equal(time.Date(2019, 5, 16, 18, 44, 52, 0, time.UTC)) || first.SMPAudio != 1 || first.Idle() {
		t.Errorf("first: %+v", first)
	}
	if !idle.Idle() || idle.Time.Sub(first.Time) != 5*time.Minute {
		t.Errorf("idle: %+v", idle)
	}
	if full.PMP != 2 || full.PMPAssigned != 5 || full.SMPAudio != 0.5 || full.SMPPointToPoint != 1 || full.SMPFull != 3.25 ||
		full.Recording != 1 || full.Streaming != 1 {
		t.Errorf("full: %+v", full)
	}
	h := decodeFile(t, "knownHosts.xml").Value.(*Page[LicenseHost])
	if *h.Total != 1 || len(h.Items) != 1 || h.Items[0].ID != "8d1e2f3a-4b5c-4d6e-9f70-8192a3b4c5d6" {
		t.Errorf("known hosts: %+v", h)
	}
	if _, err := DecodeReply(strings.NewReader(`<MPLicenseUsage total="1"><entry time="yesterday"/></MPLicenseUsage>`)); err == nil {
		t.Error("bad time accepted")
	}
	if _, err := DecodeReply(strings.NewReader(`<MPLicenseUsage total="1"><entry time="2019-05-16T18:44:52Z"><rec>Inf</rec></entry></MPLicenseUsage>`)); err == nil {
		t.Error("infinite rec accepted")
	}
}
