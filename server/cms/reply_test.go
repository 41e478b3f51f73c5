package cms

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata/golden")

// TestDecodeReplyGolden decodes every captured-style reply in testdata
// and compares the result with the reviewed JSON in testdata/golden.
func TestDecodeReplyGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) < 25 {
		t.Fatalf("golden replies missing: %d files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeReply(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(filepath.Base(f), ".xml")+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("decoded reply differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestDecodeReplyRejectsWithReason(t *testing.T) {
	cases := map[string]string{
		``:                                "no XML element",
		`hello`:                           "text before the root element",
		`<html><body>login</body></html>`: "unknown reply kind <html>",
		`<coSpace id="x"><name>a</name>`:  "<coSpace>",
		`<coSpaces total="x"></coSpaces>`: "<coSpaces>",
		`<status></status><status/>`:      "second root element <status>",
		`<status></status>trailing`:       "text after </status>",
		`<callLeg id="l"><status><rxAudio><jitter>NaN</jitter></rxAudio></status></callLeg>`: "not finite",
		`<?xml version="1.0" encoding="koi8-r"?><status/>`:                                   "koi8-r",
	}
	for in, want := range cases {
		_, err := DecodeReply(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeReply(%q) = %v, want an error mentioning %q", in, err, want)
		}
	}
}

func TestDecodeReplyLatin1(t *testing.T) {
	in := append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><coSpace id="x"><name>Caf`), 0xe9, '<', '/', 'n', 'a', 'm', 'e', '>', '<', '/', 'c', 'o', 'S', 'p', 'a', 'c', 'e', '>')
	r, err := DecodeReply(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Value.(*CoSpace).Name; got != "Café" {
		t.Errorf("name = %q", got)
	}
}

// goldenServer serves the testdata replies at the paths a bridge serves
// them, for the typed endpoint tests.
func goldenServer(t *testing.T) *Client {
	t.Helper()
	routes := map[string]string{
		"/api/v1/system/status":                 "status.xml",
		"/api/v1/system/alarms":                 "alarms.xml",
		"/api/v1/system/configuration/cluster":  "cluster.xml",
		"/api/v1/callBridges":                   "callBridges.xml",
		"/api/v1/callBridges/cb2":               "callBridge.xml",
		"/api/v1/system/cdrReceivers":           "cdrReceivers.xml",
		"/api/v1/system/cdrReceivers/r1":        "cdrReceiver.xml",
		"/api/v1/system/cdrReceiver":            "cdrReceiver_legacy.xml",
		"/api/v1/coSpaces":                      "coSpaces.xml",
		"/api/v1/coSpaces/s1":                   "coSpace.xml",
		"/api/v1/coSpaces/s1/accessMethods":     "accessMethods.xml",
		"/api/v1/coSpaces/s1/accessMethods/am1": "accessMethod.xml",
		"/api/v1/coSpaces/s1/coSpaceUsers":      "coSpaceUsers.xml",
		"/api/v1/coSpaces/s1/coSpaceUsers/u1":   "coSpaceUser.xml",
		"/api/v1/calls":                         "calls.xml",
		"/api/v1/calls/c1":                      "call.xml",
		"/api/v1/calls/c1/participants":         "participants.xml",
		"/api/v1/calls/c1/callLegs":             "callLegs.xml",
		"/api/v1/participants":                  "participants.xml",
		"/api/v1/participants/p1":               "participant.xml",
		"/api/v1/participants/p1/callLegs":      "callLegs.xml",
		"/api/v1/callLegs":                      "callLegs.xml",
		"/api/v1/callLegs/l1":                   "callLeg.xml",
		"/api/v1/callLegProfiles":               "callLegProfiles.xml",
		"/api/v1/callLegProfiles/clp2":          "callLegProfile.xml",
		"/api/v1/callProfiles":                  "callProfiles.xml",
		"/api/v1/callProfiles/cp1":              "callProfile.xml",
	}
	return newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		f, ok := routes[r.URL.Path]
		if !ok || f == "" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`<?xml version="1.0"?><failureDetails><unrecognizedObject /></failureDetails>`))
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write(b)
	}, Config{})
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestTypedEndpointsDecodeGoldenReplies calls every typed read method
// against the golden replies.
func TestTypedEndpointsDecodeGoldenReplies(t *testing.T) {
	c := goldenServer(t)
	ctx := context.Background()

	st := must[*SystemStatus](t)(c.SystemStatus(ctx))
	if st.SoftwareVersion != "3.4.1" || *st.CDRCorrelatorIndex != 1051 || !*st.ClusterEnabled || st.CDRTime.Unix() != 1772442942 || st.VideoBitRateIncoming != 17400123 {
		t.Errorf("status: %+v", st)
	}
	alarms := must[[]Alarm](t)(Collect(c.Alarms(ctx, ListOptions{})))
	if len(alarms) != 2 || alarms[1].FailureReason != "connectFailure" || alarms[0].ActiveTimeSeconds != 264243 {
		t.Errorf("alarms: %+v", alarms)
	}
	cl := must[*ClusterConfig](t)(c.ClusterConfig(ctx))
	if cl.UniqueName != "cms-1" || *cl.NewConferenceLoadLimitBasisPoints != 5000 || *cl.ParticipantLimit != 200 {
		t.Errorf("cluster: %+v", cl)
	}
	bridges := must[[]CallBridge](t)(Collect(c.CallBridges(ctx, ListOptions{})))
	if len(bridges) != 3 || bridges[0].Name != "cms-1" {
		t.Errorf("callBridges: %+v", bridges)
	}
	if b := must[*CallBridge](t)(c.CallBridge(ctx, "cb2")); b.Address != "https://[2001:db8::2]:8443" || b.SIPDomain != "video.example.com" {
		t.Errorf("callBridge: %+v", b)
	}
	recv := must[*CDRReceiverList](t)(c.CDRReceivers(ctx))
	if recv.Maximum != 4 || len(recv.Receivers) != 2 || !strings.Contains(recv.Receivers[1].URI, "system_id=acano1") {
		t.Errorf("cdrReceivers: %+v", recv)
	}
	if r := must[*CDRReceiver](t)(c.CDRReceiver(ctx, "r1")); r.ID == "" || r.URI == "" {
		t.Errorf("cdrReceiver: %+v", r)
	}
	if r := must[*LegacyCDRReceiver](t)(c.LegacyCDRReceiver(ctx)); r.URI != "http://billing.example.com:8080/cdr" {
		t.Errorf("legacy cdrReceiver: %+v", r)
	}
	spaces := must[[]CoSpace](t)(Collect(c.CoSpaces(ctx, CoSpaceQuery{})))
	if len(spaces) != 2 || spaces[0].SecondaryURI != "8002" || !spaces[1].AutoGenerated || spaces[1].Name != "Ada's space" {
		t.Errorf("coSpaces: %+v", spaces)
	}
	sp := must[*CoSpace](t)(c.CoSpace(ctx, "s1"))
	if sp.Passcode != "4242" || sp.DefaultLayout != LayoutOnePlusFive || !*sp.NonMemberAccess || *sp.PanePlacementHighestImportance != 2 || sp.NumAccessMethods != 1 {
		t.Errorf("coSpace: %+v", sp)
	}
	ams := must[[]AccessMethod](t)(Collect(c.AccessMethods(ctx, "s1", ListOptions{})))
	if len(ams) != 1 || ams[0].Name != "Guests" {
		t.Errorf("accessMethods: %+v", ams)
	}
	if am := must[*AccessMethod](t)(c.AccessMethod(ctx, "s1", "am1")); am.Scope != "public" || *am.Importance != 1 {
		t.Errorf("accessMethod: %+v", am)
	}
	members := must[[]CoSpaceUser](t)(Collect(c.CoSpaceUsers(ctx, "s1", CoSpaceUserQuery{})))
	if len(members) != 2 || members[1].UserJID != "grace@example.com" || members[0].ID == members[0].UserID {
		t.Errorf("coSpaceUsers: %+v", members)
	}
	if m := must[*CoSpaceUser](t)(c.CoSpaceUser(ctx, "s1", "u1")); !*m.CanDestroy || *m.CanChangeName || m.CanPostMessage != nil {
		t.Errorf("coSpaceUser: %+v", m)
	}
	calls := must[[]Call](t)(Collect(c.Calls(ctx, CallQuery{})))
	if len(calls) != 2 || calls[0].Tenant == "" || calls[1].CoSpace != "" {
		t.Errorf("calls: %+v", calls)
	}
	call := must[*Call](t)(c.Call(ctx, "c1"))
	if call.MessageDuration != "permanent" || !*call.Recording || call.NumParticipantsRemote != 2 || call.RecordingStatus != "active" || call.OwnerName != "Ada Lovelace" {
		t.Errorf("call: %+v", call)
	}
	parts := must[[]Participant](t)(Collect(c.CallParticipants(ctx, "c1", ParticipantQuery{})))
	if len(parts) != 2 || parts[1].CallBridge == "" {
		t.Errorf("call participants: %+v", parts)
	}
	if all := must[[]Participant](t)(Collect(c.Participants(ctx, ParticipantQuery{}))); len(all) != 2 {
		t.Errorf("participants: %+v", all)
	}
	p := must[*Participant](t)(c.Participant(ctx, "p1"))
	if p.Status.State != "connected" || *p.Configuration.Importance != 5 || p.Configuration.DefaultLayout != LayoutSpeakerOnly || !*p.IsActivator {
		t.Errorf("participant: %+v", p)
	}
	legs := must[[]CallLeg](t)(Collect(c.CallLegs(ctx, CallLegQuery{})))
	if len(legs) != 3 || legs[0].Alarms != nil || legs[1].Alarms == nil || len(legs[1].Alarms.Names) != 0 ||
		strings.Join(legs[2].Alarms.Names, ",") != "packetLoss,highRoundTripTime" || legs[1].OriginalRemoteParty != "2101" {
		t.Errorf("callLegs (alarms absent, empty, set): %+v", legs)
	}
	for _, seq := range [][]CallLeg{
		must[[]CallLeg](t)(Collect(c.CallCallLegs(ctx, "c1", CallLegQuery{}))),
		must[[]CallLeg](t)(Collect(c.ParticipantCallLegs(ctx, "p1", ListOptions{}))),
	} {
		if len(seq) != 3 {
			t.Errorf("nested callLegs: %d", len(seq))
		}
	}
	leg := must[*CallLeg](t)(c.CallLeg(ctx, "l1"))
	s := leg.Status
	if s.State != "connected" || s.CallID() != "7e777acc-ed56-40ec-b680-804b13226a7d" || s.ActiveLayout != LayoutOnePlusFive ||
		*s.RxAudio.Jitter != 10 || *s.RxAudio.CodecBitRate != 64000 || s.TxAudio.GainApplied != "0.0" ||
		len(s.RxVideo) != 2 || s.RxVideo[1].Role != "presentation" || *s.RxVideo[0].FrameRate != 29.9 || *s.TxVideo[0].Width != 1920 {
		t.Errorf("callLeg status: %+v", s)
	}
	if len(s.Extra) != 1 || s.Extra[0].XMLName.Local != "activeControl" {
		t.Errorf("unknown status element must be kept: %+v", s.Extra)
	}
	if cfg := leg.Configuration; cfg.ChosenLayout != LayoutAllEqualNinths || !*cfg.RxAudioMute || *cfg.RxVideoMute || *cfg.BFCPMode != "serverAndClient" || cfg.TxAudioMute != nil {
		t.Errorf("callLeg configuration: %+v", cfg)
	}
	profs := must[[]CallLegProfile](t)(Collect(c.CallLegProfiles(ctx, ProfileQuery{})))
	if len(profs) != 2 || profs[0].NeedsActivation != nil || !*profs[1].NeedsActivation {
		t.Errorf("callLegProfiles (only set fields): %+v", profs)
	}
	if pr := must[*CallLegProfile](t)(c.CallLegProfile(ctx, "clp2")); *pr.DeactivationModeTime != 30 || *pr.QualityMain != "max1080p30" || *pr.AudioGainMode != "agc" {
		t.Errorf("callLegProfile: %+v", pr)
	}
	if cps := must[[]CallProfile](t)(Collect(c.CallProfiles(ctx, ProfileQuery{}))); len(cps) != 1 || *cps[0].ParticipantLimit != 50 {
		t.Errorf("callProfiles: %+v", cps)
	}
	if cp := must[*CallProfile](t)(c.CallProfile(ctx, "cp1")); *cp.LockMode != "needsActivation" || *cp.PasscodeTimeout != 10 {
		t.Errorf("callProfile: %+v", cp)
	}
}
