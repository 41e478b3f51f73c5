package ssm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Entitlement is a licence type, named by its protocol tag.
type Entitlement string

// The entitlements Switchboard tracks (docs/ssm-protocol.md). SSM may name
// others; they are passed through.
const (
	PMPPlus            Entitlement = "PMP_PLUS"
	SMPPlus            Entitlement = "SMP_PLUS"
	RecordingStreaming Entitlement = "RECORDING_STREAMING"
	Customization      Entitlement = "CUSTOMIZATION"
)

// Compliance is SSM's answer to a usage report.
type Compliance string

// Compliance values.
const (
	InCompliance    Compliance = "IN_COMPLIANCE"
	OutOfCompliance Compliance = "OUT_OF_COMPLIANCE"
)

// Credential is the secret SSM hands the instance at registration; every
// later call presents it. String redacts it so it never reaches a log.
type Credential string

// String returns a redacted form.
func (c Credential) String() string {
	if c == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts as String does, for %#v.
func (c Credential) GoString() string { return c.String() }

// Count is an authorized count of one entitlement.
type Count struct {
	Tag   Entitlement `json:"tag"`
	Name  string      `json:"name"`
	Count int         `json:"count"`
}

// Authorization is what the instance may use: the counts the virtual
// account holds, valid until ExpiresAt.
type Authorization struct {
	VirtualAccount string    `json:"virtualAccount"`
	AuthorizedAt   time.Time `json:"authorizedAt"`
	ExpiresAt      time.Time `json:"expiresAt"`
	Entitlements   []Count   `json:"entitlements"`
}

// Count returns the authorized count of tag (0 when SSM listed none).
func (a *Authorization) Count(tag Entitlement) int {
	for _, c := range a.Entitlements {
		if c.Tag == tag {
			return c.Count
		}
	}
	return 0
}

// Registration is the instance's registration as SSM holds it.
type Registration struct {
	ProductInstanceID string    `json:"productInstanceId"`
	VirtualAccount    string    `json:"virtualAccount"`
	RegisteredAt      time.Time `json:"registeredAt"`
	ExpiresAt         time.Time `json:"expiresAt"`
}

// Registered is the result of Register: the registration, the credential
// for later calls, and the first authorization.
type Registered struct {
	Registration
	Credential    Credential    `json:"credential"`
	Authorization Authorization `json:"authorization"`
}

// UsageReport is one usage report. ReportID identifies it to SSM, which
// counts a resent report once; the caller picks it (for example the UTC
// day it covers).
type UsageReport struct {
	ReportID   string
	MeasuredAt time.Time
	Usage      map[Entitlement]int
}

// UsageLine is SSM's view of one entitlement in a usage receipt.
type UsageLine struct {
	Tag       Entitlement `json:"tag"`
	Purchased int         `json:"purchased"`
	Used      int         `json:"used"`
	Status    Compliance  `json:"status"`
}

// UsageReceipt is SSM's answer to a usage report.
type UsageReceipt struct {
	ReportID     string      `json:"reportId"`
	ReceivedAt   time.Time   `json:"receivedAt"`
	Compliance   Compliance  `json:"compliance"`
	Entitlements []UsageLine `json:"entitlements"`
}

// decodeJSON decodes one JSON object. Unknown fields are ignored, so that
// SSM may add fields without breaking the client; missing required ones
// are caught by the validators below.
func decodeJSON(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func (a *Authorization) validate() error {
	if a.VirtualAccount == "" {
		return errors.New("authorization: no virtualAccount")
	}
	if a.ExpiresAt.IsZero() || a.AuthorizedAt.IsZero() {
		return errors.New("authorization: authorizedAt and expiresAt are required")
	}
	seen := map[Entitlement]bool{}
	for _, c := range a.Entitlements {
		if c.Tag == "" {
			return errors.New("authorization: entitlement without tag")
		}
		if seen[c.Tag] {
			return fmt.Errorf("authorization: %s listed twice", c.Tag)
		}
		seen[c.Tag] = true
		if c.Count < 0 {
			return fmt.Errorf("authorization: negative count %d for %s", c.Count, c.Tag)
		}
	}
	return nil
}

func (r *Registration) validate() error {
	if r.ProductInstanceID == "" || r.VirtualAccount == "" {
		return errors.New("registration: productInstanceId and virtualAccount are required")
	}
	if r.RegisteredAt.IsZero() || r.ExpiresAt.IsZero() {
		return errors.New("registration: registeredAt and expiresAt are required")
	}
	return nil
}

// DecodeRegistered decodes the reply to a registration.
func DecodeRegistered(body []byte) (*Registered, error) {
	var r Registered
	if err := decodeJSON(body, &r); err != nil {
		return nil, err
	}
	if err := r.Registration.validate(); err != nil {
		return nil, err
	}
	if r.Credential == "" {
		return nil, errors.New("registration: no credential")
	}
	if err := r.Authorization.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// DecodeRegistration decodes the reply to a registration renewal.
func DecodeRegistration(body []byte) (*Registration, error) {
	var r Registration
	if err := decodeJSON(body, &r); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// DecodeAuthorization decodes the reply to an authorization renewal.
func DecodeAuthorization(body []byte) (*Authorization, error) {
	var a Authorization
	if err := decodeJSON(body, &a); err != nil {
		return nil, err
	}
	if err := a.validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// DecodeUsageReceipt decodes the reply to a usage report.
func DecodeUsageReceipt(body []byte) (*UsageReceipt, error) {
	var u UsageReceipt
	if err := decodeJSON(body, &u); err != nil {
		return nil, err
	}
	if u.ReportID == "" || u.ReceivedAt.IsZero() {
		return nil, errors.New("usage receipt: reportId and receivedAt are required")
	}
	if err := u.Compliance.validate(); err != nil {
		return nil, err
	}
	for _, l := range u.Entitlements {
		if l.Tag == "" || l.Purchased < 0 || l.Used < 0 {
			return nil, fmt.Errorf("usage receipt: bad line %q purchased=%d used=%d", l.Tag, l.Purchased, l.Used)
		}
		if err := l.Status.validate(); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

func (c Compliance) validate() error {
	switch c {
	case InCompliance, OutOfCompliance:
		return nil
	}
	return fmt.Errorf("unknown compliance value %q", string(c))
}

// errorBody is the body of an error reply.
type errorBody struct {
	Error struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError reads reason and message from an error reply; a body that
// is not one only loses them.
func decodeError(body []byte) (reason, message string) {
	var e errorBody
	if decodeJSON(body, &e) != nil {
		return "", ""
	}
	const maxMsg = 512
	msg := e.Error.Message
	if len(msg) > maxMsg {
		msg = msg[:maxMsg]
	}
	return e.Error.Reason, msg
}
