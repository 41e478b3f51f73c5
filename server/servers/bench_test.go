package servers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// BenchmarkPollRound measures the monitor's cost: one round polls every
// bridge once, as the jobs do every PollInterval. It reports the requests
// each bridge receives per minute at the default 10 s interval and the
// wall time of a round with all bridges polled concurrently (as the job
// registry runs them).
//
//	go test -run '^$' -bench BenchmarkPollRound -benchtime 20x ./server/servers/
func BenchmarkPollRound(b *testing.B) {
	for _, n := range []int{24, 100} {
		b.Run(fmt.Sprintf("bridges=%d", n), func(b *testing.B) {
			ctx := context.Background()
			f := newFixture(b, databasetest.Open(b, "sqlite"))
			var ids []int
			var bridges []*cmssim.Bridge
			for i := range n / 4 {
				cl, err := f.sim.AddCluster(cmssim.ClusterOptions{Name: fmt.Sprintf("c%d", i), Bridges: 4})
				if err != nil {
					b.Fatal(err)
				}
				for _, sb := range cl.Bridges {
					added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(sb, f.sim.CACertPEM()), DisplayName: sb.Name(), MeetingManagement: off()})
					if err != nil {
						b.Fatal(err)
					}
					ids = append(ids, added.ID)
					bridges = append(bridges, sb)
				}
			}
			for _, sb := range bridges {
				sb.ClearRequests()
			}
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for _, id := range ids {
					wg.Go(func() {
						if _, err := f.svc.Poll(ctx, id); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			total := 0
			for _, sb := range bridges {
				total += len(sb.Requests())
			}
			perPoll := float64(total) / float64(len(bridges)) / float64(b.N)
			b.ReportMetric(perPoll, "requests/poll")
			b.ReportMetric(perPoll*float64(time.Minute/(10*time.Second)), "requests/bridge/min@10s")
		})
	}
}
