package cmssim

import "testing"

// TestActionRefusals covers the refusals operator actions meet: a
// dual-homed meeting's lock cannot change, and a participant reporting
// canMove false cannot be moved.
func TestActionRefusals(t *testing.T) {
	s := newSim(t, Options{Seed: 7})
	b := addCluster(t, s, ClusterOptions{Name: "Refusals"}).Bridges[0]
	a := newAPI(t, s, b)

	lync, err := b.StartCall(CallOptions{Name: "Dual-homed", CallType: "lyncConferencing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(lync.ID, LegOptions{Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	if got := a.get("/calls/" + lync.ID).mustOK(t).text("callType"); got != "lyncConferencing" {
		t.Fatalf("callType = %q", got)
	}
	a.put("/calls/"+lync.ID, "locked", "true").failure(t, 400, "invalidOperation")
	a.put("/calls/"+lync.ID, "locked", "").failure(t, 400, "invalidOperation")
	a.put("/calls/"+lync.ID, "recording", "true").mustOK(t)
	if b.Calls()[0].Locked {
		t.Fatal("dual-homed call locked")
	}

	other, err := b.StartCall(CallOptions{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(other.ID, LegOptions{Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	stuck, err := b.Join(lync.ID, LegOptions{Name: "Stuck", CannotMove: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.get("/participants/" + stuck.ParticipantID).mustOK(t).text("canMove"); got != "false" {
		t.Fatalf("canMove = %q", got)
	}
	a.post("/calls/"+other.ID+"/participants", "movedParticipant", stuck.ParticipantID).failure(t, 400, "participantCannotBeModified")
}
