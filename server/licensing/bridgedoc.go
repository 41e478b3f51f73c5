package licensing

import (
	"encoding/json"
	"maps"
	"time"
)

// bridgeDocFormat names the document Switchboard writes to a cluster's
// /clusterLicensing/raw. Cisco does not document the resource (it is
// reserved for Cisco Meeting Management), so this format is our own; a
// document in another format is left alone and never overwritten.
const bridgeDocFormat = "switchboard.licensing/1"

// bridgeDoc is the licence state Switchboard keeps on a cluster: the
// status and enforcement the Meeting Server applies (LI-37, LI-45), and
// the trial markers that make one trial per cluster survive a re-install
// or a move to another instance (LI-28 … LI-30).
type bridgeDoc struct {
	Format string `json:"format"`
	// Instance and Mode are the instance that wrote the status below.
	Instance   string    `json:"instance"`
	Mode       Mode      `json:"mode"`
	UpdateTime time.Time `json:"updateTime"`
	// Licensing is when each instance last wrote with licensing on: two
	// instances licensing one cluster count its usage twice (RS-04).
	Licensing map[string]time.Time `json:"licensing,omitempty"`
	// The state pushed to the bridges.
	Meetings      featureDoc `json:"meetings"`
	Recording     featureDoc `json:"recordingStreaming"`
	Customization featureDoc `json:"customization"`
	// Trials ever started on the cluster, by any instance.
	Trials map[string]trialMarker `json:"trials,omitempty"`
}

// featureDoc is a feature's pushed state. Enforcement is "none",
// "alarm1", "alarm2" or "alarm3" for Meetings; Available is false when
// Recording or streaming, or Customization, must be blocked.
type featureDoc struct {
	Status      string `json:"status"`
	Enforcement string `json:"enforcement,omitempty"`
	Available   bool   `json:"available"`
}

// trialMarker records a trial on a cluster.
type trialMarker struct {
	Start    time.Time `json:"start"`
	Instance string    `json:"instance"`
}

// parseBridgeDoc reads a cluster's document; ok is false for an empty or
// foreign one (which is then not ours to change).
func parseBridgeDoc(s string) (doc *bridgeDoc, ok bool) {
	if s == "" {
		return &bridgeDoc{Format: bridgeDocFormat}, true
	}
	var d bridgeDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil || d.Format != bridgeDocFormat {
		return nil, false
	}
	return &d, true
}

// otherLicensing reports another instance that wrote to the cluster with
// licensing on within the last hour, as seen from instance self.
func (d *bridgeDoc) otherLicensing(self string, now time.Time) (string, bool) {
	for inst, t := range d.Licensing {
		if inst != self && now.Sub(t) < time.Hour {
			return inst, true
		}
	}
	return "", false
}

// merged returns the document to write: this instance's state over the
// cluster's current document, keeping every trial marker and the other
// instances' licensing times.
func (d *bridgeDoc) merged(self string, mode Mode, now time.Time, status [3]featureDoc, started trials) *bridgeDoc {
	out := &bridgeDoc{Format: bridgeDocFormat, Instance: self, Mode: mode, UpdateTime: now.UTC(),
		Licensing: map[string]time.Time{}, Trials: map[string]trialMarker{},
		Meetings: status[0], Recording: status[1], Customization: status[2]}
	for inst, t := range d.Licensing {
		if inst != self && now.Sub(t) < 30*24*time.Hour {
			out.Licensing[inst] = t
		}
	}
	out.Licensing[self] = now.UTC()
	maps.Copy(out.Trials, d.Trials)
	for f, t := range started {
		if m, ok := out.Trials[f]; !ok || t.Before(m.Start) {
			out.Trials[f] = trialMarker{Start: t.UTC(), Instance: self}
		}
	}
	return out
}

// sameState reports whether writing next over d would change what the
// bridges apply or the markers; the licensing times are refreshed at
// most every 30 minutes so that an idle instance does not write every
// few minutes.
func (d *bridgeDoc) sameState(next *bridgeDoc, self string, now time.Time) bool {
	if d.Instance != next.Instance || d.Mode != next.Mode || d.Meetings != next.Meetings ||
		d.Recording != next.Recording || d.Customization != next.Customization || len(d.Trials) != len(next.Trials) {
		return false
	}
	for f, m := range next.Trials {
		if o, ok := d.Trials[f]; !ok || !o.Start.Equal(m.Start) {
			return false
		}
	}
	t, ok := d.Licensing[self]
	return ok && now.Sub(t) < 30*time.Minute
}

func (d *bridgeDoc) encode() string {
	b, _ := json.Marshal(d)
	return string(b)
}
