package app

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// startSmart builds the Smart Licensing lifecycle over the configured SSM
// address and registers its jobs.
func (a *App) startSmart() error {
	conn := ssm.Config{URL: a.cfg.SSM.URL, ProductName: "Switchboard"}
	if f := a.cfg.SSM.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--ssm-ca-file: %w", err)
		}
		conn.TrustedCA = pem
	}
	o := a.opts.Smart
	if o.Now == nil {
		o.Now = a.opts.Now
	}
	if o.Active == nil {
		// Nothing contacts SSM outside Smart mode (LI-06).
		o.Active = func(ctx context.Context) (bool, error) {
			m, err := a.licSvc.CurrentMode(ctx)
			return m == licensing.ModeSmart, err
		}
	}
	if o.Usage == nil {
		o.Usage = smartUsage(a.lic)
	}
	if o.Audit == nil {
		o.Audit = audit.NewRecorder(a.db.Ent, a.log, a.opts.Now)
	}
	var err error
	a.smart, err = smart.New(a.db.Ent, conn, a.jobs, a.notes, a.secrets, a.log, o)
	if err != nil {
		return err
	}
	// The status reads SSM's counts, and leaving Smart deregisters.
	a.licSvc.SetSSM(smartCounts{a.smart})
	return nil
}

// smartCounts adapts the Smart Licensing lifecycle to what the licence
// status needs of it.
type smartCounts struct{ s *smart.Service }

// entitlementTypes names SSM's entitlements as the status's allocation
// types.
var entitlementTypes = map[ssm.Entitlement]string{
	ssm.PMPPlus:            licensing.AllocPMPPlus,
	ssm.SMPPlus:            licensing.AllocSMPPlus,
	ssm.RecordingStreaming: "recordingStreaming",
	ssm.Customization:      "customization",
}

func (c smartCounts) Purchased(ctx context.Context) (map[string]int, map[string]bool, bool, error) {
	st, err := c.s.Status(ctx)
	if err != nil || !st.Registered || st.LastAuthorizationRenewal.IsZero() {
		return nil, nil, false, err
	}
	out := map[string]int{}
	for e, typ := range entitlementTypes {
		out[typ] = st.Purchased[e]
	}
	ooc := map[string]bool{}
	for _, l := range st.ComplianceLines {
		if l.Status == ssm.OutOfCompliance {
			ooc[entitlementTypes[l.Tag]] = true
		}
	}
	return out, ooc, true, nil
}

func (c smartCounts) Deregister(ctx context.Context) (deregistered, notified bool, err error) {
	st, err := c.s.Status(ctx)
	if err != nil || !st.Registered {
		return false, false, err
	}
	notified, err = c.s.Deregister(ctx)
	return err == nil, notified, err
}

// SmartLicensing is the Smart Licensing lifecycle, for tests and tools.
func (a *App) SmartLicensing() *smart.Service { return a.smart }

// smartUsage returns the usage SSM is told about for a UTC day: per
// entitlement, the day's smoothed peak over every stored sample of the
// deployment, rounded up to whole licences (bridges report hundredths).
// PMP Plus is pmp; SMP Plus is smpAud + smpPtP + smpFull; Recording/
// Streaming is rec + str; Customization is not measured and reported as
// 0. The series is read with one interval either side so that the
// smoothing at midnight matches the Licenses view's.
func smartUsage(lic *licensing.Collector) func(context.Context, time.Time) (map[ssm.Entitlement]int, error) {
	sums := map[ssm.Entitlement][]string{
		ssm.PMPPlus:            {licensing.TypePMP},
		ssm.SMPPlus:            {licensing.TypeSMPAudio, licensing.TypeSMPPtP, licensing.TypeSMPFull},
		ssm.RecordingStreaming: {licensing.TypeRecording, licensing.TypeStreaming},
	}
	return func(ctx context.Context, day time.Time) (map[ssm.Entitlement]int, error) {
		u, err := lic.Usage(ctx, 0, day.Add(-compliance.Interval), day.Add(24*time.Hour+compliance.Interval))
		if err != nil {
			return nil, err
		}
		out := map[ssm.Entitlement]int{ssm.Customization: 0}
		for ent, types := range sums {
			bins := make([]compliance.Bin, len(u.ScaledBins))
			for i, b := range u.ScaledBins {
				n := 0
				for _, t := range types {
					n += b.Counts[t]
				}
				bins[i] = compliance.Bin{Start: b.Start, Counts: map[string]int{"sum": n}}
			}
			peak := 0
			for _, p := range compliance.DailyPeaks(bins, "sum") {
				if p.Day.Equal(day) {
					peak = p.Peak
				}
			}
			out[ent] = int(math.Ceil(float64(peak) / licensing.Scale))
		}
		return out, nil
	}
}
