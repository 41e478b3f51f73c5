package cms

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeReply feeds arbitrary bytes to the reply decoder. It must not
// panic, a decoded reply must render as JSON (the debug command prints
// it), and an error must say something.
func FuzzDecodeReply(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><coSpace id="x"><name>Caf` + "\xe9" + `</name></coSpace>`))
	f.Add([]byte(`<callLegs total="1"><callLeg id="a"><alarms><packetLoss/></alarms><x xmlns:y="u" y:z="1"><?pi x?><!-- c --></x></callLeg></callLegs>`))
	f.Add([]byte(`<licensing><features><recording><limit/><status>grace</status></recording><x/></features><features/></licensing>`))
	f.Add([]byte(`<MPLicenseUsage total="2"><entry time="2019-05-16T18:44:52Z"/><entry time="2019-05-16T18:49:52+01:00"><smpFull>1e3</smpFull></entry></MPLicenseUsage>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeReply(bytes.NewReader(in))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if r.Kind == "" || r.Value == nil {
			t.Fatalf("decoded reply without kind or value: %+v", r)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("reply %s does not render as JSON: %v", r.Kind, err)
		}
		// The same bytes through the HTTP error path must not panic either.
		_ = parseFailure("GET", "x", 400, in)
	})
}
