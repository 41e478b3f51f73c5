package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
)

// TestLicensingUtilizationAPI stores licence samples of two hosts and reads
// the utilisation series over Connect and REST: 288 five-minute points for
// one day, one smoothed daily peak per day otherwise, only the requested
// type, no percentage (allocations are not stored yet), and the range
// checks (LI-52 … LI-55).
func TestLicensingUtilizationAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		c, err := sdk(t, s, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 7, 0, time.UTC) }
		db := s.app.db.Ent
		rows := []struct {
			bridge   int
			host     string
			time     time.Time
			pmp, rec float64
		}{
			{1, "host-a", at(1, 6, 0), 3, 1},
			{2, "host-b", at(1, 6, 1), 4, 0},
			{1, "host-a", at(1, 6, 5), 1.5, 0},
			// Day 2: a sustained 5, then an isolated spike the smoothing suppresses.
			{1, "host-a", at(2, 10, 0), 5, 0},
			{1, "host-a", at(2, 10, 5), 5, 0},
			{1, "host-a", at(2, 10, 10), 5, 0},
			{1, "host-a", at(2, 14, 0), 40, 0},
		}
		for _, r := range rows {
			if err := db.LicenseSample.Create().SetBridgeID(r.bridge).SetHostID(r.host).SetTime(r.time).
				SetPmp(r.pmp).SetRec(r.rec).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		get := func(typ licensingv1.LicenseType, from, to string) (*licensingv1.GetUtilizationResponse, error) {
			res, err := c.Licensing.GetUtilization(ctx, connect.NewRequest(&licensingv1.GetUtilizationRequest{Type: typ, StartDate: from, EndDate: to}))
			if err != nil {
				return nil, err
			}
			return res.Msg, nil
		}

		// One day: 288 points at 5-minute steps from midnight.
		day, err := get(licensingv1.LicenseType_LICENSE_TYPE_PMP, "2026-03-01", "2026-03-01")
		if err != nil {
			t.Fatal(err)
		}
		if day.GetGranularity() != licensingv1.Granularity_GRANULARITY_FIVE_MINUTES || len(day.GetPoints()) != 288 {
			t.Fatalf("one day: %v, %d points", day.GetGranularity(), len(day.GetPoints()))
		}
		want := map[time.Duration]float64{6 * time.Hour: 7, 6*time.Hour + 5*time.Minute: 1.5}
		midnight := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for i, p := range day.GetPoints() {
			if !p.GetTime().AsTime().Equal(midnight.Add(time.Duration(i) * 5 * time.Minute)) {
				t.Fatalf("point %d at %v", i, p.GetTime().AsTime())
			}
			if v := want[time.Duration(i)*5*time.Minute]; p.GetValue() != v {
				t.Errorf("point %d (%v) = %v, want %v", i, p.GetTime().AsTime(), p.GetValue(), v)
			}
			if p.GetPercentageState() != licensingv1.PercentageState_PERCENTAGE_STATE_NOT_COMPUTABLE || p.Percentage != nil {
				t.Fatalf("point %d has a percentage: %v", i, p)
			}
		}
		// Only the requested type.
		rec, err := get(licensingv1.LicenseType_LICENSE_TYPE_RECORDING, "2026-03-01", "2026-03-01")
		if err != nil {
			t.Fatal(err)
		}
		if v := rec.GetPoints()[6*12].GetValue(); v != 1 {
			t.Fatalf("recording at 06:00 = %v, want 1", v)
		}

		// Several days: one smoothed peak per day.
		days, err := get(licensingv1.LicenseType_LICENSE_TYPE_PMP, "2026-03-01", "2026-03-03")
		if err != nil {
			t.Fatal(err)
		}
		if days.GetGranularity() != licensingv1.Granularity_GRANULARITY_DAY || len(days.GetPoints()) != 3 {
			t.Fatalf("three days: %v", days)
		}
		for i, v := range []float64{1.5, 5, 0} {
			p := days.GetPoints()[i]
			if !p.GetTime().AsTime().Equal(midnight.AddDate(0, 0, i)) || p.GetValue() != v ||
				p.GetPercentageState() != licensingv1.PercentageState_PERCENTAGE_STATE_NOT_COMPUTABLE {
				t.Errorf("day %d: %v, want %v", i, p, v)
			}
		}
		// 90 days is the longest range.
		if long, err := get(licensingv1.LicenseType_LICENSE_TYPE_PMP, "2026-01-01", "2026-03-31"); err != nil || len(long.GetPoints()) != 90 {
			t.Fatalf("90 days: %d points, %v", len(long.GetPoints()), err)
		}

		// REST, the same day.
		status, body := s.restCall(t, route{http.MethodGet, "/api/v1/licensing/utilization?type=LICENSE_TYPE_PMP&start_date=2026-03-01&end_date=2026-03-03"}, "", bearer(c.Token()))
		var restDays struct {
			Granularity string
			Points      []struct {
				Time            time.Time
				Value           float64
				PercentageState string
			}
		}
		if err := json.Unmarshal([]byte(body), &restDays); err != nil || status != http.StatusOK {
			t.Fatalf("REST: %d %s", status, body)
		}
		if restDays.Granularity != "GRANULARITY_DAY" || len(restDays.Points) != 3 || restDays.Points[1].Value != 5 ||
			restDays.Points[1].PercentageState != "PERCENTAGE_STATE_NOT_COMPUTABLE" {
			t.Fatalf("REST: %s", body)
		}

		// An unknown cluster.
		_, err = c.Licensing.GetUtilization(ctx, connect.NewRequest(&licensingv1.GetUtilizationRequest{ClusterId: "999999",
			Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: "2026-03-01", EndDate: "2026-03-01"}))
		if connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("unknown cluster: %v", err)
		}

		// Bad input, over Connect and REST.
		bad := []struct {
			name, field, query string
			req                *licensingv1.GetUtilizationRequest
		}{
			{"end before start", "end_date", "type=LICENSE_TYPE_PMP&start_date=2026-03-02&end_date=2026-03-01",
				&licensingv1.GetUtilizationRequest{Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: "2026-03-02", EndDate: "2026-03-01"}},
			{"over 90 days", "end_date", "type=LICENSE_TYPE_PMP&start_date=2026-01-01&end_date=2026-04-01",
				&licensingv1.GetUtilizationRequest{Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: "2026-01-01", EndDate: "2026-04-01"}},
			{"unknown type", "type", "type=99&start_date=2026-03-01&end_date=2026-03-01",
				&licensingv1.GetUtilizationRequest{Type: 99, StartDate: "2026-03-01", EndDate: "2026-03-01"}},
			{"no type", "type", "start_date=2026-03-01&end_date=2026-03-01",
				&licensingv1.GetUtilizationRequest{StartDate: "2026-03-01", EndDate: "2026-03-01"}},
			{"malformed date", "start_date", "type=LICENSE_TYPE_PMP&start_date=1.3.2026&end_date=2026-03-01",
				&licensingv1.GetUtilizationRequest{Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: "1.3.2026", EndDate: "2026-03-01"}},
			{"impossible date", "end_date", "type=LICENSE_TYPE_PMP&start_date=2026-02-01&end_date=2026-02-30",
				&licensingv1.GetUtilizationRequest{Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: "2026-02-01", EndDate: "2026-02-30"}},
		}
		for _, tc := range bad {
			_, err := c.Licensing.GetUtilization(ctx, connect.NewRequest(tc.req))
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("Connect %s: %v", tc.name, err)
				continue
			}
			if reason, fields := violations(t, err); reason != "INVALID_ARGUMENT" || !slices.Contains(fields, tc.field) {
				t.Errorf("Connect %s: reason %q fields %v, want %s", tc.name, reason, fields, tc.field)
			}
			status, body := s.restCall(t, route{http.MethodGet, "/api/v1/licensing/utilization?" + tc.query}, "", bearer(c.Token()))
			var e struct {
				Message string
				Details []struct {
					FieldViolations []struct{ Field string }
				}
			}
			_ = json.Unmarshal([]byte(body), &e)
			named := false
			for _, d := range e.Details {
				for _, fv := range d.FieldViolations {
					named = named || fv.Field == tc.field
				}
			}
			// The gateway itself refuses an enum value it cannot parse
			// from the query, naming the field in the message only.
			parsedByGateway := strings.Contains(e.Message, "is not a valid value")
			if status != http.StatusBadRequest || !strings.Contains(e.Message, tc.field) || !(named || parsedByGateway) {
				t.Errorf("REST %s: %d %s, want 400 naming %s", tc.name, status, body, tc.field)
			}
		}
	})
}
