package smart

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/settings"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// SettingsKey is the settings section holding the whole Smart Licensing
// state. It is licensing data, not configuration: a configuration backup
// must leave it out (LI-08).
const SettingsKey = "licensing.smart"

// credentialAD binds the sealed credential to this section and instance,
// so a sealed value copied from elsewhere does not open here.
func credentialAD(instanceID string) string { return SettingsKey + "/credential/" + instanceID }

// state is the stored section. Times are UTC.
type state struct {
	// InstanceID is the product instance id presented to SSM. It is
	// generated once and kept across deregistrations: SSM's "already
	// registered" is about this id.
	InstanceID string `json:"instanceId"`
	// Registration is nil when the instance is not registered.
	Registration *registration `json:"registration,omitempty"`
	// ReportedThrough is the last UTC day (YYYY-MM-DD) whose usage report
	// SSM accepted.
	ReportedThrough string `json:"reportedThrough,omitempty"`
	// LastReport is the last usage report attempt.
	LastReport *reportAttempt `json:"lastReport,omitempty"`
	// Compliance is SSM's answer to the last accepted report.
	Compliance      ssm.Compliance  `json:"compliance,omitempty"`
	ComplianceLines []ssm.UsageLine `json:"complianceLines,omitempty"`
	// LastError is the last failed exchange; nil after a success.
	LastError *failure `json:"lastError,omitempty"`
}

type registration struct {
	VirtualAccount string `json:"virtualAccount"`
	// SealedCredential is the credential sealed by the secrets box.
	SealedCredential string    `json:"sealedCredential"`
	RegisteredAt     time.Time `json:"registeredAt"`
	// RenewedAt is when the registration was made or last renewed.
	RenewedAt time.Time `json:"renewedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Authorization is the last good one; a failed renewal never
	// replaces it (LI-80).
	Authorization ssm.Authorization `json:"authorization"`
	// AuthorizedAt is when Switchboard last obtained it.
	AuthorizedAt time.Time `json:"authorizedAt"`
	// Lost is set when SSM refused the credential or said the instance is
	// not (or no longer) registered: only a new registration helps.
	Lost bool `json:"lost,omitempty"`
}

type reportAttempt struct {
	Day      string    `json:"day"`
	At       time.Time `json:"at"`
	Accepted bool      `json:"accepted"`
}

type failure struct {
	At        time.Time `json:"at"`
	Operation string    `json:"operation"`
	Message   string    `json:"message"`
	Reason    string    `json:"reason,omitempty"`
}

// load reads the state, giving the instance an id on first use.
func (s *Service) load(ctx context.Context) (*state, error) {
	st := &state{}
	if _, err := settings.Get(ctx, s.db, SettingsKey, st); err != nil {
		return nil, err
	}
	if st.InstanceID == "" {
		st.InstanceID = "switchboard-" + rand.Text()
		if err := s.save(ctx, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (s *Service) save(ctx context.Context, st *state) error {
	// The change happened at SSM; record it even if the caller gave up.
	return settings.Put(context.WithoutCancel(ctx), s.db, SettingsKey, st)
}

// credential opens the stored credential.
func (s *Service) credential(st *state) (ssm.Credential, error) {
	c, err := s.box.OpenString(st.Registration.SealedCredential, credentialAD(st.InstanceID))
	if err != nil {
		return "", err
	}
	return ssm.Credential(c), nil
}

// seal seals a credential for storage.
func (s *Service) seal(st *state, c ssm.Credential) (string, error) {
	return s.box.SealString(string(c), credentialAD(st.InstanceID))
}
