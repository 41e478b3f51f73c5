package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// report is a downloaded report: its three files, strictly parsed.
type report map[string][][]string

func parseReport(t *testing.T, b []byte) report {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP (%d bytes): %v", len(b), err)
	}
	out := report{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(rc)
		r.FieldsPerRecord = 0 // every row as wide as the header
		recs, err := r.ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = recs
	}
	var names []string
	for n := range out {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"cluster-bins.csv", "daily-peaks.csv", "host-reported.csv"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want exactly %v", names, want)
	}
	return out
}

func (r report) col(t *testing.T, file, name string) int {
	t.Helper()
	i := slices.Index(r[file][0], name)
	if i < 0 {
		t.Fatalf("%s has no column %q: %v", file, name, r[file][0])
	}
	return i
}

// downloadConnect reads the report stream over Connect, checking the
// framing: application/zip first, chunks of at most 64 KiB, progress in
// every message, complete at the end.
func downloadConnect(t *testing.T, c *switchboard.Client, clusterID string) report {
	t.Helper()
	stream, err := c.Licensing.DownloadReport(context.Background(), connect.NewRequest(&licensingv1.DownloadReportRequest{ClusterId: clusterID}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var data []byte
	var last *licensingv1.ReportProgress
	n := 0
	for stream.Receive() {
		m := stream.Msg()
		if (n == 0) != (m.GetContentType() == "application/zip") {
			t.Fatalf("message %d has content type %q", n, m.GetContentType())
		}
		if len(m.GetData()) > 64<<10 {
			t.Fatalf("message %d carries %d bytes", n, len(m.GetData()))
		}
		if len(m.GetExtensions()) != 1 {
			t.Fatalf("message %d has %d extensions", n, len(m.GetExtensions()))
		}
		p := &licensingv1.ReportProgress{}
		if err := m.GetExtensions()[0].UnmarshalTo(p); err != nil {
			t.Fatal(err)
		}
		if last != nil && p.GetRowsWritten() < last.GetRowsWritten() {
			t.Fatalf("progress went back: %v after %v", p, last)
		}
		last = p
		data = append(data, m.GetData()...)
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if last == nil || last.GetRowsWritten() != last.GetRowsTotal() || last.GetFile() != "daily-peaks.csv" {
		t.Fatalf("final progress %v", last)
	}
	r := parseReport(t, data)
	rows := int64(0)
	for _, f := range r {
		rows += int64(len(f) - 1)
	}
	if rows != last.GetRowsTotal() {
		t.Errorf("%d data rows, progress says %d", rows, last.GetRowsTotal())
	}
	return r
}

func downloadREST(t *testing.T, s *testServer, token, query string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/licensing/report"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := insecureHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// TestLicensingReportAPI: simulated bridges with 90 days of history,
// collected over HTTPS, then the 90-day report over Connect and REST
// (LI-60 … LI-68): exact files, row counts and values, the cluster of a
// removed bridge's samples, the deployment scope's cluster_id, the
// backfill flag, the roles, bad input and the audit entry.
func TestLicensingReportAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		// The test runs the collection itself, so that the backfill flag
		// is deterministic: no first run starts when a bridge is added.
		s, _ := serveWith(t, testConfig(t, dialect), "127.0.0.1:0", func(o *Options) { o.Licensing.NoSchedule = true })
		ctx := context.Background()
		c, err := sdk(t, s, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		sim := cmssim.New(cmssim.Options{Seed: 1, PageCaps: map[string]int{"MPLicenseUsage": 100}})
		t.Cleanup(sim.Close)
		paris, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Paris", Bridges: 2, Username: "api", Password: "bridge-Secret-77"})
		if err != nil {
			t.Fatal(err)
		}
		oslo, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Oslo", Bridges: 1, Username: "api", Password: "bridge-Secret-77"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		// Paris: bridge A = 3 and B = 4 over the same hour ten days ago,
		// A also reporting a type "foo" the client does not know (LI-13).
		hour := now.Truncate(time.Hour).AddDate(0, 0, -10).Add(7 * time.Second)
		pa, pb, ob := paris.Bridges[0], paris.Bridges[1], oslo.Bridges[0]
		pa.PreloadLicenseUsage("", hour, hour.Add(time.Hour), func(time.Time) cmssim.Usage {
			return cmssim.Usage{SMPFull: 3, Extra: map[string]float64{"foo": 1.5}}
		})
		pb.PreloadLicenseUsage("", hour, hour.Add(time.Hour), func(time.Time) cmssim.Usage { return cmssim.Usage{SMPFull: 4} })
		// Oslo: 95 days of history: what is older than 90 days stays out.
		ob.PreloadLicenseUsage("", now.AddDate(0, 0, -95), now.Add(-time.Hour), func(at time.Time) cmssim.Usage {
			return cmssim.Usage{SMPFull: 1, Recording: float64(at.Hour() % 2)}
		})

		add := func(b *cmssim.Bridge, name string) (bridgeID, clusterID string) {
			t.Helper()
			host, port, _ := net.SplitHostPort(b.Addr())
			p, _ := strconv.Atoi(port)
			off := false
			res, err := c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{
				Connection: &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password(),
					VerifyCertificate: true, TrustedChainPem: string(sim.CACertPEM())},
				DisplayName: name, MeetingManagement: &off}))
			if err != nil {
				t.Fatal(err)
			}
			return res.Msg.GetCallBridge().GetId(), res.Msg.GetCluster().GetId()
		}
		aID, parisID := add(pa, "Paris A")
		bID, parisB := add(pb, "Paris B")
		oID, osloID := add(ob, "Oslo")
		if parisB != parisID || osloID == parisID {
			t.Fatalf("clusters %s %s %s", parisID, parisB, osloID)
		}
		lic := s.app.Licensing()
		if !lic.BackfillInProgress() {
			t.Fatal("new bridges: no backfill in progress (LI-58)")
		}
		for _, id := range []string{aID, bID, oID} {
			n, _ := strconv.Atoi(id)
			if _, err := lic.Collect(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		if lic.BackfillInProgress() {
			t.Fatalf("backfill still in progress for %v", lic.Backfilling())
		}

		// Bridge B leaves; its samples keep Paris's cluster id.
		if _, err := c.Servers.RemoveCallBridge(ctx, connect.NewRequest(&serversv1.RemoveCallBridgeRequest{Id: bID})); err != nil {
			t.Fatal(err)
		}

		r := downloadConnect(t, c, parisID)
		host := r["host-reported.csv"]
		if want := []string{"host_id", "timestamp", "pmp", "pmpAssigned", "smpAud", "smpPtP", "smpFull", "rec", "str", "foo"}; !slices.Equal(host[0], want) {
			t.Fatalf("host-reported header %v", host[0])
		}
		preloaded := 0
		for _, row := range host[1:] {
			at, err := time.Parse(time.RFC3339, row[1])
			if err != nil || row[1] != at.UTC().Format("2006-01-02T15:04:05Z") {
				t.Fatalf("timestamp %q: %v", row[1], err)
			}
			if at.Before(now.Add(-time.Hour)) {
				preloaded++
			}
		}
		if preloaded != 24 {
			t.Fatalf("Paris host-reported: %d preloaded rows, want 2 bridges × 12", preloaded)
		}
		bins := r["cluster-bins.csv"]
		if bins[0][0] != "interval_start" {
			t.Fatalf("Traditional-scope bins header %v", bins[0])
		}
		binStart := hour.Truncate(5 * time.Minute).Format("2006-01-02T15:04:05Z")
		full, foo := r.col(t, "cluster-bins.csv", "smpFull"), r.col(t, "cluster-bins.csv", "foo")
		found := false
		for _, row := range bins[1:] {
			if row[0] == binStart {
				found = true
				if row[full] != "7" || row[foo] != "1.5" {
					t.Errorf("bin %v, want smpFull 7 (3 + 4) and foo 1.5", row)
				}
			}
		}
		if !found {
			t.Fatalf("no bin %s", binStart)
		}
		if peaks := r["daily-peaks.csv"]; len(peaks) != 91 || peaks[90][0] != now.Format("2006-01-02") {
			t.Fatalf("daily peaks: %d rows, last %v", len(peaks), peaks[len(peaks)-1])
		}

		// The deployment: both clusters in cluster-bins; Oslo's rows from
		// 90 days back only.
		all := downloadConnect(t, c, "")
		bins = all["cluster-bins.csv"]
		if bins[0][0] != "cluster_id" {
			t.Fatalf("deployment header %v", bins[0])
		}
		ids := map[string]bool{}
		for _, row := range bins[1:] {
			ids[row[0]] = true
		}
		if len(ids) != 2 || !ids[parisID] || !ids[osloID] {
			t.Fatalf("deployment clusters %v, want %s and %s", ids, parisID, osloID)
		}
		earliest := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -89)
		for _, row := range all["host-reported.csv"][1:] {
			if at, _ := time.Parse(time.RFC3339, row[1]); at.Before(earliest) {
				t.Fatalf("row %v before %s", row, earliest)
			}
		}
		if first := all["host-reported.csv"][1][1]; first != earliest.Format("2006-01-02T15:04:05Z")[:11]+first[11:] {
			t.Errorf("earliest row %s, want on %s", first, earliest.Format("2006-01-02"))
		}

		// REST: the same report as a file download.
		status, header, body := downloadREST(t, s, c.Token(), "?cluster_id="+parisID)
		if status != http.StatusOK || header.Get("Content-Type") != "application/zip" ||
			header.Get("Content-Disposition") != `attachment; filename="license-data.zip"` {
			t.Fatalf("REST: %d %v", status, header)
		}
		if got := parseReport(t, body)["host-reported.csv"]; len(got) != len(host) {
			t.Errorf("REST host-reported: %d rows, Connect %d", len(got), len(host))
		}

		// Another RPC while a download is open (LI-68: not blocked).
		stream, err := c.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{}))
		if err != nil || !stream.Receive() {
			t.Fatalf("open stream: %v %v", err, stream.Err())
		}
		start := time.Now()
		if _, err := c.Licensing.GetUtilization(ctx, connect.NewRequest(&licensingv1.GetUtilizationRequest{
			Type: licensingv1.LicenseType_LICENSE_TYPE_SMP_PLUS, StartDate: now.Format("2006-01-02"), EndDate: now.Format("2006-01-02")})); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(oID)
		if _, err := lic.Collect(ctx, n); err != nil {
			t.Fatalf("collecting during a download: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("other calls during a download took %v", d)
		}
		stream.Close()

		// Audited, with the caller and the scope.
		entries, err := s.app.db.Ent.AuditEvent.Query().
			Where(auditevent.Action(licensingv1connect.LicensingServiceDownloadReportProcedure)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		targets := map[string]int{}
		for _, e := range entries {
			if e.Actor != "admin" {
				t.Errorf("audit actor %q", e.Actor)
			}
			targets[e.Target+" "+e.Outcome]++
		}
		if targets["cluster/"+parisID+" OK"] != 2 || targets["deployment OK"] < 1 {
			t.Errorf("audit entries %v", targets)
		}

		// Roles: a video operator may not download it.
		op := operatorClient(t, s)
		ostream, err := op.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{}))
		if err == nil {
			for ostream.Receive() {
			}
			err = ostream.Err()
		}
		if connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Errorf("operator: %v", err)
		}
		if status, _, _ := downloadREST(t, s, op.Token(), ""); status != http.StatusForbidden {
			t.Errorf("operator over REST: %d", status)
		}

		// Bad input and an unknown cluster.
		for _, tc := range []struct {
			id     string
			code   connect.Code
			status int
		}{
			{"abc", connect.CodeInvalidArgument, http.StatusBadRequest},
			{"0", connect.CodeInvalidArgument, http.StatusBadRequest},
			{"999999", connect.CodeNotFound, http.StatusNotFound},
		} {
			st, err := c.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{ClusterId: tc.id}))
			if err == nil {
				for st.Receive() {
					t.Fatalf("cluster %q: a message", tc.id)
				}
				err = st.Err()
			}
			if connect.CodeOf(err) != tc.code {
				t.Errorf("cluster %q: %v, want %v", tc.id, err, tc.code)
			}
			if tc.code == connect.CodeInvalidArgument {
				if _, fields := violations(t, err); !slices.Contains(fields, "cluster_id") {
					t.Errorf("cluster %q: violations %v", tc.id, fields)
				}
			}
			if status, _, body := downloadREST(t, s, c.Token(), "?cluster_id="+tc.id); status != tc.status {
				t.Errorf("REST cluster %q: %d %s", tc.id, status, body)
			}
		}
	})
}
