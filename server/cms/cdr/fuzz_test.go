package cdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to the decoder. It must never panic
// or loop, every record it hands out must render as JSON (the debug
// command prints them), a *BatchError must be final and sticky, and a
// *RecordError must come with its record.
func FuzzDecoder(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<records session="s"><record type="callEnd" recordIndex="x"><call id="c"><durationSeconds>z</durationSeconds></call></record></records>`))
	f.Add([]byte(`<records><record type="callLegUpdate"><callLeg id="l"><ivr>false</ivr></callLeg></record>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(bytes.NewReader(in))
		for i := 0; ; i++ {
			if i > len(in)+1 {
				t.Fatalf("more records (%d) than input bytes", i)
			}
			r, err := d.Next()
			if err == io.EOF {
				if _, again := d.Next(); again != io.EOF {
					t.Fatalf("io.EOF not sticky: %v", again)
				}
				return
			}
			var be *BatchError
			if errors.As(err, &be) {
				if r != nil {
					t.Fatalf("a batch error came with a record")
				}
				if _, again := d.Next(); again != err {
					t.Fatalf("batch error not sticky: %v then %v", err, again)
				}
				if be.Error() == "" {
					t.Fatal("empty message")
				}
				return
			}
			var re *RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if r == nil {
				t.Fatalf("no record and no batch error (err %v)", err)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("record does not render as JSON: %v", err)
			}
		}
	})
}
