package cmssim

import (
	"bytes"
	"encoding/xml"
	"strconv"
)

// xw writes the small XML documents CMS answers with. It is hand-rolled
// rather than encoding/xml marshalling because CMS documents are mostly
// optional elements in a fixed order, empty elements are self-closing
// (<ownerName/>), and the simulator wants that exact shape.
type xw struct {
	b bytes.Buffer
}

func newXW() *xw {
	w := &xw{}
	w.b.WriteString(`<?xml version="1.0"?>` + "\n")
	return w
}

// fragment returns a writer without the XML declaration, for CDR bodies.
func fragment() *xw {
	w := &xw{}
	w.b.Grow(1024)
	return w
}

func (w *xw) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(kv[i])
		w.b.WriteString(`="`)
		escape(&w.b, kv[i+1])
		w.b.WriteByte('"')
	}
}

// open writes a start tag with attribute name/value pairs.
func (w *xw) open(name string, kv ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.attrs(kv)
	w.b.WriteByte('>')
}

// empty writes a self-closing element with attribute name/value pairs.
func (w *xw) empty(name string, kv ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.attrs(kv)
	w.b.WriteString("/>")
}

// close writes an end tag.
func (w *xw) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// leaf writes <name>text</name>, or <name/> when text is empty.
func (w *xw) leaf(name, text string) {
	if text == "" {
		w.empty(name)
		return
	}
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.b.WriteByte('>')
	escape(&w.b, text)
	w.close(name)
}

// opt writes a leaf only when text is not empty.
func (w *xw) opt(name, text string) {
	if text != "" {
		w.leaf(name, text)
	}
}

func (w *xw) boolLeaf(name string, v bool) { w.leaf(name, strconv.FormatBool(v)) }

func (w *xw) intLeaf(name string, v int64) { w.leaf(name, strconv.FormatInt(v, 10)) }

func (w *xw) bytes() []byte { return w.b.Bytes() }

func escape(b *bytes.Buffer, s string) {
	// Most values (ids, numbers, names) need no escaping; skip the copy.
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<', c == '>', c == '&', c == '"', c == '\'', c < 0x20, c >= 0x80:
			_ = xml.EscapeText(b, []byte(s))
			return
		}
	}
	b.WriteString(s)
}
