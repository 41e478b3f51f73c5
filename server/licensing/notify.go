package licensing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/server/notifications"
)

// licensingCodes are the notifications a scope's boxes raise (OV-17,
// LI-41), all about subjects of kind notifications.SubjectLicensing.
var licensingCodes = []string{
	notifications.CodeLicenseInsufficient,
	notifications.CodeLicenseOutOfCompliance,
	notifications.CodeLicenseEnforcementPending,
	notifications.CodeLicenseEnforcementActive,
	notifications.CodeLicenseHighEnforcement,
	notifications.CodeLicenseFeatureEnding,
	notifications.CodeLicenseFeatureNotAvailable,
}

var featureNames = map[string]string{
	FeatureMeetings:           "Meetings",
	FeatureRecordingStreaming: "Recording or streaming",
	FeatureCustomization:      "Customization",
}

// modeSubject is the subject of LICENSING_MODE_NOT_SET.
var modeSubject = notifications.Subject{Kind: notifications.SubjectSystem, ID: "licensing", Name: "Licensing"}

type raised struct {
	code, message string
	subj          notifications.Subject
}

// notify brings the licensing notifications in line with the snapshot:
// what a box shows is also on the counter, and nothing else is.
func (s *Service) notify(ctx context.Context, st *State, snap *Snapshot, infos []*clusterInfo, now time.Time) error {
	if s.notif == nil {
		return nil
	}
	var errsOut []error
	keep := func(err error) {
		if err != nil {
			errsOut = append(errsOut, err)
		}
	}
	keep(s.notif.Set(ctx, st.Mode == ModeUnset, notifications.CodeLicensingModeNotSet, modeSubject,
		"No licensing mode is chosen: choose Smart, Traditional or No licensing in Settings › Licensing."))

	var want []raised
	for _, sc := range snap.Scopes {
		for _, b := range sc.Boxes {
			want = append(want, boxNotifications(sc, b)...)
		}
	}
	held, err := s.notif.Holding(ctx, notifications.SubjectLicensing, licensingCodes...)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, r := range want {
		wanted[r.subj.ID+"|"+r.code] = true
		keep(s.notif.Raise(ctx, r.code, r.subj, r.message))
	}
	for id, codes := range held {
		for code := range codes {
			if !wanted[id+"|"+code] {
				keep(s.notif.Clear(ctx, code, notifications.Subject{Kind: notifications.SubjectLicensing, ID: id}))
			}
		}
	}

	// Another instance licensing one of our clusters counts its usage
	// twice (RS-04). With licensing off here it is not our concern.
	otherHeld, err := s.notif.Holding(ctx, notifications.SubjectCluster, notifications.CodeLicensingOtherInstance)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, in := range infos {
		id := strconv.Itoa(in.ID)
		seen[id] = true
		subj := notifications.Subject{Kind: notifications.SubjectCluster, ID: id, Name: in.Name}
		other := false
		if in.Doc != nil && st.Mode.Licensing() {
			_, other = in.Doc.otherLicensing(st.Instance, now)
		}
		keep(s.notif.Set(ctx, other, notifications.CodeLicensingOtherInstance, subj,
			fmt.Sprintf("Another Switchboard or Meeting Management instance also does licensing for cluster %s, so its usage is counted twice; set No licensing on one of them (RS-04).", in.Name)))
	}
	for id := range otherHeld {
		if !seen[id] {
			keep(s.notif.Clear(ctx, notifications.CodeLicensingOtherInstance, notifications.Subject{Kind: notifications.SubjectCluster, ID: id}))
		}
	}
	return errors.Join(errsOut...)
}

func boxNotifications(sc Scope, b Box) []raised {
	name := featureNames[b.Feature]
	subj := notifications.Subject{Kind: notifications.SubjectLicensing, ID: sc.Key + "/" + b.Feature, Name: name}
	where := "the deployment"
	if sc.ClusterID != 0 {
		subj.Name = sc.ClusterName + ": " + name
		where = "cluster " + sc.ClusterName
	}
	var out []raised
	add := func(code, format string, args ...any) {
		out = append(out, raised{code: code, subj: subj, message: fmt.Sprintf(format, args...)})
	}
	switch b.Status {
	case StatusInsufficient:
		add(notifications.CodeLicenseInsufficient, "%s of %s used more licences than allocated on %d of the last 90 days; review the allocation and consider buying more.", name, where, maxDaysOver(b))
	case StatusOutOfCompliance:
		if b.Feature == FeatureCustomization {
			add(notifications.CodeLicenseOutOfCompliance, "Customization is allocated but the Smart account has no customization licence.")
		} else {
			add(notifications.CodeLicenseOutOfCompliance, "%s of %s used more licences than allocated on %d of the last 90 days; contact your partner or Cisco account team.", name, where, maxDaysOver(b))
		}
	}
	switch b.Warning.Stage {
	case StageAlarm1:
		add(notifications.CodeLicenseEnforcementPending, "%s of %s: %s.", name, where, b.Warning.Message)
	case StageAlarm2:
		add(notifications.CodeLicenseEnforcementActive, "%s of %s: %s; participants see and hear a licence warning at the start of every meeting.", name, where, b.Warning.Message)
	case StageAlarm3:
		add(notifications.CodeLicenseHighEnforcement, "%s of %s: %s; participants see a licence warning throughout every meeting.%s", name, where, b.Warning.Message, reasonSuffix(b.Warning.Reason))
	case StageCountdown:
		add(notifications.CodeLicenseFeatureEnding, "%s of %s is %s: its trial ends and no licence is allocated.", name, where, lowerFirst(b.Warning.Message))
	case StageNotAvailable:
		// A feature that was never tried nor used is simply unlicensed;
		// it becomes news once a trial ended or someone needs it.
		if b.Trial.Used || maxPeak(b) > 0 {
			add(notifications.CodeLicenseFeatureNotAvailable, "%s of %s is not available: no licence is allocated.", name, where)
		}
	}
	return out
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " Reason: " + r + "."
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

func maxDaysOver(b Box) int {
	n := 0
	for _, t := range b.Types {
		n = max(n, t.DaysOver)
	}
	return n
}

func maxPeak(b Box) float64 {
	p := 0.0
	for _, t := range b.Types {
		p = max(p, t.Peak)
	}
	return p
}
