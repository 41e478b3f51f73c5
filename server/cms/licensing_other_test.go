package cms

import (
	"encoding/xml"
	"math"
	"testing"
)

// A licence type the client does not know is kept by name with its value
// (LI-13); children that are not a plain decimal are not licence counts.
func TestLicenseUsageOtherTypes(t *testing.T) {
	var u LicenseUsage
	in := `<entry time="2026-03-01T10:00:00Z"><smpFull>1.00</smpFull><foo>2.50</foo><bar> 3 </bar>` +
		`<foo>1</foo><nested><x>1</x></nested><word>many</word><empty/><ns:q xmlns:ns="urn:x">4</ns:q></entry>`
	if err := xml.Unmarshal([]byte(in), &u); err != nil {
		t.Fatal(err)
	}
	got := u.OtherTypes()
	if len(got) != 2 || got["foo"] != 2.5 || got["bar"] != 3 {
		t.Fatalf("other types %v, want foo 2.5 and bar 3", got)
	}
	if u.SMPFull != 1 || u.Idle() {
		t.Fatalf("known values %+v", u)
	}
	var only LicenseUsage
	if err := xml.Unmarshal([]byte(`<entry time="2026-03-01T10:00:00Z"><foo>0.25</foo></entry>`), &only); err != nil {
		t.Fatal(err)
	}
	if only.Idle() {
		t.Error("an entry using only an unknown type is idle")
	}
	var idle LicenseUsage
	if err := xml.Unmarshal([]byte(`<entry time="2026-03-01T10:00:00Z"/>`), &idle); err != nil {
		t.Fatal(err)
	}
	if idle.OtherTypes() != nil || !idle.Idle() {
		t.Errorf("idle entry: %v", idle.OtherTypes())
	}
}

// FuzzLicenseUsageOtherTypes feeds arbitrary entry contents to the decoder
// and OtherTypes: no panic, and every type kept has a name and a finite
// value, and is none of the seven known ones.
func FuzzLicenseUsageOtherTypes(f *testing.F) {
	f.Add(`<foo>2.50</foo>`)
	f.Add(`<smpFull>1</smpFull><foo>1e3</foo><foo>-1</foo>`)
	f.Add(`<a><b>1</b></a><c>NaN</c><d>Inf</d><e>&#49;</e>`)
	known := map[string]bool{"pmp": true, "pmpAssigned": true, "smpAud": true, "smpPtP": true, "smpFull": true, "rec": true, "str": true}
	f.Fuzz(func(t *testing.T, inner string) {
		var u LicenseUsage
		if err := xml.Unmarshal([]byte(`<entry time="2026-03-01T10:00:00Z">`+inner+`</entry>`), &u); err != nil {
			return
		}
		for name, v := range u.OtherTypes() {
			if name == "" || known[name] || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("kept %q = %v from %q", name, v, inner)
			}
		}
		_ = u.Idle()
	})
}
