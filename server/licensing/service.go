package licensing

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
)

// SSM is what the licensing status needs of Smart Licensing (the smart
// package, wired by the app).
type SSM interface {
	// Purchased returns what SSM's last good authorization counts as
	// purchased, by pmpPlus, smpPlus, recordingStreaming and
	// customization, and the types its answer to the last usage report
	// found out of compliance (LI-02); ok is false before the first
	// authorization.
	Purchased(ctx context.Context) (counts map[string]int, outOfCompliance map[string]bool, ok bool, err error)
	// Deregister releases the instance from SSM; a no-op when it is not
	// registered (deregistered false). notified is false when SSM could
	// not be told (LI-77).
	Deregister(ctx context.Context) (deregistered, notified bool, err error)
}

// ServiceOptions are what deployments and tests may change.
type ServiceOptions struct {
	// Now is the clock.
	Now func() time.Time
	// Durations are the Alarm 1 → 2 → 3 countdowns (LI-38).
	Durations compliance.Durations
	// Schedule is the evaluation job's cron spec: by default every 5
	// minutes, one minute after the usage collection, so that status
	// changes reach the bridges within 5 minutes (LI-51, LI-58).
	Schedule string
	// NoSchedule registers the job without a schedule (tests).
	NoSchedule bool
}

// StatusJob is the evaluation job in the job registry.
const StatusJob = "license-status"

// Service is the licensing status (SPEC §7.1 … §7.6): the mode, the
// allocations, trials and enforcement, evaluated from the collected usage
// and pushed to the Call Bridges.
type Service struct {
	db      *ent.Client
	col     *Collector
	bridges Bridges
	notif   *notifications.Service
	log     *slog.Logger
	opts    ServiceOptions
	ssm     SSM

	// mu serialises changes and evaluations: both read, change and write
	// the state document.
	mu       sync.Mutex
	clusters map[int]*clusterInfo // last readings, for bridges that stop answering

	snapMu sync.RWMutex
	snap   *Snapshot
}

// Snapshot is one evaluation.
type Snapshot struct {
	Time time.Time
	Mode Mode
	// Scopes is one scope (the deployment) in Smart mode, one per cluster
	// in Traditional mode, none otherwise.
	Scopes []Scope
	// TraditionalAvailable: a connected bridge has a licence file (LI-04).
	TraditionalAvailable bool
	Allocations          *Allocations
}

// NewService returns the licensing status service; Register adds its job.
func NewService(db *ent.Client, col *Collector, b Bridges, notif *notifications.Service, log *slog.Logger, opts ServiceOptions) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Durations == (compliance.Durations{}) {
		opts.Durations = compliance.DefaultDurations
	}
	if opts.Schedule == "" {
		opts.Schedule = "1-59/5 * * * *"
	}
	return &Service{db: db, col: col, bridges: b, notif: notif, log: log, opts: opts, clusters: map[int]*clusterInfo{}}
}

// SetSSM connects Smart Licensing; until it is, Smart mode has no SSM
// counts and leaving Smart deregisters nothing.
func (s *Service) SetSSM(ssm SSM) { s.ssm = ssm }

// Register adds the evaluation job to reg.
func (s *Service) Register(reg *jobs.Registry) error {
	sched := s.opts.Schedule
	if s.opts.NoSchedule {
		sched = ""
	}
	return reg.Register(jobs.Job{
		Name:        StatusJob,
		Description: "Evaluates the licence status, advances enforcement, raises licensing notifications and pushes the state to the Call Bridges",
		Schedule:    sched,
		Run: func(ctx context.Context) (string, error) {
			snap, err := s.Evaluate(ctx)
			if err != nil {
				return "", err
			}
			return "mode " + string(orUnset(snap.Mode)) + ", " + strconv.Itoa(len(snap.Scopes)) + " scope(s)", nil
		},
	})
}

func orUnset(m Mode) Mode {
	if m == ModeUnset {
		return "unset"
	}
	return m
}

// Evaluate computes the status of every scope now, persists the
// enforcement countdowns, raises and clears the licensing notifications
// and pushes the state to the bridges.
func (s *Service) Evaluate(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evaluateLocked(ctx)
}

func (s *Service) evaluateLocked(ctx context.Context) (*Snapshot, error) {
	now := s.opts.Now().UTC()
	st, err := loadState(ctx, s.db)
	if err != nil {
		return nil, err
	}
	infos, err := s.readClusters(ctx)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Time: now, Mode: st.Mode, Allocations: st.Allocations}
	for _, in := range infos {
		snap.TraditionalAvailable = snap.TraditionalAvailable || in.LicenseFile
	}
	before := len(st.Enforcement)
	changed := false
	setSince := func(key string, since time.Time) {
		if old, ok := st.Enforcement[key]; ok != !since.IsZero() || !old.Equal(since) {
			changed = true
		}
		if since.IsZero() {
			delete(st.Enforcement, key)
		} else {
			st.Enforcement[key] = since
		}
	}
	switch st.Mode {
	case ModeSmart:
		peaks, err := s.col.WindowPeaks(ctx, 0, now)
		if err != nil {
			return nil, err
		}
		alloc := Allocations{}
		if st.Allocations != nil {
			alloc = *st.Allocations
		}
		var counts map[string]int
		var reported map[string]bool
		if s.ssm != nil {
			if c, ooc, ok, err := s.ssm.Purchased(ctx); err != nil {
				s.log.WarnContext(ctx, "smart licensing counts", slog.Any("error", err))
			} else if ok {
				counts, reported = c, ooc
			}
		}
		boxes, since := evaluateScope(scopeInput{now: now, peaks: peaks, alloc: alloc,
			trials: mergeTrials(st.Trials, infos...), since: st.Enforcement[DeploymentScope],
			durations: s.opts.Durations, ssm: counts, ssmReported: reported})
		setSince(DeploymentScope, since)
		snap.Scopes = []Scope{{Key: DeploymentScope, Boxes: boxes}}
	case ModeTraditional:
		for _, in := range infos {
			peaks, err := s.col.WindowPeaks(ctx, in.ID, now)
			if err != nil {
				return nil, err
			}
			key := strconv.Itoa(in.ID)
			alloc := in.Installed
			alloc.Customization = in.Customization
			boxes, since := evaluateScope(scopeInput{now: now, peaks: peaks, alloc: alloc, traditional: true,
				trials: mergeTrials(st.ClusterTrials[key], in), since: st.Enforcement[key],
				missingKey: in.MissingKey, durations: s.opts.Durations})
			setSince(key, since)
			snap.Scopes = append(snap.Scopes, Scope{Key: key, ClusterID: in.ID, ClusterName: in.Name, Boxes: boxes})
		}
	}
	if changed || before != len(st.Enforcement) {
		if err := saveState(ctx, s.db, st); err != nil {
			return nil, err
		}
	}
	if st.Mode.Licensing() {
		s.push(ctx, st, snap, infos, now)
	}
	if err := s.notify(ctx, st, snap, infos, now); err != nil {
		s.log.WarnContext(ctx, "licensing notifications", slog.Any("error", err))
	}
	s.snapMu.Lock()
	s.snap = snap
	s.snapMu.Unlock()
	return snap, nil
}

// readClusters reads every cluster's licence state, in parallel: a dead
// bridge costs its timeout once, not once per cluster.
func (s *Service) readClusters(ctx context.Context) ([]*clusterInfo, error) {
	clusters, err := s.bridges.ListClusters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*clusterInfo, len(clusters))
	var wg sync.WaitGroup
	for i, cl := range clusters {
		prev := s.clusters[cl.ID]
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.readCluster(ctx, cl, prev)
		}()
	}
	wg.Wait()
	s.clusters = make(map[int]*clusterInfo, len(out))
	for _, in := range out {
		s.clusters[in.ID] = in
	}
	return out, nil
}

// mergeTrials joins the locally recorded trials with the markers on the
// clusters: the earliest start of a feature wins, so that a trial started
// elsewhere, or before a re-install, is the same trial (LI-28, LI-30).
func mergeTrials(local trials, infos ...*clusterInfo) compliance.Trials {
	out := compliance.Trials{}
	add := func(f string, t time.Time) {
		cf, ok := featureOf[f]
		if !ok || t.IsZero() {
			return
		}
		if cur := out[cf]; !cur.Used() || t.Before(cur.Start) {
			out[cf] = compliance.Trial{Start: t}
		}
	}
	for f, t := range local {
		add(f, t)
	}
	for _, in := range infos {
		if in.Doc != nil {
			for f, m := range in.Doc.Trials {
				add(f, m.Start)
			}
		}
	}
	return out
}

// scopeFor returns the scope that applies to a cluster.
func (snap *Snapshot) scopeFor(clusterID int) *Scope {
	for i := range snap.Scopes {
		sc := &snap.Scopes[i]
		if sc.Key == DeploymentScope || sc.ClusterID == clusterID {
			return sc
		}
	}
	return nil
}

// push writes every cluster's state to its bridges when it changed.
func (s *Service) push(ctx context.Context, st *State, snap *Snapshot, infos []*clusterInfo, now time.Time) {
	for _, in := range infos {
		if !in.Reached {
			continue
		}
		if in.Doc == nil {
			s.log.WarnContext(ctx, "clusterLicensing/raw holds a document Switchboard does not know; left alone", "cluster", in.ID)
			continue
		}
		sc := snap.scopeFor(in.ID)
		if sc == nil {
			continue
		}
		started := st.Trials
		if st.Mode == ModeTraditional {
			started = st.ClusterTrials[strconv.Itoa(in.ID)]
		}
		next := in.Doc.merged(st.Instance, st.Mode, now, bridgeState(sc.Boxes), started)
		if in.Doc.sameState(next, st.Instance, now) {
			continue
		}
		bctx, cancel := context.WithTimeout(ctx, bridgeTimeout)
		c, err := s.bridges.Client(bctx, in.Writer)
		if err == nil {
			err = c.SetClusterLicensingRaw(bctx, next.encode())
		}
		cancel()
		if err != nil {
			s.log.WarnContext(ctx, "licence state not pushed", "cluster", in.ID, slog.Any("error", err))
			continue
		}
		in.Doc, in.Raw = next, next.encode()
		s.log.InfoContext(ctx, "licence state pushed", "cluster", in.ID,
			"meetings", next.Meetings.Enforcement, "recording_available", next.Recording.Available,
			"customization_available", next.Customization.Available)
	}
}

// bridgeState is what the bridges apply for the three boxes.
func bridgeState(boxes []Box) [3]featureDoc {
	var out [3]featureDoc
	for i, b := range boxes {
		out[i] = featureDoc{Status: string(b.Status), Available: b.Warning.Stage != StageNotAvailable}
		if b.Feature == FeatureMeetings {
			out[i].Available = true
			out[i].Enforcement = string(b.Warning.Stage)
		}
	}
	return out
}

// Snapshot returns the latest evaluation. Only the first call evaluates
// while it waits; later ones get the latest result at once (the job keeps
// it at most 5 minutes old), and one older than that starts a refresh in
// the background, so that a dead bridge never holds up the Overview.
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.snapMu.RLock()
	snap := s.snap
	s.snapMu.RUnlock()
	if snap == nil {
		return s.Evaluate(ctx)
	}
	if s.opts.Now().Sub(snap.Time) > 6*time.Minute && s.mu.TryLock() {
		go func() {
			defer s.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if _, err := s.evaluateLocked(ctx); err != nil {
				s.log.WarnContext(ctx, "licence status refresh", slog.Any("error", err))
			}
		}()
	}
	return snap, nil
}

// Mode returns the stored mode (a change made through another instance
// shows at once) and whether Traditional may be chosen, from the latest
// reading of the bridges.
func (s *Service) Mode(ctx context.Context) (Mode, bool, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return "", false, err
	}
	mode, err := s.CurrentMode(ctx)
	return mode, snap.TraditionalAvailable, err
}

// ModeChange is the result of SetMode.
type ModeChange struct {
	Mode                      Mode
	Deregistered, SSMNotified bool
}

// SetMode chooses the licensing mode (LI-01 … LI-07).
func (s *Service) SetMode(ctx context.Context, mode Mode, acknowledgeOther bool) (ModeChange, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "licensing/mode" })
	if mode != ModeSmart && mode != ModeTraditional && mode != ModeNone {
		return ModeChange{}, errs.Invalid("mode", "must be SMART, TRADITIONAL or NONE")
	}
	if mode == ModeNone && !acknowledgeOther {
		return ModeChange{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"no licensing is only for the second instance of a resilient pair: confirm that another instance handles licensing (acknowledge_other_instance_licenses)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := loadState(ctx, s.db)
	if err != nil {
		return ModeChange{}, err
	}
	if mode == ModeTraditional {
		infos, err := s.readClusters(ctx)
		if err != nil {
			return ModeChange{}, err
		}
		available := false
		for _, in := range infos {
			available = available || in.LicenseFile
		}
		if !available {
			return ModeChange{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
				"traditional licensing needs a connected Call Bridge with traditional licence files installed")
		}
	}
	out := ModeChange{Mode: mode}
	if st.Mode == ModeSmart && mode != ModeSmart && s.ssm != nil {
		// Leaving Smart disables it and deregisters (LI-07); an SSM that
		// cannot be reached does not keep the instance registered here.
		dereg, notified, err := s.ssm.Deregister(ctx)
		if err != nil {
			return ModeChange{}, err
		}
		out.Deregistered, out.SSMNotified = dereg, notified
	}
	if st.Mode != mode {
		st.Mode, st.ModeTime = mode, s.opts.Now().UTC()
		// Countdowns belong to the mode's scopes: a new mode starts
		// without the old one's.
		st.Enforcement = map[string]time.Time{}
		if err := saveState(ctx, s.db, st); err != nil {
			return ModeChange{}, err
		}
	}
	if _, err := s.evaluateLocked(ctx); err != nil {
		s.log.WarnContext(ctx, "licence status after mode change", slog.Any("error", err))
	}
	return out, nil
}

// SetAllocations stores the allocations of Smart mode (LI-47, LI-48).
func (s *Service) SetAllocations(ctx context.Context, a Allocations) (*Allocations, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "licensing/allocations" })
	for field, v := range map[string]int{"pmp_plus": a.PMPPlus, "smp_plus": a.SMPPlus, "recording": a.Recording, "streaming": a.Streaming} {
		if v < 0 {
			return nil, errs.Invalid(field, "must be 0 or more")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := loadState(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if st.Mode != ModeSmart {
		return nil, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"allocations are entered only in Smart mode; in Traditional mode they come from the Call Bridges' licence files")
	}
	a.UpdateTime = s.opts.Now().UTC()
	st.Allocations = &a
	if err := saveState(ctx, s.db, st); err != nil {
		return nil, err
	}
	if _, err := s.evaluateLocked(ctx); err != nil {
		s.log.WarnContext(ctx, "licence status after allocation change", slog.Any("error", err))
	}
	return &a, nil
}

// scopeKey checks a request's cluster against the mode: Smart takes
// none, Traditional requires one (LI-49).
func scopeKey(mode Mode, clusterID int) (string, error) {
	switch {
	case mode == ModeSmart && clusterID != 0:
		return "", errs.Invalid("cluster_id", "must be empty in Smart mode: one status applies to the whole deployment")
	case mode == ModeTraditional && clusterID == 0:
		return "", errs.Invalid("cluster_id", "is required in Traditional mode: each cluster has its own licences")
	case mode == ModeSmart:
		return DeploymentScope, nil
	}
	return strconv.Itoa(clusterID), nil
}

// CheckScope checks a request's cluster against the stored mode: Smart
// takes none (the deployment), Traditional requires one (LI-49, LI-67);
// without licensing any scope is allowed.
func (s *Service) CheckScope(ctx context.Context, clusterID int) error {
	mode, err := s.CurrentMode(ctx)
	if err != nil || !mode.Licensing() {
		return err
	}
	_, err = scopeKey(mode, clusterID)
	return err
}

// Details returns the scope of the Licenses view: the deployment in Smart
// mode, cluster clusterID in Traditional mode; nil with mode None or
// unset.
func (s *Service) Details(ctx context.Context, clusterID int) (*Snapshot, *Scope, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !snap.Mode.Licensing() {
		return snap, nil, nil
	}
	key, err := scopeKey(snap.Mode, clusterID)
	if err != nil {
		return nil, nil, err
	}
	for i := range snap.Scopes {
		if snap.Scopes[i].Key == key {
			return snap, &snap.Scopes[i], nil
		}
	}
	return nil, nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no cluster %d", clusterID)
}

// StartTrial starts the trial of feature (LI-27): in Smart mode the
// deployment's, in Traditional mode cluster clusterID's.
func (s *Service) StartTrial(ctx context.Context, feature string, clusterID int) (TrialView, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "licensing/trials/" + feature })
	if _, ok := featureOf[feature]; !ok {
		return TrialView{}, errs.Invalid("feature", "is not a licensed feature")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.evaluateLocked(ctx)
	if err != nil {
		return TrialView{}, err
	}
	if !snap.Mode.Licensing() {
		return TrialView{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"trials need Smart or Traditional licensing; choose a licensing mode first")
	}
	key, err := scopeKey(snap.Mode, clusterID)
	if err != nil {
		return TrialView{}, err
	}
	var box *Box
	for i := range snap.Scopes {
		if snap.Scopes[i].Key == key {
			for j := range snap.Scopes[i].Boxes {
				if snap.Scopes[i].Boxes[j].Feature == feature {
					box = &snap.Scopes[i].Boxes[j]
				}
			}
		}
	}
	if box == nil {
		return TrialView{}, errs.New(errs.NotFound, errs.ReasonNotFound, "no cluster %d", clusterID)
	}
	if !box.Trial.Available {
		why := "the feature is already licensed"
		if box.Trial.Used {
			why = "its trial was used before"
		}
		return TrialView{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "no %s trial is offered: %s", feature, why)
	}
	st, err := loadState(ctx, s.db)
	if err != nil {
		return TrialView{}, err
	}
	now := s.opts.Now().UTC()
	if key == DeploymentScope {
		st.Trials[feature] = now
	} else {
		if st.ClusterTrials[key] == nil {
			st.ClusterTrials[key] = trials{}
		}
		st.ClusterTrials[key][feature] = now
	}
	if err := saveState(ctx, s.db, st); err != nil {
		return TrialView{}, err
	}
	// Evaluating now writes the trial to the clusters (LI-30).
	snap, err = s.evaluateLocked(ctx)
	if err != nil {
		return TrialView{}, err
	}
	for _, sc := range snap.Scopes {
		if sc.Key == key {
			for _, b := range sc.Boxes {
				if b.Feature == feature {
					return b.Trial, nil
				}
			}
		}
	}
	return TrialView{}, errs.New(errs.Internal, errs.ReasonInternal, "trial not found after starting it")
}

// Allocation returns the allocation that a usage type is measured
// against in a scope, for the utilisation graphs' percentages (LI-55):
// ok is false when none applies; notInstalled is true in Traditional mode
// when nothing is installed (LI-22).
func (s *Service) Allocation(ctx context.Context, clusterID int, usageType string) (alloc int, ok, notInstalled bool, err error) {
	snap, err := s.Snapshot(ctx)
	if err != nil || !snap.Mode.Licensing() {
		return 0, false, false, err
	}
	var want string
	switch usageType {
	case TypePMP:
		want = AllocPMPPlus
	case TypeSMPPlus, TypeSMPAudio, TypeSMPPtP, TypeSMPFull:
		want = AllocSMPPlus
	case TypeRecording:
		want = AllocRecording
	case TypeStreaming:
		want = AllocStreaming
	default:
		return 0, false, false, nil
	}
	key, kerr := scopeKey(snap.Mode, clusterID)
	if kerr != nil {
		return 0, false, false, nil
	}
	for _, sc := range snap.Scopes {
		if sc.Key != key {
			continue
		}
		for _, b := range sc.Boxes {
			for _, t := range b.Types {
				if t.Type == want {
					if t.Allocated == 0 {
						return 0, false, snap.Mode == ModeTraditional, nil
					}
					return t.Allocated, true, false, nil
				}
			}
		}
	}
	return 0, false, false, nil
}

// CurrentMode reads the stored mode (not the latest evaluation's), for
// Smart Licensing to contact SSM only in Smart mode (LI-06).
func (s *Service) CurrentMode(ctx context.Context) (Mode, error) {
	st, err := loadState(ctx, s.db)
	if err != nil {
		return "", err
	}
	return st.Mode, nil
}
