// Package logging builds the process logger. Attribute values under keys that
// name secrets are replaced before anything is written, as a last line of
// defence: code should never log a secret in the first place.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing text or JSON at the given level.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: redact}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
}

// Redacted is what a secret value is replaced with.
const Redacted = "[REDACTED]"

var secretKeyParts = []string{"password", "secret", "token", "authorization", "cookie", "private_key", "credential"}

// IsSecretKey reports whether an attribute or config key names a secret.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, part := range secretKeyParts {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

func redact(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindGroup && IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}
