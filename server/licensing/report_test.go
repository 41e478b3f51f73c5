package licensing_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// readReport unzips a report and parses its three files strictly (RFC
// 4180, every row as wide as the header).
func readReport(t *testing.T, b []byte) map[string][][]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(rc)
		r.FieldsPerRecord = 0 // the header's width, for every row
		r.ReuseRecord = false
		recs, err := r.ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = recs
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range out {
			if !yield(n) {
				return
			}
		}
	})
	if want := []string{"cluster-bins.csv", "daily-peaks.csv", "host-reported.csv"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	return out
}

// column returns the index of a header name.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, header)
	}
	return i
}

type progressLog struct {
	files       []string
	last, total int64
}

func (p *progressLog) record(file string, done, total int64) {
	if len(p.files) == 0 || p.files[len(p.files)-1] != file {
		p.files = append(p.files, file)
	}
	p.last, p.total = done, total
}

// The report from synthetic samples (LI-60 … LI-67): raw rows as stored,
// bins summing each bridge's largest sample, smoothed daily peaks, further
// licence types as columns, 90 days back from now, and the cluster_id
// column in the deployment scope.
func TestWriteReport(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		now := time.Date(2026, 3, 31, 12, 2, 0, 0, time.UTC)
		e.bridges.clusters = []servers.Cluster{
			{ID: 1, Bridges: []servers.Bridge{{ID: 1, ClusterID: 1}, {ID: 2, ClusterID: 1}}},
			{ID: 2, Bridges: []servers.Bridge{{ID: 3, ClusterID: 2}}},
		}
		ctx := context.Background()
		put := func(bridge, cluster int, host string, at time.Time, smpFull float64, extra map[string]float64) {
			t.Helper()
			c := e.db.LicenseSample.Create().SetBridgeID(bridge).SetClusterID(cluster).SetHostID(host).SetTime(at).SetSmpFull(smpFull)
			if extra != nil {
				c.SetExtra(extra)
			}
			if err := c.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Day D: an hour of 12 samples of each bridge of cluster 1, A = 3
		// and B = 4, A reporting a type foo, then bins 1, 9, 1, 2, 2.
		day := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
		for i := range 12 {
			at := day.Add(6*time.Hour + time.Duration(i)*5*time.Minute + 7*time.Second)
			put(1, 1, "host-a", at, 3, map[string]float64{"foo": 1.5})
			put(2, 1, "host-b, \"quoted\"", at.Add(time.Second), 4, nil)
		}
		for i, v := range []float64{1, 9, 1, 2, 2} {
			put(1, 1, "host-a", day.Add(12*time.Hour+time.Duration(i)*5*time.Minute), v, nil)
		}
		put(3, 2, "host-c", day.Add(6*time.Hour), 60, nil)
		put(3, 2, "host-c", day.Add(6*time.Hour+5*time.Minute), 60, nil)
		put(3, 2, "host-c", now.AddDate(0, 0, -95), 99, nil) // outside the window
		// A bridge removed before clusters were stored.
		put(9, 0, "host-gone", day.Add(6*time.Hour), 1, nil)
		put(9, 0, "host-gone", day.Add(6*time.Hour+5*time.Minute), 1, nil)

		var out bytes.Buffer
		var p progressLog
		if err := e.col.WriteReport(ctx, &out, 1, now, p.record); err != nil {
			t.Fatal(err)
		}
		files := readReport(t, out.Bytes())
		host := files["host-reported.csv"]
		if want := []string{"host_id", "timestamp", "pmp", "pmpAssigned", "smpAud", "smpPtP", "smpFull", "rec", "str", "foo"}; !slices.Equal(host[0], want) {
			t.Fatalf("host-reported header %v", host[0])
		}
		if len(host) != 1+24+5 {
			t.Fatalf("host-reported: %d rows", len(host))
		}
		if got := host[1]; got[0] != "host-a" || got[1] != "2026-03-20T06:00:07Z" || got[6] != "3" || got[9] != "1.5" {
			t.Errorf("first row %v", got)
		}
		if got := host[2]; got[0] != `host-b, "quoted"` || got[6] != "4" || got[9] != "0" {
			t.Errorf("second row %v", got)
		}
		earliest := now.AddDate(0, 0, -90)
		for _, r := range host[1:] {
			at, err := time.Parse(licensing.ReportTimeLayout, r[1])
			if err != nil || at.Before(earliest) {
				t.Fatalf("row %v: %v", r, err)
			}
		}

		bins := files["cluster-bins.csv"]
		if bins[0][0] != "interval_start" || !slices.Contains(bins[0], "smpPlus") || !slices.Contains(bins[0], "foo") {
			t.Fatalf("cluster-bins header %v", bins[0])
		}
		// 89 whole days and today up to 12:00 (the interval of now).
		if want := 1 + 89*288 + 12*12 + 1; len(bins) != want {
			t.Fatalf("cluster-bins: %d rows, want %d", len(bins), want)
		}
		if bins[1][0] != "2026-01-01T00:00:00Z" {
			t.Errorf("first interval %v", bins[1][0])
		}
		full := column(t, bins[0], "smpFull")
		at := func(ts string) []string {
			for _, r := range bins[1:] {
				if r[0] == ts {
					return r
				}
			}
			t.Fatalf("no bin %s", ts)
			return nil
		}
		if r := at("2026-03-20T06:00:00Z"); r[full] != "7" || r[column(t, bins[0], "foo")] != "1.5" || r[column(t, bins[0], "smpPlus")] != "7" {
			t.Errorf("bin of A = 3 and B = 4: %v", r)
		}

		peaks := files["daily-peaks.csv"]
		if len(peaks) != 1+90 || peaks[1][0] != "2026-01-01" || peaks[90][0] != "2026-03-31" {
			t.Fatalf("daily-peaks: %d rows, %v … %v", len(peaks), peaks[1], peaks[len(peaks)-1])
		}
		for _, r := range peaks[1:] {
			if r[0] == "2026-03-20" && r[column(t, peaks[0], "smpFull")] != "7" {
				t.Errorf("peak of day D %v", r)
			}
		}
		if p.last != p.total || p.total != 29+int64(len(bins)-1)+90 || !slices.Equal(p.files, []string{"host-reported.csv", "cluster-bins.csv", "daily-peaks.csv"}) {
			t.Errorf("progress %+v", p)
		}

		// The isolated 9 among 1, 9, 1, 2, 2 is smoothed away: a day of
		// only these bins peaks at 2.
		out.Reset()
		e.bridges.clusters = append(e.bridges.clusters, servers.Cluster{ID: 3})
		put(4, 3, "host-d", day.Add(-24*time.Hour+time.Hour), 5, nil)
		for i, v := range []float64{1, 9, 1, 2, 2} {
			put(4, 3, "host-d", day.Add(-48*time.Hour+12*time.Hour+time.Duration(i)*5*time.Minute), v, nil)
		}
		if err := e.col.WriteReport(ctx, &out, 3, now, nil); err != nil {
			t.Fatal(err)
		}
		peaks = readReport(t, out.Bytes())["daily-peaks.csv"]
		for _, r := range peaks[1:] {
			if r[0] == "2026-03-18" && r[column(t, peaks[0], "smpFull")] != "2" {
				t.Errorf("smoothed peak of 1, 9, 1, 2, 2: %v", r)
			}
		}

		// The deployment: cluster_id first, rows of every cluster, the
		// unknown one (samples of a bridge gone before clusters were
		// stored) with an empty id; peaks add the clusters per interval.
		out.Reset()
		if err := e.col.WriteReport(ctx, &out, 0, now, nil); err != nil {
			t.Fatal(err)
		}
		files = readReport(t, out.Bytes())
		bins = files["cluster-bins.csv"]
		if bins[0][0] != "cluster_id" || bins[0][1] != "interval_start" {
			t.Fatalf("deployment header %v", bins[0])
		}
		ids := map[string]int{}
		full = column(t, bins[0], "smpFull")
		for _, r := range bins[1:] {
			ids[r[0]]++
			if r[1] == "2026-03-20T06:00:00Z" && r[0] == "2" && r[full] != "60" {
				t.Errorf("cluster 2's bin %v", r)
			}
		}
		per := 89*288 + 12*12 + 1
		if len(ids) != 4 || ids[""] != per || ids["1"] != per || ids["2"] != per || ids["3"] != per {
			t.Errorf("rows per cluster %v", ids)
		}
		if host := files["host-reported.csv"]; len(host) != 1+24+5+2+2+6 {
			t.Errorf("deployment host-reported: %d rows", len(host))
		}
		for _, r := range files["daily-peaks.csv"][1:] {
			if r[0] == "2026-03-20" && r[column(t, files["daily-peaks.csv"][0], "smpFull")] != "68" {
				t.Errorf("deployment peak of day D %v, want 7 + 60 + 1", r)
			}
		}

		// An unknown cluster, before anything is written.
		out.Reset()
		err := e.col.WriteReport(ctx, &out, 99, now, nil)
		if e, ok := errs.From(err); !ok || e.Kind != errs.NotFound || out.Len() != 0 {
			t.Fatalf("unknown cluster: %v, %d bytes", err, out.Len())
		}
	})
}

// The report is written as it is read: a writer failing midway stops it.
func TestWriteReportStopsOnWriteError(t *testing.T) {
	db := databasetest.Open(t, database.DialectSQLite)
	e := newEnv(t, db)
	e.bridges.clusters = []servers.Cluster{{ID: 1}}
	err := e.col.WriteReport(context.Background(), failingWriter{}, 0, time.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

var errDiskFull = errors.New("disk full")
