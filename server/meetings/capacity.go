package meetings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/server/notifications"
)

// Capacity is Switchboard's published, tested capacity (MT-22): the load
// `make bench` shows one instance keeping up with on the reference
// machine (2 cores; docs/operations.md has the figures and commands).
type Capacity struct {
	Bridges      int
	Meetings     int
	Participants int
	// CDRRecordsPerSecond is the CDR rate, averaged over a minute.
	CDRRecordsPerSecond float64
}

// Published capacities: the stress scenario's 100 bridges with 5,000
// meetings and 50,000 participants; CDRs at the rate the benchmark
// sustained with latency targets met or nearly (PostgreSQL: 500 call legs
// a second, about 1,600 records; SQLite: 300 legs, about 950 records).
var (
	CapacityPostgres = Capacity{Bridges: 100, Meetings: 5000, Participants: 50000, CDRRecordsPerSecond: 1500}
	CapacitySQLite   = Capacity{Bridges: 100, Meetings: 5000, Participants: 50000, CDRRecordsPerSecond: 900}
)

// capacityCheck is the state of the capacity job.
type capacityCheck struct {
	stored   atomic.Int64 // CDRs stored, ever (fed by CDRsStored)
	lastN    int64
	lastTime time.Time
}

// checkCapacity compares the load since the last check with the
// published capacity and raises or clears CAPACITY_EXCEEDED. The first
// check only starts the CDR rate's window.
func (s *Service) checkCapacity(ctx context.Context) (string, error) {
	now, n := s.now(), s.capacity.stored.Load()
	last, lastN := s.capacity.lastTime, s.capacity.lastN
	s.capacity.lastTime, s.capacity.lastN = now, n
	rate := -1.0
	if !last.IsZero() && now.After(last) {
		rate = float64(n-lastN) / now.Sub(last).Seconds()
	}
	s.mu.RLock()
	meetings, parts := len(s.md.meetings), len(s.md.legs)
	bridges := 0
	for _, b := range s.bridges {
		if b.Managed {
			bridges++
		}
	}
	heaviest, heaviestParts := "", 0
	perCluster := map[string]int{}
	for _, l := range s.md.meetings {
		perCluster[l.m.ClusterName] += len(l.parts)
		if perCluster[l.m.ClusterName] > heaviestParts {
			heaviest, heaviestParts = l.m.ClusterName, perCluster[l.m.ClusterName]
		}
	}
	s.mu.RUnlock()

	c := s.opts.Capacity
	var over []string
	if bridges > c.Bridges {
		over = append(over, fmt.Sprintf("%d managed Call Bridges (tested: %d)", bridges, c.Bridges))
	}
	if meetings > c.Meetings {
		over = append(over, fmt.Sprintf("%d active meetings (tested: %d)", meetings, c.Meetings))
	}
	if parts > c.Participants {
		over = append(over, fmt.Sprintf("%d participants (tested: %d)", parts, c.Participants))
	}
	if rate > c.CDRRecordsPerSecond {
		over = append(over, fmt.Sprintf("%.0f CDR records a second (tested: %.0f)", rate, c.CDRRecordsPerSecond))
	}
	subj := notifications.Subject{Kind: notifications.SubjectSystem, ID: "capacity", Name: "Switchboard"}
	summary := fmt.Sprintf("%d bridges, %d meetings, %d participants", bridges, meetings, parts)
	if rate >= 0 {
		summary += ", " + strconv.FormatFloat(rate, 'f', 0, 64) + " CDR records/s"
	}
	if len(over) == 0 {
		return summary, s.notes.Clear(ctx, notifications.CodeCapacityExceeded, subj)
	}
	msg := "Load exceeds the tested capacity: " + strings.Join(over, ", ") + "."
	if heaviest != "" {
		msg += fmt.Sprintf(" Consider switching meeting management off for the busiest cluster, %s (%d participants).", heaviest, heaviestParts)
	}
	return summary + "; over capacity", s.notes.Raise(ctx, notifications.CodeCapacityExceeded, subj, msg)
}
