package servers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/callbridge"
	"github.com/switchboardhq/switchboard/ent/cluster"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
)

// CertificateWarning is how long before a bridge certificate expires the
// PEER_CERTIFICATE_EXPIRING notification is raised (IM-19).
const CertificateWarning = 30 * 24 * time.Hour

// monitor is the in-memory back-off state of one bridge's monitor.
type monitor struct {
	failures int
	next     time.Time
	// pending is set while the CDR receiver registration still has to be
	// retried.
	pending bool
}

// connectionCodes are the notifications of a failing connection; at most
// one holds at a time.
var connectionCodes = map[string]string{
	StateAuthFailed:    notifications.CodeCallBridgeBadCredentials,
	StateTLSFailed:     notifications.CodeCallBridgeTLSFailed,
	StateUnreachable:   notifications.CodeCallBridgeUnreachable,
	StateNotCallBridge: notifications.CodeCallBridgeNotCallBridge,
}

// JobName is the monitor job of a bridge in the job registry.
func JobName(id int) string { return "bridge-monitor/" + strconv.Itoa(id) }

// Start registers a monitor job for every stored bridge and raises the
// cluster conditions that hold at start.
func (s *Service) Start(ctx context.Context) error {
	ids, err := s.db.CallBridge.Query().IDs(ctx)
	if err != nil {
		return database.Translate(err)
	}
	for _, id := range ids {
		if err := s.startMonitor(id); err != nil {
			return err
		}
	}
	return s.checkReceiverAddress(ctx)
}

func (s *Service) startMonitor(id int) error {
	s.mu.Lock()
	if _, ok := s.mon[id]; !ok {
		s.mon[id] = &monitor{}
	}
	s.mu.Unlock()
	sched := "@every " + s.opts.PollInterval.String()
	if s.opts.NoSchedule {
		sched = ""
	}
	err := s.jobs.Register(jobs.Job{
		Name:        JobName(id),
		Description: "Polls the Call Bridge's status and alarms and keeps its connection state and notifications",
		Schedule:    sched,
		Timeout:     3 * s.opts.RequestTimeout,
		Run:         func(ctx context.Context) (string, error) { return s.Poll(ctx, id) },
	})
	if errors.Is(err, jobs.ErrDuplicate) {
		return nil
	}
	return err
}

func (s *Service) stopMonitor(id int) {
	s.jobs.Unregister(JobName(id))
	s.mu.Lock()
	delete(s.mon, id)
	s.mu.Unlock()
}

func (s *Service) monitorOf(id int) *monitor {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.mon[id]
	if !ok {
		m = &monitor{}
		s.mon[id] = m
	}
	return m
}

func (s *Service) resetBackoff(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.mon[id]; ok {
		m.failures, m.next = 0, time.Time{}
	}
}

// backoff is the wait after n consecutive failures: the poll interval
// doubled each time, capped at MaxBackoff (SV-32).
func (s *Service) backoff(n int) time.Duration {
	d := s.opts.PollInterval
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.opts.MaxBackoff)
}

// Poll is the body of a bridge's monitor job: it reads system/status and
// system/alarms, records the connection state and raises or clears the
// bridge's notifications. While a bridge keeps failing, polls are skipped
// until its back-off has passed.
func (s *Service) Poll(ctx context.Context, id int) (string, error) {
	b, err := s.get(ctx, id)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			s.stopMonitor(id)
			return "the bridge was removed", nil
		}
		return "", err
	}
	m := s.monitorOf(id)
	now := s.now()
	s.mu.Lock()
	wait := m.next
	s.mu.Unlock()
	// The job runs on its schedule, so the run the back-off points at
	// starts a little less than the back-off after the failing run
	// recorded its failure; half an interval of slack lets that run go
	// ahead instead of waiting one more interval.
	if now.Add(s.opts.PollInterval / 2).Before(wait) {
		return fmt.Sprintf("backing off until %s", wait.UTC().Format(time.RFC3339)), nil
	}
	cl, err := s.clientFor(ctx, b)
	if err != nil {
		return "", err
	}
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(id), Name: b.DisplayName}
	st, err := cl.SystemStatus(ctx)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return "", err
		}
		r := failed(err)
		state := r.Failure.state()
		s.mu.Lock()
		m.failures++
		m.next = now.Add(s.backoff(m.failures))
		s.mu.Unlock()
		if err := b.Update().SetConnectionState(state).SetConnectionMessage(truncate(r.Message, 1024)).Exec(ctx); err != nil {
			return "", database.Translate(err)
		}
		for st, code := range connectionCodes {
			if err := s.notes.Set(ctx, st == state, code, subj, fmt.Sprintf("%s: %s", b.DisplayName, r.Message)); err != nil {
				return "", err
			}
		}
		if state != b.ConnectionState {
			s.log.WarnContext(ctx, "call bridge connection failed", slog.Int("bridge", id), slog.String("state", state), slog.String("reason", r.Message))
		}
		return "", errors.New(r.Message)
	}
	s.mu.Lock()
	m.failures, m.next = 0, time.Time{}
	pending := m.pending
	s.mu.Unlock()
	reported := ""
	if st.ClusterEnabled != nil && *st.ClusterEnabled {
		reported = st.ClusterID
	}
	wasConnected := b.ConnectionState == StateConnected
	if err := b.Update().SetConnectionState(StateConnected).SetConnectionMessage("").SetLastContactTime(now.UTC()).
		SetSoftwareVersion(st.SoftwareVersion).Exec(ctx); err != nil {
		return "", database.Translate(err)
	}
	for _, code := range connectionCodes {
		if err := s.notes.Clear(ctx, code, subj); err != nil {
			return "", err
		}
	}
	if !wasConnected {
		s.log.InfoContext(ctx, "call bridge connected", slog.Int("bridge", id))
	}
	// SV-26: never move a bridge silently.
	moved := reported != b.CmsClusterID
	if err := s.notes.Set(ctx, moved, notifications.CodeClusterMembershipChanged, subj,
		fmt.Sprintf("%s now reports cluster %q instead of %q; remove it and add it again to move it", b.DisplayName, reported, b.CmsClusterID)); err != nil {
		return "", err
	}
	var types []string
	for a, err := range cl.Alarms(ctx, cms.ListOptions{}) {
		if err != nil {
			s.log.DebugContext(ctx, "reading alarms", slog.Int("bridge", id), slog.Any("error", err))
			break
		}
		types = append(types, a.Type)
	}
	sort.Strings(types)
	if err := s.notes.Set(ctx, len(types) > 0, notifications.CodeCallBridgeAlarm, subj,
		fmt.Sprintf("%s reports %d active alarm(s): %s", b.DisplayName, len(types), strings.Join(types, ", "))); err != nil {
		return "", err
	}
	if !wasConnected || pending {
		s.afterConnect(ctx, b)
		s.checkCertificate(ctx, b, subj)
	}
	return fmt.Sprintf("connected, %d alarm(s)", len(types)), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// checkCertificate raises PEER_CERTIFICATE_EXPIRING when the bridge's
// certificate expires within CertificateWarning (IM-19). It reads the
// certificate with a handshake of its own, only on (re)connection.
func (s *Service) checkCertificate(ctx context.Context, b *ent.CallBridge, subj notifications.Subject) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
		Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // reads the expiry only
	conn, err := d.DialContext(ctx, "tcp", hostPort(b.Address, b.Port))
	if err != nil {
		return
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return
	}
	// The bridge's own certificate, and every certificate of the chain it
	// is trusted with.
	first, what := certs[0].NotAfter, "the certificate of "+b.DisplayName
	if b.VerifyCertificate {
		if chain, err := cms.ParseTrustedChain([]byte(b.TrustedChainPem)); err == nil {
			for _, c := range chain {
				if c.NotAfter.Before(first) {
					first, what = c.NotAfter, fmt.Sprintf("the trusted chain certificate %q of %s", c.Subject.CommonName, b.DisplayName)
				}
			}
		}
	}
	left := first.Sub(s.now())
	if err := s.notes.Set(ctx, left < CertificateWarning, notifications.CodePeerCertificateExpiring, subj,
		fmt.Sprintf("%s expires on %s", what, first.UTC().Format(time.RFC3339))); err != nil {
		s.log.WarnContext(ctx, "certificate expiry notification", slog.Any("error", err))
	}
}

// checkReceiverAddress raises CDR_RECEIVER_ADDRESS_MISSING for every
// cluster with meeting management on while no address is set, and clears
// it otherwise.
func (s *Service) checkReceiverAddress(ctx context.Context) error {
	addr, _, err := s.CDRReceiverAddress(ctx)
	if err != nil {
		return err
	}
	list, err := s.db.Cluster.Query().All(ctx)
	if err != nil {
		return database.Translate(err)
	}
	for _, c := range list {
		subj := notifications.Subject{Kind: notifications.SubjectCluster, ID: strconv.Itoa(c.ID), Name: c.DisplayName}
		if err := s.notes.Set(ctx, c.MeetingManagement && addr == "", notifications.CodeCDRReceiverAddressMissing, subj,
			fmt.Sprintf("meeting management is on for %s but no CDR receiver address is set: meeting data stays incomplete until it is", c.DisplayName)); err != nil {
			return err
		}
	}
	return nil
}

// bridgesWithManagement lists the bridges of clusters with meeting
// management on.
func (s *Service) bridgesWithManagement(ctx context.Context) ([]*ent.CallBridge, error) {
	list, err := s.db.CallBridge.Query().Where(callbridge.HasClusterWith(cluster.MeetingManagement(true))).All(ctx)
	return list, database.Translate(err)
}

// PollAllNow starts a monitor run for every bridge at once (after a
// start, so that connection states are fresh without waiting a poll
// interval).
func (s *Service) PollAllNow(ctx context.Context) {
	ids, err := s.db.CallBridge.Query().IDs(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "listing bridges to poll", slog.Any("error", err))
		return
	}
	for _, id := range ids {
		if err := s.jobs.RunNow(JobName(id)); err != nil && !errors.Is(err, jobs.ErrAlreadyRunning) {
			s.log.WarnContext(ctx, "starting a bridge poll", slog.Int("bridge", id), slog.Any("error", err))
		}
	}
}
