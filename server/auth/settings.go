package auth

import (
	"context"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/settings"
)

// signInSettingsKey is where SignInSettings are stored.
const signInSettingsKey = "auth.sign_in"

// Defaults of the sign-in settings (AU-42, AU-47, ST-51, ST-52).
const (
	DefaultRefillSeconds      = 300
	DefaultMaxTokens          = 3
	DefaultIdleTimeoutSeconds = 3600
	MinIdleTimeoutSeconds     = 60
	MaxIdleTimeoutSeconds     = 86400
	// MaxMessageLength bounds each sign-in message, in characters (AU-58).
	MaxMessageLength = 4096
)

// RateLimit is the per-username sign-in token bucket configuration.
type RateLimit struct {
	Enabled       bool `json:"enabled"`
	RefillSeconds int  `json:"refill_seconds"`
	MaxTokens     int  `json:"max_tokens"`
}

func (r RateLimit) interval() time.Duration { return time.Duration(r.RefillSeconds) * time.Second }

// IdleTimeout ends sessions without user interaction.
type IdleTimeout struct {
	Enabled        bool `json:"enabled"`
	TimeoutSeconds int  `json:"timeout_seconds"`
}

// Duration is the timeout, or 0 when it is off.
func (i IdleTimeout) Duration() time.Duration {
	if !i.Enabled {
		return 0
	}
	return time.Duration(i.TimeoutSeconds) * time.Second
}

// Messages are the plain-text sign-in messages.
type Messages struct {
	PreSignIn           string `json:"pre_sign_in"`
	PostSignIn          string `json:"post_sign_in"`
	ShowAccountActivity bool   `json:"show_account_activity"`
}

// SignInSettings are the administrator's sign-in settings. They are read
// from the database on every use, so a change applies at once everywhere.
type SignInSettings struct {
	RateLimit   RateLimit   `json:"rate_limit"`
	IdleTimeout IdleTimeout `json:"idle_timeout"`
	Messages    Messages    `json:"messages"`
}

// DefaultSignInSettings are those of a fresh installation: rate limiting on
// (secure by default, SPEC §12 A6), idle timeout off, no messages.
func DefaultSignInSettings() SignInSettings {
	return SignInSettings{
		RateLimit:   RateLimit{Enabled: true, RefillSeconds: DefaultRefillSeconds, MaxTokens: DefaultMaxTokens},
		IdleTimeout: IdleTimeout{Enabled: false, TimeoutSeconds: DefaultIdleTimeoutSeconds},
	}
}

// SignInSettings returns the settings in force.
func (s *Service) SignInSettings(ctx context.Context) (SignInSettings, error) {
	v := DefaultSignInSettings()
	if _, err := settings.Get(ctx, s.db, signInSettingsKey, &v); err != nil {
		return SignInSettings{}, err
	}
	return v, nil
}

// SignInSettingsUpdate holds the sections to replace; nil leaves one alone.
// Zero numbers mean "the default".
type SignInSettingsUpdate struct {
	RateLimit   *RateLimit
	IdleTimeout *IdleTimeout
	Messages    *Messages
}

// UpdateSignInSettings validates and stores the sections given and returns
// the settings now in force.
func (s *Service) UpdateSignInSettings(ctx context.Context, u SignInSettingsUpdate) (SignInSettings, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "sign-in settings" })
	cur, err := s.SignInSettings(ctx)
	if err != nil {
		return cur, err
	}
	if r := u.RateLimit; r != nil {
		next := *r
		if next.RefillSeconds == 0 {
			next.RefillSeconds = cur.RateLimit.RefillSeconds
		}
		if next.MaxTokens == 0 {
			next.MaxTokens = cur.RateLimit.MaxTokens
		}
		if next.RefillSeconds < 1 || next.RefillSeconds > 86400 {
			return cur, errs.Invalid("rate_limit.refill_seconds", "must be between 1 and 86400")
		}
		if next.MaxTokens < 1 || next.MaxTokens > 1000 {
			return cur, errs.Invalid("rate_limit.max_tokens", "must be between 1 and 1000")
		}
		cur.RateLimit = next
	}
	if i := u.IdleTimeout; i != nil {
		next := *i
		if next.TimeoutSeconds == 0 {
			next.TimeoutSeconds = DefaultIdleTimeoutSeconds
		}
		if next.TimeoutSeconds < MinIdleTimeoutSeconds || next.TimeoutSeconds > MaxIdleTimeoutSeconds {
			return cur, errs.Invalid("idle_timeout.timeout_seconds", "must be between 60 and 86400 seconds")
		}
		cur.IdleTimeout = next
	}
	if m := u.Messages; m != nil {
		for field, text := range map[string]string{"messages.pre_sign_in_message": m.PreSignIn, "messages.post_sign_in_message": m.PostSignIn} {
			if err := checkMessage(field, text); err != nil {
				return cur, err
			}
		}
		cur.Messages = *m
	}
	if err := settings.Put(ctx, s.db, signInSettingsKey, cur); err != nil {
		return cur, err
	}
	return cur, nil
}

func checkMessage(field, text string) error {
	if n := len([]rune(text)); n > MaxMessageLength {
		return errs.Invalid(field, "must be at most 4096 characters")
	}
	if strings.ContainsRune(text, 0) {
		return errs.Invalid(field, "must not contain NUL characters")
	}
	return nil
}

// PreSignInMessage returns the text shown before the sign-in form (AU-54).
func (s *Service) PreSignInMessage(ctx context.Context) (string, error) {
	st, err := s.SignInSettings(ctx)
	return st.Messages.PreSignIn, err
}
