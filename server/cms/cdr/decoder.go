package cdr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
)

// BatchError is a batch that cannot be read any further: broken XML, a
// root element other than <records>, or input that ends inside it.
type BatchError struct {
	// Line and Column locate the problem in the input (1-based).
	Line, Column int
	// Records is the number of records read completely before the problem.
	Records int
	// InRecord is the position (from 1) of the record the problem is in,
	// or 0 when it is outside any record.
	InRecord int
	// LastCorrelatorIndex is the correlatorIndex of the last record read,
	// valid when Records > 0.
	LastCorrelatorIndex uint64
	Err                 error
}

// Error names the position, the last good record and the cause.
func (e *BatchError) Error() string {
	where := "before the first record"
	if e.Records > 0 {
		where = fmt.Sprintf("after record %d (correlatorIndex %d)", e.Records, e.LastCorrelatorIndex)
	}
	if e.InRecord > 0 {
		where = fmt.Sprintf("in record %d, %s", e.InRecord, where)
	}
	return fmt.Sprintf("cdr: batch broken at line %d, column %d, %s: %v", e.Line, e.Column, where, e.Err)
}

// Unwrap returns the cause.
func (e *BatchError) Unwrap() error { return e.Err }

// RecordError is one record with a bad value. The record is returned
// alongside with what could be read, and decoding goes on with the next.
type RecordError struct {
	// N is the record's position in the batch, from 1.
	N int
	// Line is where the record starts.
	Line int
	Type Type
	Err  error
}

// Error names the record and the bad value.
func (e *RecordError) Error() string {
	return fmt.Sprintf("cdr: record %d (type %q, line %d): %v", e.N, e.Type, e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// Decoder reads the records of one batch from a stream.
type Decoder struct {
	base    *xml.Decoder // parses the bytes; knows line and column
	tr      *tracker     // counts nesting between base and d
	d       *xml.Decoder // what the decoder reads tokens and bodies from
	batch   Batch
	started bool
	err     error // sticky: a *BatchError or io.EOF
	n       int   // records started
	done    int   // records read completely
	in      bool  // inside a <record>
	lastCI  uint64
}

// NewDecoder returns a decoder reading one <records> batch from r.
func NewDecoder(r io.Reader) *Decoder {
	base := xml.NewDecoder(r)
	base.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if l := strings.ToLower(label); l == "utf-8" || l == "us-ascii" {
			return in, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	tr := &tracker{d: base}
	return &Decoder{base: base, tr: tr, d: xml.NewTokenDecoder(tr)}
}

// tracker passes tokens through and counts element nesting, which
// encoding/xml does not expose, so that the decoder can find the end of a
// body whose decoding stopped half-way on a bad value.
type tracker struct {
	d     *xml.Decoder
	depth int
}

// Token returns the next token of the underlying decoder.
func (t *tracker) Token() (xml.Token, error) {
	tok, err := t.d.Token()
	switch tok.(type) {
	case xml.StartElement:
		t.depth++
	case xml.EndElement:
		t.depth--
	}
	return tok, err
}

// Batch returns the envelope, reading up to <records> if needed.
func (dec *Decoder) Batch() (Batch, error) {
	if err := dec.start(); err != nil {
		return Batch{}, err
	}
	return dec.batch, nil
}

func (dec *Decoder) fail(err error) error {
	line, col := dec.base.InputPos()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		// The syntax error's own line is where the parser noticed it.
		line = se.Line
		err = errors.New(se.Msg)
		if se.Msg == "unexpected EOF" {
			err = errors.New("input ends before </records>")
		}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("input ends before </records>")
	}
	be := &BatchError{Line: line, Column: col, Records: dec.done, LastCorrelatorIndex: dec.lastCI, Err: err}
	if dec.in {
		be.InRecord = dec.n
	}
	dec.err = be
	return dec.err
}

func (dec *Decoder) start() error {
	if dec.started {
		return nil
	}
	if dec.err != nil {
		return dec.err
	}
	for {
		tok, err := dec.d.Token()
		if err == io.EOF {
			return dec.fail(errors.New("no <records> element"))
		}
		if err != nil {
			return dec.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "records" {
				return dec.fail(fmt.Errorf("root element is <%s>, want <records>", t.Name.Local))
			}
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "session":
					dec.batch.Session = a.Value
				case "callBridge":
					dec.batch.CallBridge = a.Value
				}
			}
			dec.started = true
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return dec.fail(errors.New("text before <records>"))
			}
		}
	}
}

// Next returns the next record, or io.EOF after </records>. A
// *RecordError comes with the record it spoils (the caller may log it and
// go on); a *BatchError is final and is returned again by later calls.
func (dec *Decoder) Next() (*Record, error) {
	if err := dec.start(); err != nil {
		return nil, err
	}
	if dec.err != nil {
		return nil, dec.err
	}
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return nil, dec.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "record" {
				// Not a record: an addition of a later release. Skip it.
				if err := dec.d.Skip(); err != nil {
					return nil, dec.fail(err)
				}
				continue
			}
			return dec.record(t)
		case xml.EndElement:
			// Strict decoding guarantees this is </records>.
			return nil, dec.finish()
		}
	}
}

// finish checks that nothing but whitespace, comments and processing
// instructions follow </records>.
func (dec *Decoder) finish() error {
	for {
		tok, err := dec.d.Token()
		if err == io.EOF {
			dec.err = io.EOF
			return io.EOF
		}
		if err != nil {
			return dec.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return dec.fail(fmt.Errorf("second root element <%s> after </records>", t.Name.Local))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return dec.fail(errors.New("text after </records>"))
			}
		}
	}
}

// All iterates over the remaining records; it stops after yielding a
// *BatchError, and yields each *RecordError with its record.
func (dec *Decoder) All() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for {
			r, err := dec.Next()
			if err == io.EOF {
				return
			}
			if !yield(r, err) {
				return
			}
			var be *BatchError
			if errors.As(err, &be) {
				return
			}
		}
	}
}

func (dec *Decoder) record(start xml.StartElement) (*Record, error) {
	dec.n++
	dec.in = true
	line, _ := dec.base.InputPos()
	rec := &Record{Session: dec.batch.Session, CallBridge: dec.batch.CallBridge}
	var bad []error
	for _, a := range start.Attr {
		var err error
		switch a.Name.Local {
		case "type":
			rec.Type = Type(a.Value)
		case "time":
			rec.Time, err = time.Parse(time.RFC3339, a.Value)
		case "recordIndex":
			rec.RecordIndex, err = strconv.ParseUint(a.Value, 10, 64)
		case "correlatorIndex":
			rec.CorrelatorIndex, err = strconv.ParseUint(a.Value, 10, 64)
		case "numPreceedingRecordsMissing", "numPrecedingRecordsMissing":
			rec.NumPrecedingRecordsMissing, err = strconv.ParseUint(a.Value, 10, 64)
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("attribute %s=%q: %w", a.Name.Local, a.Value, unwrapNum(err)))
		}
	}
	if rec.Type == "" {
		bad = append(bad, errors.New("no type attribute"))
	}
	want := bodyElement[rec.Type]
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return nil, dec.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != want || rec.Body() != nil {
				var raw cms.RawElement
				if err := dec.d.DecodeElement(&raw, &t); err != nil {
					return nil, dec.fail(err)
				}
				rec.Unknown = append(rec.Unknown, raw)
				continue
			}
			if err := dec.body(rec, &t); err != nil {
				if be := new(BatchError); errors.As(err, &be) {
					return nil, err
				}
				bad = append(bad, err)
			}
		case xml.EndElement:
			dec.in = false
			dec.done++
			dec.lastCI = rec.CorrelatorIndex
			if len(bad) > 0 {
				return rec, &RecordError{N: dec.n, Line: line, Type: rec.Type, Err: errors.Join(bad...)}
			}
			return rec, nil
		}
	}
}

// body decodes the typed body. A value that does not parse (say, a
// durationSeconds of "abc") leaves encoding/xml inside the body; body
// then reads on to </record>'s child end so the batch can continue.
func (dec *Decoder) body(rec *Record, start *xml.StartElement) error {
	var v any
	switch rec.Type {
	case CallStart:
		rec.CallStart = new(CallStartBody)
		v = rec.CallStart
	case CallEnd:
		rec.CallEnd = new(CallEndBody)
		v = rec.CallEnd
	case CallLegStart:
		rec.CallLegStart = new(CallLegStartBody)
		v = rec.CallLegStart
	case CallLegUpdate:
		rec.CallLegUpdate = new(CallLegUpdateBody)
		v = rec.CallLegUpdate
	case CallLegEnd:
		rec.CallLegEnd = new(CallLegEndBody)
		v = rec.CallLegEnd
	case RecordingStart:
		rec.RecordingStart = new(MediaBody)
		v = rec.RecordingStart
	case RecordingEnd:
		rec.RecordingEnd = new(MediaBody)
		v = rec.RecordingEnd
	case StreamingStart:
		rec.StreamingStart = new(MediaBody)
		v = rec.StreamingStart
	case StreamingEnd:
		rec.StreamingEnd = new(MediaBody)
		v = rec.StreamingEnd
	}
	depth := dec.depth()
	err := dec.d.DecodeElement(v, start)
	if err == nil {
		return nil
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return dec.fail(err)
	}
	// A value error: skip to the end of the body element.
	for dec.depth() >= depth {
		if _, terr := dec.d.Token(); terr != nil {
			return dec.fail(terr)
		}
	}
	return fmt.Errorf("<%s>: %w", start.Name.Local, unwrapNum(err))
}

func (dec *Decoder) depth() int { return dec.tr.depth }

// unwrapNum shortens strconv's messages ("strconv.ParseUint: parsing
// "x": invalid syntax") to the part an administrator can act on.
func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%q is not a valid number", ne.Num)
	}
	return err
}
