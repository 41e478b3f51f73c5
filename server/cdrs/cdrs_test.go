package cdrs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

func golden(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../cms/cdr/testdata/all_types.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func addBridge(t testing.TB, db *ent.Client) int {
	t.Helper()
	ctx := context.Background()
	cl, err := db.Cluster.Create().SetDisplayName("London").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.CallBridge.Create().SetClusterID(cl.ID).SetDisplayName("London 1").SetAddress("cb1.example.com").
		SetPort(443).SetUsername("api").SetPasswordSealed([]byte("sealed")).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

func newReceiver(db *database.DB) *Receiver {
	return New(db.Ent, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

func TestStoreOnceAndRecogniseResends(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		r := newReceiver(db)
		id := addBridge(t, db.Ent)
		batch := golden(t)

		res, err := r.Accept(ctx, id, bytes.NewReader(batch))
		if err != nil {
			t.Fatal(err)
		}
		if res.Records != 11 || res.Stored != 11 || res.Duplicates != 0 || res.Gap {
			t.Fatalf("first post: %+v", res)
		}
		// The bridge got no 200 (say the answer was lost) and sends again.
		res, err = r.Accept(ctx, id, bytes.NewReader(batch))
		if err != nil {
			t.Fatal(err)
		}
		if res.Stored != 0 || res.Duplicates != 11 {
			t.Fatalf("re-sent batch: %+v", res)
		}
		stored, err := db.Ent.CdrRecord.Query().Where(cdrrecord.BridgeID(id)).Order(ent.Asc(cdrrecord.FieldCorrelatorIndex)).All(ctx)
		if err != nil || len(stored) != 11 {
			t.Fatalf("stored %d records (%v)", len(stored), err)
		}
		first := stored[0]
		if first.Type != "callStart" || first.CorrelatorIndex != 1040 || first.RecordIndex != 41 ||
			first.Session != "0f1e2d3c-4b5a-4969-8877-665544332211" || first.CallID != "a1000000-0000-4000-8000-000000000001" ||
			first.Applied || !strings.Contains(first.Body, "Weekly sync") {
			t.Fatalf("stored record: %+v", first)
		}
		if stored[1].CallLegID != "e5000000-0000-4000-8000-000000000005" {
			t.Fatalf("call leg id: %+v", stored[1])
		}
	})
}

func TestGapsAreReported(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		r := newReceiver(db)
		id := addBridge(t, db.Ent)
		if _, err := r.Accept(ctx, id, bytes.NewReader(golden(t))); err != nil {
			t.Fatal(err)
		}
		// The bridge restarted: a new session.
		restarted := strings.Replace(string(golden(t)), `session="0f1e2d3c-4b5a-4969-8877-665544332211"`, `session="11111111-2222-4333-8444-555555555555"`, 1)
		res, err := r.Accept(ctx, id, strings.NewReader(restarted))
		if err != nil || !res.Gap || res.Stored != 11 {
			t.Fatalf("new session: %+v %v", res, err)
		}
		// Records were dropped before this one while we were unreachable.
		missing := strings.Replace(restarted, `correlatorIndex="1040"`, `correlatorIndex="2040" numPreceedingRecordsMissing="7"`, 1)
		res, err = r.Accept(ctx, id, strings.NewReader(missing))
		if err != nil || !res.Gap || res.Stored != 1 || res.Duplicates != 10 {
			t.Fatalf("missing records: %+v %v", res, err)
		}
	})
}

func TestRefusals(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		r := newReceiver(db)
		id := addBridge(t, db.Ent)

		_, err := r.Accept(ctx, id+1000, bytes.NewReader(golden(t)))
		if errs.KindOf(err) != errs.NotFound {
			t.Fatalf("unknown bridge: %v", err)
		}
		broken := golden(t)[:len(golden(t))/2]
		_, err = r.Accept(ctx, id, bytes.NewReader(broken))
		e, ok := errs.From(err)
		if !ok || e.Kind != errs.InvalidArgument || !strings.Contains(e.Message, "not a valid CDR batch") {
			t.Fatalf("broken batch: %v", err)
		}
		_, err = r.Accept(ctx, id, strings.NewReader("<html>hello</html>"))
		if errs.KindOf(err) != errs.InvalidArgument {
			t.Fatalf("not a batch: %v", err)
		}
		// Nothing of a refused batch is kept, so the re-send is whole.
		if n, _ := db.Ent.CdrRecord.Query().Count(ctx); n != 0 {
			t.Fatalf("%d records stored from refused batches", n)
		}
		// An empty batch is fine.
		res, err := r.Accept(ctx, id, strings.NewReader(`<?xml version="1.0"?><records session="s" callBridge="c"></records>`))
		if err != nil || res.Records != 0 {
			t.Fatalf("empty batch: %+v %v", res, err)
		}
	})
}

// TestLargeBatch stores a batch of the most records a post may hold,
// recognises it when it is sent again (the look-up of what is stored is
// chunked like the inserts), and refuses one record more.
func TestLargeBatch(t *testing.T) {
	ctx := context.Background()
	db := databasetest.Open(t, database.DialectSQLite)
	r := newReceiver(db)
	id := addBridge(t, db.Ent)
	batch := func(n int) string {
		var b strings.Builder
		b.WriteString(`<records session="s">`)
		for i := range n {
			fmt.Fprintf(&b, `<record type="callEnd" correlatorIndex="%d"/>`, i)
		}
		b.WriteString(`</records>`)
		return b.String()
	}
	full := batch(MaxBatchRecords)
	res, err := r.Accept(ctx, id, strings.NewReader(full))
	if err != nil || res.Stored != MaxBatchRecords {
		t.Fatalf("first post: %+v %v", res, err)
	}
	res, err = r.Accept(ctx, id, strings.NewReader(full))
	if err != nil || res.Stored != 0 || res.Duplicates != MaxBatchRecords {
		t.Fatalf("re-sent batch: %+v %v", res, err)
	}
	if _, err := r.Accept(ctx, id, strings.NewReader(batch(MaxBatchRecords+1))); errs.KindOf(err) != errs.InvalidArgument ||
		!strings.Contains(err.Error(), "more than 10000 records") {
		t.Fatalf("a batch over the cap: %v", err)
	}
}

// FuzzAccept posts arbitrary bodies: the receiver must answer with a
// classified error or store records, never panic.
func FuzzAccept(f *testing.F) {
	f.Add(golden(f))
	f.Add([]byte(`<records session="s"><record type="x" time="bad" correlatorIndex="-1"/></records>`))
	db := databasetest.Open(f, database.DialectSQLite)
	r := newReceiver(db)
	id := addBridge(f, db.Ent)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := r.Accept(context.Background(), id, bytes.NewReader(body))
		if err != nil && errs.KindOf(err) != errs.InvalidArgument {
			t.Fatalf("unclassified failure: %v", err)
		}
	})
}
