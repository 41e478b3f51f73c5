package cmssim

// /clusterLicensing/raw is the resource CMS keeps for Cisco Meeting
// Management alone: the management product pushes the licence state of
// Smart licensing there and reads it back (cms-api.md §4; the format is
// undocumented). The simulator stores one opaque text per cluster, shared
// by every member as the cluster database is, and counts the writes so
// that tests can see what a bridge was told. It is written as a form
// field `data` (the API's writes are form-encoded) and read back as
// <clusterLicensingRaw><data>…</data></clusterLicensingRaw>.

// maxRawLicensing bounds the stored text; the bridge refuses more.
const maxRawLicensing = 64 << 10

func getClusterLicensingRaw(c *reqCtx) (*resp, *apiError) {
	w := newXW()
	w.open("clusterLicensingRaw")
	w.leaf("data", c.cl.licRaw)
	w.close("clusterLicensingRaw")
	return xmlResp(w), nil
}

func putClusterLicensingRaw(c *reqCtx) (*resp, *apiError) {
	v, present := c.form["data"]
	if !present || len(v) != 1 {
		return nil, paramError("data", "required")
	}
	if len(v[0]) > maxRawLicensing {
		return nil, paramError("data", "valueTooLong")
	}
	c.cl.licRaw = v[0]
	c.cl.licRawWrites++
	return ok, nil
}

// LicensingRaw returns the text last written to /clusterLicensing/raw and
// the number of writes so far.
func (cl *Cluster) LicensingRaw() (data string, writes int) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.licRaw, cl.licRawWrites
}

// SetLicensingRaw replaces the stored text as another management
// instance would (not counted as a write).
func (cl *Cluster) SetLicensingRaw(data string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.licRaw = data
}
