package cdr

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"regexp"
	"testing"
)

// benchBatch is a batch of n records: the golden all-types batch repeated,
// so the mix is every record type with realistic bodies.
func benchBatch(b *testing.B) ([]byte, int) {
	b.Helper()
	golden, err := os.ReadFile("testdata/all_types.xml")
	if err != nil {
		b.Fatal(err)
	}
	records := regexp.MustCompile(`(?s)<record .*</record>`).Find(golden)
	per := bytes.Count(records, []byte("<record "))
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0"?>` + "\n" + `<records session="0f1e2d3c-4b5a-4969-8877-665544332211" callBridge="c0b1d2e3-f405-4617-8829-3a4b5c6d7e8f">` + "\n")
	const reps = 200
	for range reps {
		buf.Write(records)
		buf.WriteByte('\n')
	}
	buf.WriteString("</records>\n")
	return buf.Bytes(), reps * per
}

// BenchmarkDecoder measures this package's decoder.
func BenchmarkDecoder(b *testing.B) {
	in, n := benchBatch(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(in))
		got := 0
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("decoded %d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTokenLoop is the practical ceiling: encoding/xml producing the
// tokens of the same bytes with nothing done with them.
func BenchmarkTokenLoop(b *testing.B) {
	in, n := benchBatch(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(in))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTokenLoopLayered is the token loop through the same two-layer
// decoder the Decoder uses (a nesting counter between two xml.Decoders),
// to tell the layering's cost from the cost of filling typed records.
func BenchmarkTokenLoopLayered(b *testing.B) {
	in, n := benchBatch(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(in)).d
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
