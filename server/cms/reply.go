package cms

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Decimal is a finite decimal statistic (bit rates, jitter, loss). It
// refuses NaN and infinities, which no bridge sends and JSON cannot carry.
type Decimal float64

// UnmarshalText parses a decimal number.
func (d *Decimal) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*d = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("bad decimal %q", s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("bad decimal %q: not finite", s)
	}
	*d = Decimal(f)
	return nil
}

// UnmarshalJSON takes the number that encoding/json writes for a Decimal
// (or a quoted one), so that a decoded record survives a JSON round trip,
// as stored CDRs do.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	return d.UnmarshalText(bytes.Trim(b, `"`))
}

// FailureDetails is a <failureDetails> body on its own, as the reply
// decoder shows it.
type FailureDetails struct {
	Reason    string `json:"reason"`
	Parameter string `json:"parameter,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Reply is an API reply decoded by DecodeReply.
type Reply struct {
	// Kind is the root element name, e.g. "coSpaces" or "callLeg".
	Kind string `json:"kind"`
	// Value is a pointer to the typed object: *SystemStatus, *CoSpace,
	// *Page[CoSpace], *FailureDetails, ...
	Value any `json:"value"`
}

var replyKinds = map[string]func() any{
	"status":          func() any { return new(SystemStatus) },
	"cluster":         func() any { return new(ClusterConfig) },
	"alarm":           func() any { return new(Alarm) },
	"alarms":          func() any { return new(Page[Alarm]) },
	"callBridge":      func() any { return new(CallBridge) },
	"callBridges":     func() any { return new(Page[CallBridge]) },
	"cdrReceiver":     func() any { return new(CDRReceiver) },
	"cdrReceivers":    func() any { return new(Page[CDRReceiver]) },
	"coSpace":         func() any { return new(CoSpace) },
	"coSpaces":        func() any { return new(Page[CoSpace]) },
	"accessMethod":    func() any { return new(AccessMethod) },
	"accessMethods":   func() any { return new(Page[AccessMethod]) },
	"coSpaceUser":     func() any { return new(CoSpaceUser) },
	"coSpaceUsers":    func() any { return new(Page[CoSpaceUser]) },
	"call":            func() any { return new(Call) },
	"calls":           func() any { return new(Page[Call]) },
	"participant":     func() any { return new(Participant) },
	"participants":    func() any { return new(Page[Participant]) },
	"callLeg":         func() any { return new(CallLeg) },
	"callLegs":        func() any { return new(Page[CallLeg]) },
	"callLegProfile":  func() any { return new(CallLegProfile) },
	"callLegProfiles": func() any { return new(Page[CallLegProfile]) },
	"callProfile":     func() any { return new(CallProfile) },
	"callProfiles":    func() any { return new(Page[CallProfile]) },

	"licensing":              func() any { return new(LicenseFeatures) },
	"clusterLicensing":       func() any { return new(LicenseFeatures) },
	"multipartyLicensing":    func() any { return new(MultipartyLicensing) },
	"activePersonalLicenses": func() any { return new(Page[ActivePersonalLicense]) },
	"MPLicenseUsage":         func() any { return new(Page[LicenseUsage]) },
	"knownHosts":             func() any { return new(Page[LicenseHost]) },
}

// ReplyKinds lists the root elements DecodeReply understands.
func ReplyKinds() []string {
	kinds := []string{"failureDetails"}
	for k := range replyKinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// DecodeReply decodes a captured API reply, choosing the type from its
// root element, for troubleshooting. Anything but one well-formed root
// element (and whitespace, comments or processing instructions around
// it) is an error that says where the problem is.
func DecodeReply(r io.Reader) (*Reply, error) {
	d := newXMLDecoder(r)
	var start xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, errors.New("cms: no XML element in the input")
		}
		if err != nil {
			return nil, fmt.Errorf("cms: %w", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			start = s
			break
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			line, col := d.InputPos()
			return nil, fmt.Errorf("cms: text before the root element at line %d, column %d", line, col)
		}
	}
	kind := start.Name.Local
	var v any
	if kind == "failureDetails" {
		var fb failureBody
		if err := d.DecodeElement(&fb, &start); err != nil {
			return nil, fmt.Errorf("cms: <failureDetails>: %w", err)
		}
		fd := &FailureDetails{}
		if len(fb.Reasons) > 0 {
			r := fb.Reasons[0]
			fd.Reason, fd.Parameter, fd.Error = r.XMLName.Local, cmp(r.Parameter, r.ParameterElem), cmp(r.Error, r.ErrorElem)
		}
		v = fd
	} else {
		mk, ok := replyKinds[kind]
		if !ok {
			return nil, fmt.Errorf("cms: unknown reply kind <%s> (known: %s)", kind, strings.Join(ReplyKinds(), ", "))
		}
		v = mk()
		if err := d.DecodeElement(v, &start); err != nil {
			line, _ := d.InputPos()
			return nil, fmt.Errorf("cms: <%s> (near line %d): %w", kind, line, err)
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cms: after </%s>: %w", kind, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, col := d.InputPos()
			return nil, fmt.Errorf("cms: a second root element <%s> at line %d, column %d", t.Name.Local, line, col)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				line, col := d.InputPos()
				return nil, fmt.Errorf("cms: text after </%s> at line %d, column %d", kind, line, col)
			}
		}
	}
	return &Reply{Kind: kind, Value: v}, nil
}
