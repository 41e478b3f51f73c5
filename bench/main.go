// Command bench measures Switchboard's meeting pipeline end to end: it
// starts a Switchboard server (the real binary, as its own process, so its
// memory and CPU are its own) and the Call Bridge simulator (in this
// process), adds the simulated bridges through the API as an administrator
// would, drives meeting traffic at a set rate, and reports what the issue
// asks for: call legs started per second, CDR records acknowledged per
// second, CDR acknowledgement latency, event-to-stream latency seen by
// concurrent watchers, ListMeetings latency, and the server's peak RSS and
// CPU.
//
//	make bench                                  # cmm-large and stress, SQLite and PostgreSQL
//	go run ./bench -scenario cmm-large -db sqlite
//	go run ./bench -scenario stress -db postgres -rate 300
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// scenario is a named load.
type scenario struct {
	Clusters, BridgesPerCluster int
	// Rate is the call legs started per second in the steady phase.
	Rate float64
	// Meetings is the number of concurrent meetings held in the steady
	// phase, each of PerMeeting participants: new meetings replace the
	// oldest, so legs start and end at the same rate.
	Meetings, PerMeeting int
	Watchers             int
	Duration             time.Duration
}

var scenarios = map[string]scenario{
	// CMM's large profile: 24 bridges, 20 call legs started per second at
	// peak, 25 concurrent users.
	"cmm-large": {Clusters: 3, BridgesPerCluster: 8, Rate: 20, Meetings: 200, PerMeeting: 6, Watchers: 25, Duration: time.Minute},
	// Far beyond it: 100 bridges, 5,000 meetings with 50,000 participants,
	// 250 watchers, and as many legs per second as it sustains (-rate).
	"stress": {Clusters: 10, BridgesPerCluster: 10, Rate: 500, Meetings: 5000, PerMeeting: 10, Watchers: 250, Duration: time.Minute},
}

const adminPassword = "bench-Admin-Secret-1"

// debugListen is passed to the server as --debug-listen when set.
var debugListen string

func main() {
	name := flag.String("scenario", "cmm-large", "cmm-large or stress")
	db := flag.String("db", "sqlite", "sqlite or postgres")
	pg := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server for -db postgres (a fresh database is created on it)")
	bin := flag.String("bin", "bin/switchboard", "the switchboard binary")
	rate := flag.Float64("rate", 0, "override the steady-phase call legs started per second")
	duration := flag.Duration("duration", 0, "override the steady phase's length")
	watchers := flag.Int("watchers", -1, "override the number of WatchMeetings watchers")
	flag.StringVar(&debugListen, "debug-listen", "", "pass --debug-listen to the server (runtime profiles on loopback)")
	flag.Parse()
	sc, ok := scenarios[*name]
	if !ok {
		log.Fatalf("no scenario %q (have cmm-large, stress)", *name)
	}
	if *rate > 0 {
		sc.Rate = *rate
	}
	if *duration > 0 {
		sc.Duration = *duration
	}
	if *watchers >= 0 {
		sc.Watchers = *watchers
	}
	r, err := run(*name, sc, *db, *pg, *bin)
	if err != nil {
		log.Fatal(err)
	}
	r.print(os.Stdout)
}

// result is what one run measured.
type result struct {
	Scenario, DB                 string
	Bridges, Watchers            int
	PreloadLegs                  int
	PreloadSeconds               float64
	TargetRate, LegsPerSecond    float64
	CDRRecordsPerSecond          float64
	CDRAckP50, CDRAckP99         time.Duration
	EventToStreamP50             time.Duration
	EventToStreamP99             time.Duration
	EventSamples                 int
	ListP50, ListP99             time.Duration
	ListSamples                  int
	Meetings, Participants       int
	PeakRSSMiB                   float64
	CPUCores                     float64
	BacklogAtEnd, SimQueuedAtEnd int
	WatchersDropped              int64
	CDRDeferred                  float64
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "scenario %s on %s: %d bridges, %d watchers\n", r.Scenario, r.DB, r.Bridges, r.Watchers)
	if r.PreloadLegs > 0 {
		fmt.Fprintf(w, "  preload             %d legs in %.1f s (%.0f legs/s)\n", r.PreloadLegs, r.PreloadSeconds, float64(r.PreloadLegs)/r.PreloadSeconds)
	}
	fmt.Fprintf(w, "  call legs started   %.1f/s sustained (target %.0f/s)\n", r.LegsPerSecond, r.TargetRate)
	fmt.Fprintf(w, "  CDR records acked   %.0f/s\n", r.CDRRecordsPerSecond)
	fmt.Fprintf(w, "  CDR ack latency     p50 %v  p99 %v\n", r.CDRAckP50, r.CDRAckP99)
	fmt.Fprintf(w, "  event→stream        p50 %v  p99 %v  (%d samples over %d watchers; %d watchers dropped)\n",
		r.EventToStreamP50, r.EventToStreamP99, r.EventSamples, r.Watchers, r.WatchersDropped)
	fmt.Fprintf(w, "  ListMeetings        p50 %v  p99 %v  (%d calls)\n", r.ListP50, r.ListP99, r.ListSamples)
	fmt.Fprintf(w, "  model at end        %d meetings, %d participants\n", r.Meetings, r.Participants)
	fmt.Fprintf(w, "  switchboard         peak RSS %.0f MiB, CPU %.2f cores\n", r.PeakRSSMiB, r.CPUCores)
	fmt.Fprintf(w, "  keeping up          backlog %d, simulator queue %d, batches deferred %.0f\n", r.BacklogAtEnd, r.SimQueuedAtEnd, r.CDRDeferred)
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "  json %s\n", b)
}

func run(name string, sc scenario, dbKind, pgURL, bin string) (result, error) {
	res := result{Scenario: name, DB: dbKind, Bridges: sc.Clusters * sc.BridgesPerCluster, Watchers: sc.Watchers, TargetRate: sc.Rate}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	dataDir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dataDir)
	dbURL := ""
	if dbKind == "postgres" {
		var drop func()
		dbURL, drop, err = createDatabase(ctx, pgURL)
		if err != nil {
			return res, err
		}
		defer drop()
	}
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	srv, err := startServer(ctx, bin, addr, dataDir, dbURL)
	if err != nil {
		return res, err
	}
	defer srv.stop()

	acks, steady := &latencies{}, &atomic.Bool{}
	sim := cmssim.New(cmssim.Options{Seed: 42, CDRClient: &http.Client{Timeout: 30 * time.Second,
		Transport: timing{acks, steady, &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			MaxIdleConnsPerHost: 16}}}})
	defer sim.Close()
	c, err := switchboard.New(ctx, switchboard.Options{BaseURL: "https://" + addr, Username: "admin",
		Password: adminPassword, InsecureSkipVerify: true})
	if err != nil {
		return res, err
	}
	bridges, err := addCluster(ctx, c, sim, addr, sc)
	if err != nil {
		return res, err
	}
	log.Printf("%d bridges added and registered", len(bridges))

	gen := newGenerator(bridges, sc.PerMeeting)
	w := startWatchers(ctx, c, sc.Watchers, gen)
	if sc.Meetings*sc.PerMeeting > 2000 {
		// Reach the steady state's size first, as fast as the simulator
		// and Switchboard take it.
		t0 := time.Now()
		legs := gen.fill(sc.Meetings)
		if err := waitApplied(ctx, srv, bridges, addr, 10*time.Minute); err != nil {
			return res, err
		}
		res.PreloadLegs, res.PreloadSeconds = legs, time.Since(t0).Seconds()
		log.Printf("preloaded %d meetings, %d legs in %.1f s", sc.Meetings, legs, res.PreloadSeconds)
	}
	// Only what happens in the steady phase counts: meetings started
	// during the preload and seen late are not event-to-stream samples.
	gen.measure.Store(true)
	w.measure.Store(true)
	steady.Store(true)
	lists := &latencies{}
	listDone := make(chan struct{})
	go func() { defer close(listDone); pollList(ctx, c, lists, sc.Duration) }()
	cpu0, _ := cpuSeconds(srv.pid())
	delivered0 := delivered(bridges, addr)
	t0 := time.Now()
	legs := gen.run(ctx, sc.Rate, sc.Meetings, sc.Duration)
	elapsed := time.Since(t0)
	<-listDone
	res.LegsPerSecond = float64(legs) / elapsed.Seconds()
	// Whatever is still queued at the end did not keep up.
	_, _, res.SimQueuedAtEnd = simStats(bridges, addr)
	m, err := scrape(addr)
	if err != nil {
		return res, err
	}
	res.BacklogAtEnd = int(m["switchboard_meetings_cdr_backlog"])
	res.CDRDeferred = m["switchboard_meetings_cdr_batches_deferred_total"]
	if err := waitApplied(ctx, srv, bridges, addr, 5*time.Minute); err != nil {
		return res, err
	}
	res.CDRRecordsPerSecond = float64(delivered(bridges, addr)-delivered0) / time.Since(t0).Seconds()
	cpu1, _ := cpuSeconds(srv.pid())
	res.CPUCores = (cpu1 - cpu0) / time.Since(t0).Seconds()
	time.Sleep(2 * time.Second) // let the last changes reach the watchers
	w.measure.Store(false)
	steady.Store(false)
	res.CDRAckP50, res.CDRAckP99 = acks.percentiles()
	res.EventToStreamP50, res.EventToStreamP99 = w.lat.percentiles()
	res.EventSamples = w.lat.len()
	res.WatchersDropped = w.dropped.Load()
	res.ListP50, res.ListP99 = lists.percentiles()
	res.ListSamples = lists.len()
	if m, err = scrape(addr); err == nil {
		res.Meetings, res.Participants = int(m["switchboard_meetings_active"]), int(m["switchboard_meetings_participants"])
	}
	res.PeakRSSMiB = peakRSS(srv.pid())
	return res, nil
}

// addCluster creates the simulated clusters and adds every bridge through
// the API, with the CDR receiver address set first so that each bridge
// registers Switchboard as its receiver.
func addCluster(ctx context.Context, c *switchboard.Client, sim *cmssim.Sim, addr string, sc scenario) ([]*cmssim.Bridge, error) {
	if _, err := c.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{Address: addr})); err != nil {
		return nil, err
	}
	var all []*cmssim.Bridge
	for i := range sc.Clusters {
		cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: fmt.Sprintf("Region %d", i+1), Bridges: sc.BridgesPerCluster,
			Username: "api", Password: "bench-Bridge-Secret-1"})
		if err != nil {
			return nil, err
		}
		for j, b := range cl.Bridges {
			host, port, _ := net.SplitHostPort(b.Addr())
			p, _ := strconv.Atoi(port)
			if _, err := c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{
				DisplayName: fmt.Sprintf("Region %d-%d", i+1, j+1),
				Connection: &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(),
					Password: b.Password(), VerifyCertificate: true, TrustedChainPem: string(sim.CACertPEM())}})); err != nil {
				return nil, fmt.Errorf("add bridge %s: %w", b.Name(), err)
			}
			all = append(all, b)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, b := range all {
		for len(b.CDRReceivers()) == 0 {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("bridge %s never got Switchboard's CDR receiver", b.Name())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return all, nil
}

// generator starts and ends simulated meetings.
type generator struct {
	bridges []*cmssim.Bridge
	per     int
	next    int // meetings started
	active  []meeting
	// started has the time each meeting started on its bridge, by name,
	// for the watchers' event-to-stream latency (steady phase only).
	started sync.Map
	measure atomic.Bool
}

type meeting struct {
	b    *cmssim.Bridge
	call string
	legs int
}

func newGenerator(bridges []*cmssim.Bridge, per int) *generator {
	return &generator{bridges: bridges, per: per}
}

// join adds one leg: to the newest meeting if it is not full, else to a
// new meeting on the next bridge.
func (g *generator) join() error {
	n := len(g.active)
	if n == 0 || g.active[n-1].legs >= g.per {
		b := g.bridges[g.next%len(g.bridges)]
		g.next++
		name := fmt.Sprintf("Meeting %d", g.next)
		at := time.Now()
		c, err := b.StartCall(cmssim.CallOptions{Name: name})
		if err != nil {
			return err
		}
		if g.measure.Load() {
			g.started.Store(name, at)
		}
		g.active = append(g.active, meeting{b: b, call: c.ID})
		n++
	}
	m := &g.active[n-1]
	m.legs++
	_, err := m.b.Join(m.call, cmssim.LegOptions{Name: fmt.Sprintf("Guest %d.%d", g.next, m.legs),
		Remote: fmt.Sprintf("guest%d.%d@example.com", g.next, m.legs)})
	return err
}

// endOldest ends the oldest meeting.
func (g *generator) endOldest() {
	m := g.active[0]
	g.active = g.active[1:]
	_ = m.b.EndCall(m.call)
}

// fill starts meetings until there are n full ones, as fast as it can.
func (g *generator) fill(n int) int {
	legs := 0
	for len(g.active) < n || g.active[len(g.active)-1].legs < g.per {
		if err := g.join(); err != nil {
			log.Printf("join: %v", err)
			continue
		}
		legs++
	}
	return legs
}

// run starts legs at rate for d, holding about n meetings: a meeting is
// ended whenever a new one makes more than n.
func (g *generator) run(ctx context.Context, rate float64, n int, d time.Duration) int {
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	legs := 0
	for time.Since(start) < d && ctx.Err() == nil {
		<-tick.C
		due := int(rate*time.Since(start).Seconds()) - legs
		for range due {
			if err := g.join(); err != nil {
				log.Printf("join: %v", err)
				continue
			}
			legs++
			for len(g.active) > n {
				g.endOldest()
			}
		}
	}
	return legs
}

// watchers follow WatchMeetings; each records, for every meeting it sees
// first, the time from the meeting's start on the bridge (as the generator
// saw it: CDR times have whole seconds only) to its arrival.
type watchers struct {
	measure atomic.Bool
	lat     *latencies
	dropped atomic.Int64
}

func startWatchers(ctx context.Context, c *switchboard.Client, n int, g *generator) *watchers {
	w := &watchers{lat: &latencies{}}
	for range n {
		go func() {
			seen := map[string]bool{}
			for ctx.Err() == nil {
				st, err := c.Meetings.WatchMeetings(ctx, connect.NewRequest(&meetingsv1.WatchMeetingsRequest{}))
				if err != nil {
					time.Sleep(time.Second)
					continue
				}
				for st.Receive() {
					m := st.Msg().GetMeeting()
					if m == nil || seen[m.GetId()] {
						continue
					}
					seen[m.GetId()] = true
					if at, ok := g.started.Load(m.GetName()); ok && w.measure.Load() {
						w.lat.add(time.Since(at.(time.Time)))
					}
				}
				st.Close()
				if ctx.Err() == nil {
					w.dropped.Add(1) // fell behind, or the stream broke: watch again
				}
			}
		}()
	}
	return w
}

// pollList calls ListMeetings (first page) ten times a second.
func pollList(ctx context.Context, c *switchboard.Client, l *latencies, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		t := time.Now()
		if _, err := c.Meetings.ListMeetings(ctx, connect.NewRequest(&meetingsv1.ListMeetingsRequest{})); err == nil {
			l.add(time.Since(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// latencies collects durations.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

func (l *latencies) percentiles() (p50, p99 time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), l.d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration {
		return s[min(len(s)-1, int(q*float64(len(s))))].Round(100 * time.Microsecond)
	}
	return at(0.50), at(0.99)
}

// timing records the latency of every acknowledged CDR post while on
// (the steady phase).
type timing struct {
	l    *latencies
	on   *atomic.Bool
	next http.RoundTripper
}

func (t timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.next.RoundTrip(r)
	if err == nil && res.StatusCode == http.StatusOK && t.on.Load() {
		t.l.add(time.Since(start))
	}
	return res, err
}

func receiverURI(addr string, b *cmssim.Bridge) string {
	for _, u := range b.CDRReceivers() {
		if strings.Contains(u, addr) {
			return u
		}
	}
	return ""
}

func simStats(bridges []*cmssim.Bridge, addr string) (delivered, attempts uint64, queued int) {
	for _, b := range bridges {
		d, a, q := b.CDRStats(receiverURI(addr, b))
		delivered, attempts, queued = delivered+d, attempts+a, queued+q
	}
	return
}

func delivered(bridges []*cmssim.Bridge, addr string) uint64 {
	d, _, _ := simStats(bridges, addr)
	return d
}

// waitApplied waits until the bridges have delivered every record and
// Switchboard has applied them all.
func waitApplied(ctx context.Context, srv *server, bridges []*cmssim.Bridge, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		_, _, q := simStats(bridges, addr)
		m, err := scrape(addr)
		if err == nil && q == 0 && m["switchboard_meetings_cdr_backlog"] == 0 {
			return nil
		}
		if srv.exited() {
			return errors.New("the server exited")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the CDRs were not all applied within %v", limit)
}

// scrape reads the server's unlabelled metrics.
func scrape(addr string) (map[string]float64, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get("https://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		if k, v, ok := strings.Cut(line, " "); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				out[k] = f
			}
		}
	}
	return out, nil
}

// server is the Switchboard process under test.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startServer(ctx context.Context, bin, addr, dataDir, dbURL string) (*server, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	if debugListen != "" {
		args = append(args, "--debug-listen", debugListen)
	}
	cmd := exec.CommandContext(ctx, abs, args...)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (make build first): %w", abs, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for range 300 {
		if r, err := client.Get("https://" + addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if s.exited() {
			return nil, errors.New("the server exited at start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("the server did not become ready")
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// peakRSS reads the process's high-water resident set (VmHWM) in MiB.
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kib / 1024
		}
	}
	return 0
}

// cpuSeconds reads the process's user+system CPU time.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) in parens.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
