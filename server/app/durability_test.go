package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/servers"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// childEnv makes the test binary a Switchboard server process (see
// TestMain), so that a test can kill it with SIGKILL.
const childEnv = "SWITCHBOARD_TEST_CHILD_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childServe())
	}
	os.Exit(m.Run())
}

// childServe runs a server on SWITCHBOARD_TEST_CHILD_SERVE (an address)
// with the data directory and database of the parent's choosing, until it
// is killed or told to stop.
func childServe() int {
	cfg := config.Default()
	cfg.Storage.DataDir = os.Getenv("SWITCHBOARD_TEST_CHILD_DATA")
	cfg.Storage.DatabaseURL = os.Getenv("SWITCHBOARD_TEST_CHILD_DB")
	cfg.Bootstrap.AdminPassword = adminPassword
	cfg.Server.ShutdownTimeout = 2 * time.Second
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	a, err := New(ctx, cfg, log, Options{HashParams: cheap, Stdout: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if err := a.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// child is a server process started by a test.
type child struct {
	cmd  *exec.Cmd
	exit chan error
}

func startChild(t *testing.T, addr, dataDir, dbURL string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+addr, "SWITCHBOARD_TEST_CHILD_DATA="+dataDir, "SWITCHBOARD_TEST_CHILD_DB="+dbURL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exit: make(chan error, 1)}
	go func() { c.exit <- cmd.Wait() }()
	t.Cleanup(func() { c.kill() })
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := client.Get("https://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return c
			}
		}
		select {
		case err := <-c.exit:
			t.Fatalf("the server process exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the server process did not become ready")
	return nil
}

// kill sends SIGKILL: no shutdown, no flush, nothing deferred runs.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		<-c.exit
		c.cmd.ProcessState = &os.ProcessState{}
	}
}

// stop ends the process with SIGTERM and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-c.exit; err != nil {
		t.Errorf("server process: %v", err)
	}
	c.cmd.ProcessState = &os.ProcessState{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCDRsSurviveKill9 kills Switchboard with SIGKILL while a simulated
// bridge streams CDRs at it, and starts it again on the same data: every
// record the bridge saw acknowledged is stored, none twice, none missing
// from the bridge's sequence, and the live model converges to the
// bridge's meetings.
func TestCDRsSurviveKill9(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			dataDir, dbURL := t.TempDir(), ""
			if d == database.DialectPostgres {
				dbURL = databasetest.NewPostgresURL(t)
			}
			addr := freeAddr(t)
			proc := startChild(t, addr, dataDir, dbURL)
			s := &testServer{url: "https://" + addr, addr: addr}
			f := addSimulatedCluster(t, s, 1)
			b := f.cluster.Bridges[0]

			ctx, cancel := context.WithCancel(context.Background())
			scenario := make(chan error, 1)
			go func() {
				scenario <- f.sim.RunScenario(ctx, cmssim.Scenario{MeetingsPerMinute: 600, InitialMeetings: 5,
					MinParticipants: 2, MaxParticipants: 5, MeetingDuration: 4 * time.Second, EarlyLeaveShare: 0.3,
					MutesPerParticipantHour: 600, Bridges: []*cmssim.Bridge{b}})
			}()
			uri := "https://" + addr + servers.ReceiverPath(1)
			delivered := func() uint64 { n, _, _ := b.CDRStats(uri); return n }
			eventually(t, "CDRs flowing", func() bool { return delivered() > 50 })
			proc.kill()
			before := delivered()
			time.Sleep(time.Second) // the bridge queues and retries meanwhile
			proc = startChild(t, addr, dataDir, dbURL)
			eventually(t, "CDRs flowing again", func() bool { return delivered() > before+50 })
			cancel()
			if err := <-scenario; err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
			eventually(t, "the bridge's backlog delivered", func() bool { _, _, q := b.CDRStats(uri); return q == 0 })

			// The live model converges to what the bridge has.
			admin, err := sdk(t, s, false, "admin", adminPassword)
			if err != nil {
				t.Fatal(err)
			}
			f.admin = admin
			var want []string
			for _, c := range b.Calls() {
				want = append(want, c.Name)
			}
			sort.Strings(want)
			eventually(t, "the model converged", func() bool {
				got := f.activeMeetings(t)
				sort.Strings(got)
				return fmt.Sprint(got) == fmt.Sprint(want)
			})
			proc.stop(t)

			total := delivered()
			db, err := database.Open(context.Background(), dbURL, dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			recs, err := db.Ent.CdrRecord.Query().Order(cdrrecord.ByID()).All(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(recs)) != total {
				t.Fatalf("%d records stored, the bridge saw %d acknowledged", len(recs), total)
			}
			// One session (the bridge did not restart): its correlator
			// indexes are one unbroken run, each stored once.
			seen := map[int64]bool{}
			lo, hi := recs[0].CorrelatorIndex, recs[0].CorrelatorIndex
			for _, r := range recs {
				if seen[r.CorrelatorIndex] || r.Session != recs[0].Session {
					t.Fatalf("record %d/%d stored twice or from another session", r.CorrelatorIndex, r.RecordIndex)
				}
				seen[r.CorrelatorIndex] = true
				lo, hi = min(lo, r.CorrelatorIndex), max(hi, r.CorrelatorIndex)
			}
			if hi-lo+1 != int64(len(recs)) {
				t.Fatalf("correlator indexes %d…%d but %d records: some are missing", lo, hi, len(recs))
			}
			t.Logf("%d records, killed after %d acknowledged", len(recs), before)
		})
	}
}

func (f *liveFixture) activeMeetings(t *testing.T) []string {
	t.Helper()
	var out []string
	res, err := f.admin.Meetings.ListMeetings(context.Background(), connect.NewRequest(&meetingsv1.ListMeetingsRequest{PageSize: 1000}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Msg.GetMeetings() {
		out = append(out, m.GetName())
	}
	return out
}
