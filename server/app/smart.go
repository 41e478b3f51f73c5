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
		// Smart mode is chosen through the licensing core, which replaces
		// this closure with one reading the stored mode; until it is
		// wired, the instance behaves as in Smart mode.
		o.Active = func(context.Context) (bool, error) { return true, nil }
	}
	if o.Usage == nil {
		o.Usage = smartUsage(a.lic)
	}
	if o.Audit == nil {
		o.Audit = audit.NewRecorder(a.db.Ent, a.log, a.opts.Now)
	}
	var err error
	a.smart, err = smart.New(a.db.Ent, conn, a.jobs, a.notes, a.secrets, a.log, o)
	return err
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
