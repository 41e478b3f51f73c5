package cms

import (
	"context"
	"encoding/xml"
)

// The bridge keeps /clusterLicensing/raw for Cisco Meeting Management alone,
// to push the licence state of Smart licensing and read it back; its format
// is undocumented (cms-api.md §4, §9). Switchboard writes its own document
// there as the form parameter `data` and reads it back from
// <clusterLicensingRaw><data>; docs/cms-compatibility.md records this as
// inferred.

type clusterLicensingRaw struct {
	XMLName xml.Name `xml:"clusterLicensingRaw"`
	Data    string   `xml:"data"`
}

// ClusterLicensingRaw reads the cluster's stored licence document; empty
// when nothing was written.
func (c *Client) ClusterLicensingRaw(ctx context.Context) (string, error) {
	var v clusterLicensingRaw
	if err := c.get(ctx, "clusterLicensing/raw", nil, &v); err != nil {
		return "", err
	}
	return v.Data, nil
}

// SetClusterLicensingRaw replaces the cluster's stored licence document.
func (c *Client) SetClusterLicensingRaw(ctx context.Context, data string) error {
	return c.Modify(ctx, "clusterLicensing/raw", (&Form{}).Set("data", data))
}
