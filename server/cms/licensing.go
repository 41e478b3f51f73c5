package cms

import (
	"context"
	"encoding/xml"
	"fmt"
	"iter"
	"net/url"
	"strings"
	"time"
)

// License feature statuses of /system/licensing (clusterLicensing uses the
// first, second and last).
const (
	LicenseNoLicense = "noLicense"
	LicenseActivated = "activated"
	LicenseGrace     = "grace"
	LicenseExpired   = "expired"
)

// LicenseExpiryLayout is the format of a feature's expiry, e.g. 2022-Aug-08.
const LicenseExpiryLayout = "2006-Jan-02"

// LicenseFeature is one child of <features> in /system/licensing or
// /clusterLicensing: callBridge, callBridgeNoEncryption, webBridge, turn,
// ldap, branding, recording, streaming, personal (PMP), shared (SMP),
// capacityUnits, customizations, ...
type LicenseFeature struct {
	// Name is the feature's element name.
	Name string `json:"name"`
	// Status is noLicense, activated, grace or expired.
	Status string `json:"status,omitempty"`
	// Expiry is the expiry as sent (2022-Aug-08); see ExpiryDate.
	Expiry string `json:"expiry,omitempty"`
	// Limit is sent for recording, streaming, personal, shared and
	// capacityUnits; nil when absent or empty.
	Limit *int `json:"limit,omitempty"`
	// Level is sent for branding (e.g. multipleBrands).
	Level string       `json:"level,omitempty"`
	Extra []RawElement `json:"extra,omitempty"`
}

// ExpiryDate parses Expiry; ok is false when it is absent or not in the
// 2022-Aug-08 form.
func (f LicenseFeature) ExpiryDate() (t time.Time, ok bool) {
	t, err := time.Parse(LicenseExpiryLayout, strings.TrimSpace(f.Expiry))
	return t, err == nil
}

// UnmarshalXML reads a feature element, whatever its name.
func (f *LicenseFeature) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Status string       `xml:"status"`
		Expiry string       `xml:"expiry"`
		Limit  optNumber    `xml:"limit"`
		Level  string       `xml:"level"`
		Extra  []RawElement `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	*f = LicenseFeature{Name: start.Name.Local, Status: strings.TrimSpace(raw.Status), Expiry: strings.TrimSpace(raw.Expiry),
		Level: raw.Level, Extra: raw.Extra}
	n, err := raw.Limit.int64(start.Name.Local + "/limit")
	if err != nil {
		return err
	}
	if n != nil {
		v := int(*n)
		f.Limit = &v
	}
	return nil
}

// LicenseFeatures is GET /system/licensing (root <licensing>) or GET
// /clusterLicensing (root <clusterLicensing>): the features, in the
// bridge's order.
type LicenseFeatures struct {
	XMLName  xml.Name         `json:"-"`
	Features []LicenseFeature `json:"features"`
	// Extra are elements beside <features>.
	Extra []RawElement `json:"extra,omitempty"`
}

// Feature returns the named feature, or nil.
func (l *LicenseFeatures) Feature(name string) *LicenseFeature {
	for i := range l.Features {
		if l.Features[i].Name == name {
			return &l.Features[i]
		}
	}
	return nil
}

// UnmarshalXML reads <features> and keeps every other child as Extra.
func (l *LicenseFeatures) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Features struct {
			Items []LicenseFeature `xml:",any"`
		} `xml:"features"`
		Extra []RawElement `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	*l = LicenseFeatures{XMLName: start.Name, Features: raw.Features.Items, Extra: raw.Extra}
	if l.Features == nil {
		l.Features = []LicenseFeature{}
	}
	return nil
}

// Licensing reads /system/licensing. From CMS 3.0 it reflects only the
// license file on that node.
func (c *Client) Licensing(ctx context.Context) (*LicenseFeatures, error) {
	return c.licenseFeatures(ctx, "system/licensing", "licensing")
}

// ClusterLicensing reads /clusterLicensing (3.0): the cluster-wide status
// of callBridge, callBridgeNoEncryption, customizations and recording.
func (c *Client) ClusterLicensing(ctx context.Context) (*LicenseFeatures, error) {
	return c.licenseFeatures(ctx, "clusterLicensing", "clusterLicensing")
}

func (c *Client) licenseFeatures(ctx context.Context, p, root string) (*LicenseFeatures, error) {
	var v LicenseFeatures
	if err := c.get(ctx, p, nil, &v); err != nil {
		return nil, err
	}
	if v.XMLName.Local != root {
		return nil, &DecodeError{Method: "GET", Path: p, Err: fmt.Errorf("reply is <%s>, want <%s>", v.XMLName.Local, root)}
	}
	return &v, nil
}

// MultipartyLicensing is GET /system/multipartyLicensing: the node's live
// licence counters. The limits are deprecated from 3.0 (nil when absent).
// Weighted calls split a call spanning several bridges so that the
// cluster's sum is the number of distinct conferences.
type MultipartyLicensing struct {
	XMLName                                 xml.Name     `xml:"multipartyLicensing" json:"-"`
	Timestamp                               *time.Time   `xml:"timestamp" json:"timestamp,omitempty"`
	PersonalLicenseLimit                    *int         `xml:"personalLicenseLimit" json:"personalLicenseLimit,omitempty"`
	SharedLicenseLimit                      *int         `xml:"sharedLicenseLimit" json:"sharedLicenseLimit,omitempty"`
	CapacityUnitLimit                       *int         `xml:"capacityUnitLimit" json:"capacityUnitLimit,omitempty"`
	Users                                   int          `xml:"users" json:"users"`
	PersonalLicenses                        int          `xml:"personalLicenses" json:"personalLicenses"`
	ParticipantsActive                      int          `xml:"participantsActive" json:"participantsActive"`
	CallsActive                             int          `xml:"callsActive" json:"callsActive"`
	WeightedCallsActive                     Decimal      `xml:"weightedCallsActive" json:"weightedCallsActive"`
	CapacityUnitUsage                       Decimal      `xml:"capacityUnitUsage" json:"capacityUnitUsage"`
	CallsWithoutPersonalLicense             int          `xml:"callsWithoutPersonalLicense" json:"callsWithoutPersonalLicense"`
	WeightedCallsWithoutPersonalLicense     Decimal      `xml:"weightedCallsWithoutPersonalLicense" json:"weightedCallsWithoutPersonalLicense"`
	CapacityUnitUsageWithoutPersonalLicense Decimal      `xml:"capacityUnitUsageWithoutPersonalLicense" json:"capacityUnitUsageWithoutPersonalLicense"`
	Extra                                   []RawElement `xml:",any" json:"extra,omitempty"`
}

// MultipartyLicensing reads /system/multipartyLicensing.
func (c *Client) MultipartyLicensing(ctx context.Context) (*MultipartyLicensing, error) {
	var v MultipartyLicensing
	if err := c.get(ctx, "system/multipartyLicensing", nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ActivePersonalLicense is an entry of
// /system/multipartyLicensing/activePersonalLicenses: one licensed user's
// calls on this node.
type ActivePersonalLicense struct {
	XMLName             xml.Name     `json:"-"`
	ID                  string       `xml:"id,attr" json:"id,omitempty"`
	CallsActive         int          `xml:"callsActive" json:"callsActive"`
	WeightedCallsActive Decimal      `xml:"weightedCallsActive" json:"weightedCallsActive"`
	Extra               []RawElement `xml:",any" json:"extra,omitempty"`
}

func (a ActivePersonalLicense) objectID() string { return a.ID }

// ActivePersonalLicenses lists the personal licences in use on the node.
func (c *Client) ActivePersonalLicenses(ctx context.Context, o ListOptions) iter.Seq2[ActivePersonalLicense, error] {
	return Iterate[ActivePersonalLicense](ctx, c, "system/multipartyLicensing/activePersonalLicenses", "activePersonalLicenses", o, nil)
}

// LicenseUsage is one <entry> of /system/MPLicenseUsage: a snapshot (every
// 5 minutes) of the licences a host used. Values not sent are 0; an idle
// snapshot is an empty <entry time="…"/>.
type LicenseUsage struct {
	XMLName xml.Name  `json:"-"`
	Time    time.Time `xml:"time,attr" json:"time"`
	// PMP is personal (PMP Plus) licence use; PMPAssigned (3.0) the
	// assigned personal licences.
	PMP         Decimal `xml:"pmp" json:"pmp,omitempty"`
	PMPAssigned Decimal `xml:"pmpAssigned" json:"pmpAssigned,omitempty"`
	// SMPAudio, SMPPointToPoint and SMPFull are shared (SMP Plus) licence
	// use by audio-only, point-to-point and full calls.
	SMPAudio        Decimal      `xml:"smpAud" json:"smpAud,omitempty"`
	SMPPointToPoint Decimal      `xml:"smpPtP" json:"smpPtP,omitempty"`
	SMPFull         Decimal      `xml:"smpFull" json:"smpFull,omitempty"`
	Recording       Decimal      `xml:"rec" json:"rec,omitempty"`
	Streaming       Decimal      `xml:"str" json:"str,omitempty"`
	Extra           []RawElement `xml:",any" json:"extra,omitempty"`
}

// OtherTypes returns the licence types of Extra, the children a newer
// bridge sends beyond the seven known ones (LI-13 carries them through to
// the reports), by element name. Only a child holding a decimal and
// nothing else is a licence count; other children (nested elements,
// text, attributes-only markers) are left out. A name sent twice keeps
// its largest value, like samples of one interval. It returns nil when
// there are none.
func (u LicenseUsage) OtherTypes() map[string]float64 {
	var out map[string]float64
	for _, e := range u.Extra {
		name := e.XMLName.Local
		if name == "" || e.XMLName.Space != "" || strings.ContainsAny(e.Inner, "<&") {
			continue
		}
		var d Decimal
		if err := d.UnmarshalText([]byte(e.Inner)); err != nil || strings.TrimSpace(e.Inner) == "" {
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		if v, ok := out[name]; !ok || float64(d) > v {
			out[name] = float64(d)
		}
	}
	return out
}

// Idle reports whether the snapshot records no licence use at all.
func (u LicenseUsage) Idle() bool {
	return u.PMP == 0 && u.PMPAssigned == 0 && u.SMPAudio == 0 && u.SMPPointToPoint == 0 && u.SMPFull == 0 &&
		u.Recording == 0 && u.Streaming == 0 && !u.usesOther()
}

func (u LicenseUsage) usesOther() bool {
	for _, v := range u.OtherTypes() {
		if v != 0 {
			return true
		}
	}
	return false
}

// LicenseUsageQuery selects MPLicenseUsage entries. Zero values send no
// filter.
type LicenseUsageQuery struct {
	// Offset and PageSize page as in ListOptions.
	Offset, PageSize int
	// Start and End are sent as startTime and endTime (RFC 3339, UTC).
	Start, End time.Time
	// HostID selects another host's history (see LicenseKnownHosts); the
	// bridge answers for its own host otherwise.
	HostID string
}

// LicenseUsageTimeLayout is how startTime and endTime are sent, the form
// of an entry's time attribute.
const LicenseUsageTimeLayout = "2006-01-02T15:04:05Z"

// LicenseUsage reads /system/MPLicenseUsage (2.6), page after page, oldest
// entry first as the bridge lists them.
func (c *Client) LicenseUsage(ctx context.Context, q LicenseUsageQuery) iter.Seq2[LicenseUsage, error] {
	v := url.Values{}
	if !q.Start.IsZero() {
		v.Set("startTime", q.Start.UTC().Format(LicenseUsageTimeLayout))
	}
	if !q.End.IsZero() {
		v.Set("endTime", q.End.UTC().Format(LicenseUsageTimeLayout))
	}
	if q.HostID != "" {
		v.Set("hostId", q.HostID)
	}
	return Iterate[LicenseUsage](ctx, c, "system/MPLicenseUsage", "MPLicenseUsage", ListOptions{Offset: q.Offset, PageSize: q.PageSize}, v)
}

// LicenseHost is an entry of /system/MPLicenseUsage/knownHosts.
type LicenseHost struct {
	XMLName xml.Name     `json:"-"`
	ID      string       `xml:"id,attr" json:"id"`
	Extra   []RawElement `xml:",any" json:"extra,omitempty"`
}

func (h LicenseHost) objectID() string { return h.ID }

// LicenseKnownHosts lists the hosts whose usage history the node holds.
func (c *Client) LicenseKnownHosts(ctx context.Context, o ListOptions) iter.Seq2[LicenseHost, error] {
	return Iterate[LicenseHost](ctx, c, "system/MPLicenseUsage/knownHosts", "knownHosts", o, nil)
}
