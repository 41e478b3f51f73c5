package meetings

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// TestRetention: on a fixed clock, a meeting that ended 6 d 23 h ago is
// listed with its event log; one that ended 7 d 1 h ago is not, its log is
// NotFound (MT-07, MT-11), and the purge job deletes it with its rows.
func TestRetention(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		log := slog.New(slog.DiscardHandler)
		notes := notifications.New(db.Ent, log, notifications.Options{Now: clock})
		srv := servers.New(db.Ent, nil, notes, nil, log, servers.Options{Now: clock, NoSchedule: true})
		svc := New(db.Ent, srv, notes, nil, log, Options{Now: clock, NoSchedule: true})
		t.Cleanup(svc.Close)

		ended := func(id string, ago time.Duration) {
			md := newModel()
			applyAll(md, london1, callStart(0, "c-"+id, "Meeting "+id, id), legStart(1, "l-"+id, "c-"+id, "Ada"))
			applyAll(md, london1, callEnd(2, "c-"+id))
			r := snapshot(md.take())
			for i := range r.meetings {
				r.meetings[i].End = now.Add(-ago)
			}
			if err := database.WithTx(ctx, db.Ent, func(tx *ent.Tx) error { return write(ctx, tx, &r) }); err != nil {
				t.Fatal(err)
			}
		}
		ended("recent", 6*24*time.Hour+23*time.Hour)
		ended("old", 7*24*time.Hour+time.Hour)

		list, err := svc.List(ctx, ListQuery{Ended: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Meetings) != 1 || list.Meetings[0].ID != "recent" || list.Total != 1 {
			t.Fatalf("ended meetings %+v", list.Meetings)
		}
		if ev, err := svc.Events(ctx, "recent", 0, ""); err != nil || len(ev.Events) < 2 {
			t.Fatalf("recent log: %v %v", ev, err)
		}
		if _, err := svc.Events(ctx, "old", 0, ""); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("old log: %v, want NotFound", err)
		}
		if _, err := svc.Get(ctx, "old"); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("old meeting: %v, want NotFound", err)
		}

		summary, err := purge(ctx, db.Ent, now.Add(-svc.opts.Retention), log)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Ent.Meeting.Query().Count(ctx); n != 1 {
			t.Fatalf("%d meetings after the purge (%s)", n, summary)
		}
		if n, _ := db.Ent.MeetingEvent.Query().Count(ctx); n != 4 {
			t.Fatalf("%d events after the purge, want the recent meeting's 4 (started, joined, left, ended)", n)
		}
		if n, _ := db.Ent.MeetingParticipant.Query().Count(ctx); n != 1 {
			t.Fatalf("%d participants after the purge", n)
		}
	})
}
