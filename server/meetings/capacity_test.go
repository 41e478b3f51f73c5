package meetings

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/notification"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/servers"
)

// TestCapacityWarning: a CDR rate at 120 % of the published capacity
// raises CAPACITY_EXCEEDED (MT-22), naming the busiest cluster; back under
// it, the warning clears.
func TestCapacityWarning(t *testing.T) {
	db := databasetest.Open(t, "sqlite")
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := slog.New(slog.DiscardHandler)
	notes := notifications.New(db.Ent, log, notifications.Options{Now: clock})
	srv := servers.New(db.Ent, nil, notes, nil, log, servers.Options{Now: clock, NoSchedule: true})
	svc := New(db.Ent, srv, notes, nil, log, Options{Now: clock, NoSchedule: true,
		Capacity: Capacity{Bridges: 10, Meetings: 10, Participants: 100, CDRRecordsPerSecond: 10}})
	t.Cleanup(svc.Close)
	applyAll(svc.md, london1, callStart(0, "c1", "Busy", "m1"), legStart(1, "l1", "c1", "Ada"))
	active := func() (int, string) {
		rows, err := db.Ent.Notification.Query().Where(notification.Code(notifications.CodeCapacityExceeded), notification.ActiveKeyNotNil()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return 0, ""
		}
		return len(rows), rows[0].Message
	}
	if _, err := svc.checkCapacity(ctx); err != nil { // starts the window
		t.Fatal(err)
	}
	svc.CDRsStored(1, 720, false) // 12 records a second for a minute
	now = now.Add(time.Minute)
	if _, err := svc.checkCapacity(ctx); err != nil {
		t.Fatal(err)
	}
	n, msg := active()
	if n != 1 || !strings.Contains(msg, "12 CDR records a second (tested: 10)") || !strings.Contains(msg, "London") {
		t.Fatalf("at 120 %%: %d %q", n, msg)
	}
	svc.CDRsStored(1, 480, false) // 8 a second
	now = now.Add(time.Minute)
	if _, err := svc.checkCapacity(ctx); err != nil {
		t.Fatal(err)
	}
	if n, msg := active(); n != 0 {
		t.Fatalf("under capacity: %d %q", n, msg)
	}
}
