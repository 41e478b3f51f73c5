package notifications

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
)

func newService(t *testing.T, db *database.DB, now func() time.Time) *Service {
	t.Helper()
	return New(db.Ent, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Now: now})
}

var bridge = Subject{Kind: SubjectCallBridge, ID: "7", Name: "London 1"}

func TestRaiseAndClear(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		s := newService(t, db, func() time.Time { return clock })
		for range 3 { // idempotent
			if err := s.Raise(ctx, CodeCallBridgeUnreachable, bridge, "down"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Raise(ctx, CodeCallBridgeBadCredentials, bridge, "bad"); err != nil {
			t.Fatal(err)
		}
		if err := s.Raise(ctx, CodeNoLocalAdmin, Subject{Kind: SubjectSystem}, "none"); err != nil {
			t.Fatal(err)
		}
		if err := s.Raise(ctx, "NOT_A_CODE", bridge, "x"); err == nil {
			t.Fatal("an unlisted code was raised")
		}
		sum, err := s.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum != (Summary{Total: 3, Errors: 2, Warnings: 1}) {
			t.Fatalf("summary %+v", sum)
		}
		page, err := s.List(ctx, Filter{})
		if err != nil || len(page.Notifications) != 3 || page.TotalSize != 3 {
			t.Fatalf("list %+v %v", page, err)
		}
		// The message is refreshed in place.
		if err := s.Raise(ctx, CodeCallBridgeUnreachable, bridge, "still down"); err != nil {
			t.Fatal(err)
		}
		page, _ = s.List(ctx, Filter{SubjectKind: SubjectCallBridge, SubjectID: "7", Severity: Error})
		if len(page.Notifications) != 2 {
			t.Fatalf("filtered list %+v", page)
		}
		// Paging.
		p1, _ := s.List(ctx, Filter{PageSize: 2})
		p2, _ := s.List(ctx, Filter{PageSize: 2, PageToken: p1.NextPageToken})
		if len(p1.Notifications) != 2 || p1.NextPageToken == "" || len(p2.Notifications) != 1 || p2.NextPageToken != "" {
			t.Fatalf("pages %+v %+v", p1, p2)
		}
		// Overview: most severe first.
		prev, sum, err := s.Overview(ctx, 2)
		if err != nil || len(prev) != 2 || sum.Total != 3 || prev[0].Severity != Error || prev[1].Severity != Error {
			t.Fatalf("overview %+v %+v %v", prev, sum, err)
		}
		// Clearing twice is fine; resolved ones are listed on request
		// and purged after 7 days.
		for range 2 {
			if err := s.Clear(ctx, CodeCallBridgeUnreachable, bridge); err != nil {
				t.Fatal(err)
			}
		}
		if sum, _ := s.Summary(ctx); sum.Total != 2 {
			t.Fatalf("after clear %+v", sum)
		}
		all, _ := s.List(ctx, Filter{IncludeResolved: true})
		if all.TotalSize != 3 {
			t.Fatalf("with resolved %+v", all)
		}
		// Raised again: a new current notification.
		if err := s.Raise(ctx, CodeCallBridgeUnreachable, bridge, "down again"); err != nil {
			t.Fatal(err)
		}
		if err := s.ClearSubject(ctx, SubjectCallBridge, "7"); err != nil {
			t.Fatal(err)
		}
		if sum, _ := s.Summary(ctx); sum != (Summary{Total: 1, Warnings: 1}) {
			t.Fatalf("after clearing the subject %+v", sum)
		}
		clock = clock.Add(Retention + time.Hour)
		if _, err := s.PurgeResolved(ctx); err != nil {
			t.Fatal(err)
		}
		all, _ = s.List(ctx, Filter{IncludeResolved: true})
		if all.TotalSize != 1 {
			t.Fatalf("after purge %+v", all)
		}
	})
}

func TestWatchReceivesANewNotification(t *testing.T) {
	db := databasetest.Open(t, "sqlite")
	s := newService(t, db, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := s.Watch(ctx)
	start := time.Now()
	if err := s.Raise(ctx, CodeCallBridgeUnreachable, bridge, "down"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Notification.Code != CodeCallBridgeUnreachable || ev.Summary.Total != 1 {
			t.Fatalf("event %+v", ev)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no event within 2 s")
	}
}

// TestCatalogueCoversEveryCode fails when the source uses a notification
// code that the published catalogue (OV-18) does not list: every Code*
// constant of this package, and every string literal that looks like a
// code passed to Raise or Set anywhere under server/.
func TestCatalogueCoversEveryCode(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok {
				continue
			}
			code, _ := strconv.Unquote(lit.Value)
			n++
			if _, ok := Lookup(code); !ok {
				t.Errorf("%s = %q is not in the catalogue", name.Name, code)
			}
		}
		return true
	})
	if n != len(catalogue) {
		t.Errorf("%d Code constants, %d catalogue entries", n, len(catalogue))
	}
	literal := regexp.MustCompile(`\.(?:Raise|Set|Clear)\(ctx, (?:[^,]+, )?"([A-Z][A-Z0-9_]+)"`)
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if _, ok := Lookup(m[1]); !ok {
				t.Errorf("%s raises %q, which is not in the catalogue", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range catalogue {
		if seen[c.Code] || c.Description == "" || (c.Severity != Error && c.Severity != Warning && c.Severity != Information) {
			t.Errorf("catalogue entry %+v is duplicated or incomplete", c)
		}
		seen[c.Code] = true
	}
}
