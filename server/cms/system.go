package cms

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RawElement is an element the typed structs do not know, kept so that a
// newer bridge's additions are visible instead of lost.
type RawElement struct {
	XMLName xml.Name
	Attrs   []xml.Attr
	// Inner is the element's content re-encoded as XML.
	Inner string
}

// UnmarshalXML keeps the element's name, attributes and content. It
// re-encodes the content from tokens rather than using ",innerxml", which
// only works on a decoder reading bytes directly.
func (r *RawElement) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	r.XMLName = start.Name
	r.Attrs = append([]xml.Attr(nil), start.Attr...)
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				_ = enc.Flush()
				r.Inner = buf.String()
				return nil
			}
			depth--
		case xml.ProcInst, xml.Directive:
			continue // not content anyone needs, and the encoder refuses some
		}
		// The decoder has already checked the content is well formed; a
		// token the encoder will not write (an odd namespace declaration)
		// is left out of Inner rather than failing the whole reply.
		_ = enc.EncodeToken(tok)
	}
}

// MarshalJSON renders the element as {"name","attrs","xml"} for the
// troubleshooting decoders.
func (r RawElement) MarshalJSON() ([]byte, error) {
	attrs := map[string]string{}
	for _, a := range r.Attrs {
		attrs[a.Name.Local] = a.Value
	}
	out := struct {
		Name  string            `json:"name"`
		Attrs map[string]string `json:"attrs,omitempty"`
		XML   string            `json:"xml,omitempty"`
	}{r.XMLName.Local, attrs, r.Inner}
	if len(attrs) == 0 {
		out.Attrs = nil
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes (the CDR receiver stores
// decoded records as JSON, unknown elements included). Attribute order is
// not kept, nor namespaces: neither carries meaning in CMS documents.
func (r *RawElement) UnmarshalJSON(b []byte) error {
	var in struct {
		Name  string            `json:"name"`
		Attrs map[string]string `json:"attrs"`
		XML   string            `json:"xml"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	r.XMLName, r.Inner, r.Attrs = xml.Name{Local: in.Name}, in.XML, nil
	names := make([]string, 0, len(in.Attrs))
	for k := range in.Attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		r.Attrs = append(r.Attrs, xml.Attr{Name: xml.Name{Local: k}, Value: in.Attrs[k]})
	}
	return nil
}

// SystemStatus is GET /system/status.
type SystemStatus struct {
	XMLName xml.Name `xml:"status" json:"-"`
	// HostID identifies this node (used by MPLicenseUsage).
	HostID          string `xml:"hostId" json:"hostId,omitempty"`
	SoftwareVersion string `xml:"softwareVersion" json:"softwareVersion,omitempty"`
	UptimeSeconds   int64  `xml:"uptimeSeconds" json:"uptimeSeconds"`
	// CDRTime is the bridge's clock in CDR format.
	CDRTime *time.Time `xml:"cdrTime" json:"cdrTime,omitempty"`
	// Activated is deprecated since 3.0 and always true there.
	Activated      *bool  `xml:"activated" json:"activated,omitempty"`
	ClusterEnabled *bool  `xml:"clusterEnabled" json:"clusterEnabled,omitempty"`
	ClusterID      string `xml:"clusterId" json:"clusterId,omitempty"`
	// CDRCorrelatorIndex is the correlatorIndex the next CDR will carry
	// (0 if none was sent yet); a receiver uses it to detect loss.
	CDRCorrelatorIndex   *uint64      `xml:"cdrCorrelatorIndex" json:"cdrCorrelatorIndex,omitempty"`
	CallLegsActive       int          `xml:"callLegsActive" json:"callLegsActive"`
	CallLegsMaxActive    int          `xml:"callLegsMaxActive" json:"callLegsMaxActive"`
	CallLegsCompleted    int          `xml:"callLegsCompleted" json:"callLegsCompleted"`
	AudioBitRateOutgoing int64        `xml:"audioBitRateOutgoing" json:"audioBitRateOutgoing"`
	AudioBitRateIncoming int64        `xml:"audioBitRateIncoming" json:"audioBitRateIncoming"`
	VideoBitRateOutgoing int64        `xml:"videoBitRateOutgoing" json:"videoBitRateOutgoing"`
	VideoBitRateIncoming int64        `xml:"videoBitRateIncoming" json:"videoBitRateIncoming"`
	Extra                []RawElement `xml:",any" json:"extra,omitempty"`
}

// SystemStatus reads /system/status. It is also the probe that tells a
// Call Bridge from anything else: a 404, a redirect or a body that is not
// <status> comes back as a *ConnError of kind KindNotCallBridge.
func (c *Client) SystemStatus(ctx context.Context) (*SystemStatus, error) {
	var s SystemStatus
	err := c.get(ctx, "system/status", nil, &s)
	var de *DecodeError
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, &ConnError{Kind: KindNotCallBridge, Addr: c.hostport, Err: err}
	case errors.As(err, &de):
		return nil, &ConnError{Kind: KindNotCallBridge, Addr: c.hostport, Err: err}
	case err != nil:
		return nil, err
	}
	return &s, nil
}

// Alarm is one active alarm of GET /system/alarms.
type Alarm struct {
	XMLName xml.Name `xml:"alarm" json:"-"`
	ID      string   `xml:"id,attr" json:"id"`
	// Type is the alarm type, e.g. cdrConnectionFailure.
	Type              string `xml:"type" json:"type"`
	ActiveTimeSeconds int64  `xml:"activeTimeSeconds" json:"activeTimeSeconds"`
	// The type-specific details follow; each is empty when not sent.
	CallBridge    string       `xml:"callBridge" json:"callBridge,omitempty"`
	Recorder      string       `xml:"recorder" json:"recorder,omitempty"`
	FileName      string       `xml:"fileName" json:"fileName,omitempty"`
	FailureReason string       `xml:"failureReason" json:"failureReason,omitempty"`
	Extra         []RawElement `xml:",any" json:"extra,omitempty"`
}

func (a Alarm) objectID() string { return a.ID }

// Alarms lists the active alarms.
func (c *Client) Alarms(ctx context.Context, o ListOptions) iter.Seq2[Alarm, error] {
	return Iterate[Alarm](ctx, c, "system/alarms", "alarms", o, nil)
}

// ClusterConfig is GET /system/configuration/cluster.
type ClusterConfig struct {
	XMLName xml.Name `xml:"cluster" json:"-"`
	// UniqueName equals this bridge's name in /callBridges; that entry's
	// id is the callBridge attribute of this bridge's CDRs.
	UniqueName                             string       `xml:"uniqueName" json:"uniqueName,omitempty"`
	PeerLinkBitRate                        *int64       `xml:"peerLinkBitRate" json:"peerLinkBitRate,omitempty"`
	MaxPeerVideoStreams                    *int         `xml:"maxPeerVideoStreams" json:"maxPeerVideoStreams,omitempty"`
	ParticipantLimit                       *int         `xml:"participantLimit" json:"participantLimit,omitempty"`
	LoadLimit                              *int         `xml:"loadLimit" json:"loadLimit,omitempty"`
	NewConferenceLoadLimitBasisPoints      *int         `xml:"newConferenceLoadLimitBasisPoints" json:"newConferenceLoadLimitBasisPoints,omitempty"`
	ExistingConferenceLoadLimitBasisPoints *int         `xml:"existingConferenceLoadLimitBasisPoints" json:"existingConferenceLoadLimitBasisPoints,omitempty"`
	Extra                                  []RawElement `xml:",any" json:"extra,omitempty"`
}

// UnmarshalXML reads the numbers as optional: a bridge sends an unset
// limit as an empty element (<maxPeerVideoStreams/>), which must stay nil
// rather than read as 0.
func (c *ClusterConfig) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name.Local != "cluster" {
		return fmt.Errorf("expected element type <cluster> but have <%s>", start.Name.Local)
	}
	var raw struct {
		UniqueName                             string       `xml:"uniqueName"`
		PeerLinkBitRate                        optNumber    `xml:"peerLinkBitRate"`
		MaxPeerVideoStreams                    optNumber    `xml:"maxPeerVideoStreams"`
		ParticipantLimit                       optNumber    `xml:"participantLimit"`
		LoadLimit                              optNumber    `xml:"loadLimit"`
		NewConferenceLoadLimitBasisPoints      optNumber    `xml:"newConferenceLoadLimitBasisPoints"`
		ExistingConferenceLoadLimitBasisPoints optNumber    `xml:"existingConferenceLoadLimitBasisPoints"`
		Extra                                  []RawElement `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	*c = ClusterConfig{XMLName: start.Name, UniqueName: raw.UniqueName, Extra: raw.Extra}
	var err error
	if c.PeerLinkBitRate, err = raw.PeerLinkBitRate.int64("peerLinkBitRate"); err != nil {
		return err
	}
	for _, f := range []struct {
		dst  **int
		v    optNumber
		name string
	}{
		{&c.MaxPeerVideoStreams, raw.MaxPeerVideoStreams, "maxPeerVideoStreams"},
		{&c.ParticipantLimit, raw.ParticipantLimit, "participantLimit"},
		{&c.LoadLimit, raw.LoadLimit, "loadLimit"},
		{&c.NewConferenceLoadLimitBasisPoints, raw.NewConferenceLoadLimitBasisPoints, "newConferenceLoadLimitBasisPoints"},
		{&c.ExistingConferenceLoadLimitBasisPoints, raw.ExistingConferenceLoadLimitBasisPoints, "existingConferenceLoadLimitBasisPoints"},
	} {
		n, err := f.v.int64(f.name)
		if err != nil {
			return err
		}
		if n != nil {
			v := int(*n)
			*f.dst = &v
		}
	}
	return nil
}

// optNumber is the text of an element that may be absent or empty.
type optNumber struct {
	s string
}

// UnmarshalText keeps the text for int64.
func (o *optNumber) UnmarshalText(b []byte) error {
	o.s = string(b)
	return nil
}

// int64 parses the number; absent or empty gives nil.
func (o optNumber) int64(name string) (*int64, error) {
	s := strings.TrimSpace(o.s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("<%s>: %q is not a whole number", name, s)
	}
	return &n, nil
}

// ClusterConfig reads /system/configuration/cluster.
func (c *Client) ClusterConfig(ctx context.Context) (*ClusterConfig, error) {
	var v ClusterConfig
	if err := c.get(ctx, "system/configuration/cluster", nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CallBridge is an entry of /callBridges: a peer of a cluster. The list
// carries only Name; GET by id adds the rest.
type CallBridge struct {
	XMLName xml.Name `xml:"callBridge" json:"-"`
	ID      string   `xml:"id,attr" json:"id"`
	Name    string   `xml:"name" json:"name"`
	// Address is the peer's API / Web Admin URL, e.g. https://1.1.1.1:8443.
	Address         string       `xml:"address" json:"address,omitempty"`
	SIPDomain       string       `xml:"sipDomain" json:"sipDomain,omitempty"`
	CallBridgeGroup string       `xml:"callBridgeGroup" json:"callBridgeGroup,omitempty"`
	Extra           []RawElement `xml:",any" json:"extra,omitempty"`
}

func (b CallBridge) objectID() string { return b.ID }

// CallBridges lists the cluster's bridges (none when not clustered).
func (c *Client) CallBridges(ctx context.Context, o ListOptions) iter.Seq2[CallBridge, error] {
	return Iterate[CallBridge](ctx, c, "callBridges", "callBridges", o, nil)
}

// CallBridge reads one /callBridges entry.
func (c *Client) CallBridge(ctx context.Context, id string) (*CallBridge, error) {
	var v CallBridge
	if err := c.get(ctx, objPath("callBridges", id), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// MaxCDRReceivers is the number of receiver slots of CMS 2.x and later.
const MaxCDRReceivers = 4

// CDRReceiver is an entry of /system/cdrReceivers.
type CDRReceiver struct {
	XMLName xml.Name     `xml:"cdrReceiver" json:"-"`
	ID      string       `xml:"id,attr,omitempty" json:"id,omitempty"`
	URI     string       `xml:"uri" json:"uri"`
	Extra   []RawElement `xml:",any" json:"extra,omitempty"`
}

func (r CDRReceiver) objectID() string { return r.ID }

// CDRReceiverList is GET /system/cdrReceivers: the receivers and the
// number of slots the bridge offers.
type CDRReceiverList struct {
	Receivers []CDRReceiver
	// Maximum is the maximum attribute, or MaxCDRReceivers when not sent.
	Maximum int
}

// CDRReceivers reads the bridge's CDR receivers. The list is per bridge,
// not shared through the cluster database.
func (c *Client) CDRReceivers(ctx context.Context) (*CDRReceiverList, error) {
	out := &CDRReceiverList{Maximum: MaxCDRReceivers}
	offset := 0
	// The list is at most a handful long, but it is still paged like any
	// collection in case a bridge caps it.
	for {
		q := url.Values{"offset": {itoa(offset)}}
		pg, err := fetchPage[CDRReceiver](ctx, c, "system/cdrReceivers", "cdrReceivers", q)
		if err != nil {
			return nil, err
		}
		if pg.Maximum != nil {
			out.Maximum = *pg.Maximum
		}
		out.Receivers = append(out.Receivers, pg.Items...)
		offset += len(pg.Items)
		if len(pg.Items) == 0 || pg.Total == nil || offset >= *pg.Total {
			return out, nil
		}
	}
}

// CDRReceiver reads one receiver.
func (c *Client) CDRReceiver(ctx context.Context, id string) (*CDRReceiver, error) {
	var v CDRReceiver
	if err := c.get(ctx, objPath("system/cdrReceivers", id), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateCDRReceiver adds a receiver URL (sent as "uri") and returns its
// id. A fifth receiver fails with reason tooManyCdrReceivers.
func (c *Client) CreateCDRReceiver(ctx context.Context, uri string) (string, error) {
	return c.Create(ctx, "system/cdrReceivers", (&Form{}).Set("uri", uri))
}

// UpdateCDRReceiver changes a receiver's URL.
func (c *Client) UpdateCDRReceiver(ctx context.Context, id, uri string) error {
	return c.Modify(ctx, objPath("system/cdrReceivers", id), (&Form{}).Set("uri", uri))
}

// DeleteCDRReceiver removes a receiver.
func (c *Client) DeleteCDRReceiver(ctx context.Context, id string) error {
	return c.Delete(ctx, objPath("system/cdrReceivers", id))
}

// LegacyCDRReceiver is the deprecated single receiver, /system/cdrReceiver.
type LegacyCDRReceiver struct {
	XMLName xml.Name     `xml:"cdrReceiver" json:"-"`
	URI     string       `xml:"uri" json:"uri"`
	Extra   []RawElement `xml:",any" json:"extra,omitempty"`
}

// LegacyCDRReceiver reads the deprecated single receiver.
func (c *Client) LegacyCDRReceiver(ctx context.Context) (*LegacyCDRReceiver, error) {
	var v LegacyCDRReceiver
	if err := c.get(ctx, "system/cdrReceiver", nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// SetLegacyCDRReceiver sets (or, with Clear, removes) the deprecated single
// receiver's URL.
func (c *Client) SetLegacyCDRReceiver(ctx context.Context, uri Field[string]) error {
	return c.Modify(ctx, "system/cdrReceiver", FormOf(struct {
		URI Field[string] `form:"uri"`
	}{uri}))
}
