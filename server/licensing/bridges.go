package licensing

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/servers"
)

// clusterInfo is what one evaluation read from a cluster's bridges.
type clusterInfo struct {
	ID   int
	Name string
	// Reached is false when no bridge of the cluster answered; the
	// licence files and document then come from the previous reading.
	Reached bool
	// Installed sums the limits of the licence files of the cluster's
	// bridges (Traditional, LI-03): personal = PMP Plus, shared = SMP
	// Plus, recording, streaming.
	Installed Allocations
	// LicenseFile is true when a bridge has a traditional licence file
	// (LI-04).
	LicenseFile bool
	// MissingKey names the bridges without an activation key, callBridge
	// or callBridgeNoEncryption (LI-10, LI-42).
	MissingKey []string
	// Customization is true when /clusterLicensing has customizations.
	Customization bool
	// Doc is the cluster's /clusterLicensing/raw, nil when foreign or
	// unread; Raw its text as read.
	Doc *bridgeDoc
	Raw string
	// Writer is the bridge the document is read from and written to: the
	// resource is the cluster's, so one member suffices.
	Writer int
}

// licensed reports whether a licence feature may be used: activated, or
// in its grace period.
func licensed(f *cms.LicenseFeature) bool {
	return f != nil && (f.Status == "activated" || f.Status == "grace")
}

func limitOf(l *cms.LicenseFeatures, name string) int {
	f := l.Feature(name)
	if !licensed(f) || f.Limit == nil {
		return 0
	}
	return *f.Limit
}

// bridgeTimeout bounds the reads of one bridge so that a dead one does not
// hold up the evaluation of the others.
const bridgeTimeout = 10 * time.Second

// readCluster reads the licence state of cluster cl. prev is the previous
// reading, kept for bridges that do not answer.
func (s *Service) readCluster(ctx context.Context, cl servers.Cluster, prev *clusterInfo) *clusterInfo {
	info := &clusterInfo{ID: cl.ID, Name: cl.DisplayName}
	for _, b := range cl.Bridges {
		bctx, cancel := context.WithTimeout(ctx, bridgeTimeout)
		c, err := s.bridges.Client(bctx, b.ID)
		var lic *cms.LicenseFeatures
		if err == nil {
			lic, err = c.Licensing(bctx)
		}
		if err != nil {
			cancel()
			s.log.DebugContext(ctx, "licence files not read", "bridge", b.ID, "error", err)
			continue
		}
		for _, f := range lic.Features {
			if f.Status != "" && f.Status != "noLicense" {
				info.LicenseFile = true
			}
		}
		if !licensed(lic.Feature("callBridge")) && !licensed(lic.Feature("callBridgeNoEncryption")) {
			info.MissingKey = append(info.MissingKey, b.DisplayName)
		}
		info.Installed.PMPPlus += limitOf(lic, "personal")
		info.Installed.SMPPlus += limitOf(lic, "shared")
		info.Installed.Recording += limitOf(lic, "recording")
		info.Installed.Streaming += limitOf(lic, "streaming")
		if !info.Reached {
			if cl, err := c.ClusterLicensing(bctx); err == nil {
				info.Customization = licensed(cl.Feature("customizations"))
				if raw, err := c.ClusterLicensingRaw(bctx); err == nil {
					info.Raw = raw
					info.Doc, _ = parseBridgeDoc(raw)
					info.Writer = b.ID
					info.Reached = true
				}
			}
		}
		cancel()
	}
	if !info.Reached && prev != nil {
		prev.Name = cl.DisplayName
		return prev
	}
	return info
}
