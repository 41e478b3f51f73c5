// Package paging implements the list conventions of docs/api-design.md:
// page_size defaults to 50 and is capped at 1000, and page tokens are
// opaque cursors that the server alone interprets.
package paging

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// The page size rules (IM-01).
const (
	DefaultSize = 50
	MaxSize     = 1000
)

// Size returns the effective page size for a requested one.
func Size(requested int) int {
	switch {
	case requested <= 0:
		return DefaultSize
	case requested > MaxSize:
		return MaxSize
	default:
		return requested
	}
}

// Token encodes a cursor: the sort key of the last item of a page. kind
// names the list, so a token from one list is refused by another.
func Token(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + key))
}

// IntToken is Token for an integer key.
func IntToken(kind string, key int) string { return Token(kind, strconv.Itoa(key)) }

// Cursor decodes a token made by Token for the same kind; an empty token
// is the first page (ok false).
func Cursor(kind, token string) (key string, ok bool, err error) {
	if token == "" {
		return "", false, nil
	}
	raw, derr := base64.RawURLEncoding.DecodeString(token)
	k, rest, found := strings.Cut(string(raw), "\x00")
	if derr != nil || !found || k != kind {
		return "", false, errs.Invalid("page_token", "is not a page token of this list; start again without one")
	}
	return rest, true, nil
}

// IntCursor is Cursor for an integer key.
func IntCursor(kind, token string) (int, bool, error) {
	key, ok, err := Cursor(kind, token)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, err := strconv.Atoi(key)
	if err != nil {
		return 0, false, errs.Invalid("page_token", "is not a page token of this list; start again without one")
	}
	return n, true, nil
}
