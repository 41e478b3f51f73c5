package cms

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// Scalar is the set of value types a form parameter can carry.
type Scalar interface {
	~string | ~bool | ~int | ~int64 | ~float64
}

// Field is one parameter of a POST or PUT body. A Call Bridge treats the
// three states differently: a parameter left out keeps its current value,
// one sent empty is cleared (reverts to its default or to what a profile
// says), and one sent with a value is changed. The zero Field is "left
// out", so a request struct only names what it changes.
type Field[T Scalar] struct {
	state fieldState
	v     T
}

type fieldState uint8

const (
	omitted fieldState = iota
	cleared
	valued
)

// Set returns a Field that sends v.
func Set[T Scalar](v T) Field[T] { return Field[T]{state: valued, v: v} }

// Clear returns a Field that is sent empty, which clears the parameter on
// the bridge.
func Clear[T Scalar]() Field[T] { return Field[T]{state: cleared} }

// Value returns the value and whether one is set (false when left out or
// cleared).
func (f Field[T]) Value() (T, bool) { return f.v, f.state == valued }

// IsOmitted reports whether the parameter is left out of the request.
func (f Field[T]) IsOmitted() bool { return f.state == omitted }

// IsCleared reports whether the parameter is sent empty.
func (f Field[T]) IsCleared() bool { return f.state == cleared }

// formValue is how encodeForm reads any Field without knowing T.
func (f Field[T]) formValue() (string, bool) {
	switch f.state {
	case omitted:
		return "", false
	case cleared:
		return "", true
	}
	return formatScalar(reflect.ValueOf(f.v)), true
}

type formField interface{ formValue() (string, bool) }

func formatScalar(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	return v.String()
}

// Form is an ordered list of form parameters, the body of a POST or PUT.
// Use it for parameters that have no typed request struct; Set with ""
// clears a parameter, exactly like Clear on a Field.
type Form struct {
	names, values []string
}

// Set appends name=value (replacing an earlier value of name).
func (f *Form) Set(name, value string) *Form {
	for i, n := range f.names {
		if n == name {
			f.values[i] = value
			return f
		}
	}
	f.names = append(f.names, name)
	f.values = append(f.values, value)
	return f
}

// Get returns the value of name and whether it is present.
func (f *Form) Get(name string) (string, bool) {
	for i, n := range f.names {
		if n == name {
			return f.values[i], true
		}
	}
	return "", false
}

// Len returns the number of parameters.
func (f *Form) Len() int { return len(f.names) }

// Encode returns the application/x-www-form-urlencoded body, parameters in
// the order they were set.
func (f *Form) Encode() string {
	var b strings.Builder
	for i, n := range f.names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(n))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.values[i]))
	}
	return b.String()
}

// FormOf encodes a request struct: every Field with a `form:"name"` tag,
// in declaration order (embedded structs included), skipping the ones
// left out. It is exported so that code with its own request structs can
// reuse the same rules.
func FormOf(req any) *Form {
	f := &Form{}
	if req == nil {
		return f
	}
	v := reflect.ValueOf(req)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return f
		}
		v = v.Elem()
	}
	appendStruct(f, v)
	return f
}

func appendStruct(f *Form, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		fv := v.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			appendStruct(f, fv)
			continue
		}
		name := sf.Tag.Get("form")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		ff, ok := fv.Interface().(formField)
		if !ok {
			continue
		}
		if s, send := ff.formValue(); send {
			f.Set(name, s)
		}
	}
}
