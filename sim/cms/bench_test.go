package cmssim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These benchmarks measure the simulator's own ceiling: how many bridges it
// can host, how many concurrent call legs, and how many CDR records per
// second it can deliver. Run them with:
//
//	go test -run '^$' -bench . -benchtime 1x ./sim/cms/     (smoke)
//	go test -run '^$' -bench . ./sim/cms/                   (figures)

// cpuSeconds is the process's user+system CPU time. The figures below are
// also reported per CPU second, because on a shared machine wall-clock
// rates say more about the neighbours than about the simulator.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkBridgeStartup adds standalone bridges: certificate, listener,
// cluster bookkeeping. It reports bridges per second and heap per bridge.
func BenchmarkBridgeStartup(b *testing.B) {
	s := New(Options{})
	defer s.Close()
	before := heapInUse()
	cpu := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.AddCluster(ClusterOptions{Name: fmt.Sprint("c", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bridges/s")
	b.ReportMetric(float64(b.N)/(cpuSeconds()-cpu), "bridges/CPU-s")
	b.ReportMetric(float64(heapInUse()-before)/float64(b.N)/1024, "KiB/bridge")
}

// BenchmarkConcurrentLegs fills 100 bridges (10 clusters of 10) with b.N
// concurrent call legs in calls of 8, then measures what a poller sees:
// the latency of a page of /callLegs and of /system/status on one bridge.
func BenchmarkConcurrentLegs(b *testing.B) {
	s := New(Options{})
	defer s.Close()
	for c := 0; c < 10; c++ {
		if _, err := s.AddCluster(ClusterOptions{Name: fmt.Sprint("c", c), Bridges: 10}); err != nil {
			b.Fatal(err)
		}
	}
	bridges := s.Bridges()
	calls := make([]string, len(bridges))
	before := heapInUse()
	cpu := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(bridges)
		br := bridges[k]
		if i%(8*len(bridges)) < len(bridges) {
			c, err := br.StartCall(CallOptions{Name: fmt.Sprint("m", i), ActiveWhenEmpty: true})
			if err != nil {
				b.Fatal(err)
			}
			calls[k] = c.ID
		}
		if _, err := br.Join(calls[k], LegOptions{Name: "P"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/(cpuSeconds()-cpu), "joins/CPU-s")
	b.ReportMetric(float64(heapInUse()-before)/float64(b.N), "B/leg")
	a := newAPI(b, s, bridges[0])
	a.hc.Transport.(*http.Transport).DisableKeepAlives = false // measure the handler, not TLS handshakes
	time1 := func(path string) float64 {
		const n = 20
		start := time.Now()
		for j := 0; j < n; j++ {
			if r := a.get(path); r.status != 200 {
				b.Fatalf("%s: %d", path, r.status)
			}
		}
		return float64(time.Since(start).Microseconds()) / n
	}
	b.ReportMetric(time1("/callLegs?limit=20"), "µs/callLegs-page")
	b.ReportMetric(time1("/system/status"), "µs/status")
	b.ReportMetric(float64(b.N), "legs")
}

// BenchmarkCDRThroughput drives b.N join/leave pairs (three records each:
// callLegStart, callLegUpdate, callLegEnd) across n bridges, each with one
// receiver on a fast local HTTP server, and reports the records per second
// delivered and acknowledged end to end.
func BenchmarkCDRThroughput(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("bridges=%d", n), func(b *testing.B) {
			var got atomic.Int64
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				got.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			defer recv.Close()
			s := New(Options{CDRBacklog: 1 << 22})
			defer s.Close()
			for c := 0; c < (n+9)/10; c++ {
				if _, err := s.AddCluster(ClusterOptions{Name: fmt.Sprint("c", c), Bridges: min(10, n-c*10)}); err != nil {
					b.Fatal(err)
				}
			}
			bridges := s.Bridges()
			calls := make([]string, len(bridges))
			for i, br := range bridges {
				if _, err := br.AddCDRReceiver(recv.URL + "/cdr"); err != nil {
					b.Fatal(err)
				}
				c, _ := br.StartCall(CallOptions{Name: "bench", ActiveWhenEmpty: true})
				calls[i] = c.ID
			}
			cpu := cpuSeconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				br := bridges[i%len(bridges)]
				l, err := br.Join(calls[i%len(bridges)], LegOptions{Name: "P"})
				if err != nil {
					b.Fatal(err)
				}
				if err := br.Leave(l.ID); err != nil {
					b.Fatal(err)
				}
			}
			for _, br := range bridges {
				for {
					_, _, queued := br.CDRStats(recv.URL + "/cdr")
					if queued == 0 {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(3*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(3*b.N)/(cpuSeconds()-cpu), "records/CPU-s")
			b.ReportMetric(float64(3*b.N)/float64(got.Load()), "records/POST")
		})
	}
}

// BenchmarkScenarioLargeEstate replays the LargeEstate preset on 100
// bridges on an accelerated clock and reports how many simulated minutes
// of that traffic the simulator processes per real second, and the
// concurrent legs it reached.
func BenchmarkScenarioLargeEstate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		clk := NewManualClock(epoch)
		s := New(Options{Clock: clk})
		for c := 0; c < 10; c++ {
			if _, err := s.AddCluster(ClusterOptions{Name: fmt.Sprint("c", c), Bridges: 10}); err != nil {
				b.Fatal(err)
			}
		}
		sc := LargeEstate()
		sc.Duration = 30 * time.Minute
		done := make(chan error, 1)
		start, cpu := time.Now(), cpuSeconds()
		go func() { done <- s.RunScenario(b.Context(), sc) }()
		peak := 0
	drive:
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				break drive
			default:
				clk.Advance(time.Minute)
				time.Sleep(time.Millisecond)
				n := 0
				for _, br := range s.Bridges() {
					br.cl.mu.Lock()
					n += len(br.legs)
					br.cl.mu.Unlock()
				}
				peak = max(peak, n)
			}
		}
		b.ReportMetric(30/time.Since(start).Seconds(), "sim-min/s")
		b.ReportMetric(30/(cpuSeconds()-cpu), "sim-min/CPU-s")
		b.ReportMetric(float64(peak), "peak-legs")
		s.Close()
	}
}
