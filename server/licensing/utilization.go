package licensing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// MaxUtilizationDays is the longest range of a utilisation series.
const MaxUtilizationDays = 90

// Point is one step of a utilisation series.
type Point struct {
	Time  time.Time // start of the 5-minute interval, or UTC midnight
	Value float64
}

// Series is a utilisation series (LI-52 … LI-54).
type Series struct {
	// FiveMinutes is true for a one-day range (one point per interval),
	// false for longer ones (one point per day, the day's peak).
	FiveMinutes bool
	Points      []Point
}

// Utilization returns the series of licence type typ (one of Types, or
// TypeSMPPlus) over
// the UTC days start … end, both included, of cluster clusterID (0: the
// whole deployment). start and end are UTC midnights; end must not be
// before start and the range must not exceed MaxUtilizationDays.
func (c *Collector) Utilization(ctx context.Context, clusterID int, typ string, start, end time.Time) (*Series, error) {
	if !slices.Contains(Types, typ) && typ != TypeSMPPlus {
		return nil, errs.Invalid("type", fmt.Sprintf("unknown licence type %q", typ))
	}
	if end.Before(start) {
		return nil, errs.Invalid("end_date", "must not be before start_date")
	}
	days := int(end.Sub(start)/(24*time.Hour)) + 1
	if days > MaxUtilizationDays {
		return nil, errs.Invalid("end_date", fmt.Sprintf("the range is %d days; at most %d are allowed", days, MaxUtilizationDays))
	}
	if clusterID != 0 {
		clusters, err := c.bridges.ListClusters(ctx)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(clusters, func(cl servers.Cluster) bool { return cl.ID == clusterID }) {
			return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no cluster %d", clusterID)
		}
	}
	u, err := c.Usage(ctx, clusterID, start, end.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	s := &Series{FiveMinutes: days == 1}
	if s.FiveMinutes {
		s.Points = make([]Point, len(u.Bins))
		for i, b := range u.Bins {
			s.Points[i] = Point{Time: b.Start, Value: b.Counts[typ]}
		}
		return s, nil
	}
	peaks := u.Peaks[typ]
	s.Points = make([]Point, len(peaks))
	for i, p := range peaks {
		s.Points[i] = Point{Time: p.Day, Value: p.Peak}
	}
	return s, nil
}
