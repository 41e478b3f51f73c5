package licensing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/settings"
)

// Mode is the licensing mode of the instance (LI-01).
type Mode string

// The modes. ModeUnset is a fresh install: nothing is computed or pushed
// until an administrator chooses.
const (
	ModeUnset       Mode = ""
	ModeSmart       Mode = "smart"
	ModeTraditional Mode = "traditional"
	ModeNone        Mode = "none"
)

// Licensing computes and pushes status only in Smart or Traditional mode
// (LI-06, OV-12).
func (m Mode) Licensing() bool { return m == ModeSmart || m == ModeTraditional }

// Allocations are what the administrator entered in Smart mode (LI-47):
// counts of PMP Plus, SMP Plus, recording and streaming licences, and
// whether Customization is allocated.
type Allocations struct {
	PMPPlus       int       `json:"pmpPlus"`
	SMPPlus       int       `json:"smpPlus"`
	Recording     int       `json:"recording"`
	Streaming     int       `json:"streaming"`
	Customization bool      `json:"customization"`
	UpdateTime    time.Time `json:"updateTime,omitzero"`
}

// Feature names, as stored and as written to the bridges.
const (
	FeatureMeetings           = "meetings"
	FeatureRecordingStreaming = "recordingStreaming"
	FeatureCustomization      = "customization"
)

// Features lists the features in the order of the Licenses view (LI-09).
var Features = []string{FeatureMeetings, FeatureRecordingStreaming, FeatureCustomization}

var featureOf = map[string]compliance.Feature{
	FeatureMeetings:           compliance.Meetings,
	FeatureRecordingStreaming: compliance.RecordingStreaming,
	FeatureCustomization:      compliance.Customization,
}

// trials are started trials: feature → start time.
type trials map[string]time.Time

// State is the instance's licensing state, one settings document. It is
// deliberately kept under its own key, outside any configuration backup
// (LI-08): restoring a configuration must not carry a licensing mode,
// registration or allocations to another instance.
type State struct {
	Mode     Mode      `json:"mode"`
	ModeTime time.Time `json:"modeTime,omitzero"`
	// Allocations is nil until the administrator enters them.
	Allocations *Allocations `json:"allocations,omitempty"`
	// Trials are the deployment's trials (Smart, LI-28); ClusterTrials
	// those of each cluster (Traditional, LI-29), by cluster id. Both are
	// also written to the clusters (LI-30).
	Trials        trials            `json:"trials,omitempty"`
	ClusterTrials map[string]trials `json:"clusterTrials,omitempty"`
	// Enforcement is when Alarm 1 began, per scope (LI-43): "deployment"
	// or a cluster id.
	Enforcement map[string]time.Time `json:"enforcement,omitempty"`
	// Instance identifies this installation in what it writes to the
	// bridges, so that another instance licensing the same cluster is
	// seen (RS-04).
	Instance string `json:"instance"`
}

// stateKey is the settings key of State.
const stateKey = "licensing.state"

// loadState reads the state, creating the instance id on first use.
func loadState(ctx context.Context, db *ent.Client) (*State, error) {
	var st State
	if _, err := settings.Get(ctx, db, stateKey, &st); err != nil {
		return nil, err
	}
	if st.Instance == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		st.Instance = hex.EncodeToString(b)
		if err := settings.Put(ctx, db, stateKey, &st); err != nil {
			return nil, err
		}
	}
	if st.Trials == nil {
		st.Trials = trials{}
	}
	if st.ClusterTrials == nil {
		st.ClusterTrials = map[string]trials{}
	}
	if st.Enforcement == nil {
		st.Enforcement = map[string]time.Time{}
	}
	return &st, nil
}

func saveState(ctx context.Context, db *ent.Client, st *State) error {
	return settings.Put(ctx, db, stateKey, st)
}

// DeploymentScope is the scope key of the Smart deployment.
const DeploymentScope = "deployment"
