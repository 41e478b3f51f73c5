package users

import (
	"context"

	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/settings"
)

// policyKey is where the Policy is stored. It belongs to the configuration
// part of a backup; the dictionary, in its own table, to the database part
// (AU-29).
const policyKey = "users.security_policy"

// Defaults of the local security policy (AU-19, AU-21, AU-24).
const (
	DefaultMinLength = 8
	DefaultWordCount = 5
	MaxRemembered    = 24
)

// LengthPolicy is the minimum password length rule.
type LengthPolicy struct {
	Enabled   bool `json:"enabled"`
	MinLength int  `json:"min_length"`
}

// ReusePolicy forbids the last Remembered passwords, the current one
// included. Remembered is 0 until an administrator enters a value.
type ReusePolicy struct {
	Enabled    bool `json:"enabled"`
	Remembered int  `json:"remembered_passwords,omitempty"`
}

// StrengthPolicy refuses common, repetitive, sequential and context words.
type StrengthPolicy struct {
	Enabled bool `json:"enabled"`
}

// GeneratorPolicy configures passphrase suggestions.
type GeneratorPolicy struct {
	Enabled   bool `json:"enabled"`
	WordCount int  `json:"word_count"`
}

// Policy is the local security policy. It applies only when users change
// their own password (AU-20, AU-22).
type Policy struct {
	Length    LengthPolicy    `json:"length"`
	Reuse     ReusePolicy     `json:"reuse"`
	Strength  StrengthPolicy  `json:"strength"`
	Generator GeneratorPolicy `json:"generator"`
}

// DefaultPolicy is a fresh installation's: everything off.
func DefaultPolicy() Policy {
	return Policy{
		Length:    LengthPolicy{MinLength: DefaultMinLength},
		Generator: GeneratorPolicy{WordCount: DefaultWordCount},
	}
}

// Policy returns the policy in force.
func (s *Service) Policy(ctx context.Context) (Policy, error) {
	p := DefaultPolicy()
	_, err := settings.Get(ctx, s.db, policyKey, &p)
	return p, err
}

// PolicyUpdate holds the sections to replace; nil leaves one alone. Zero
// numbers mean "not given".
type PolicyUpdate struct {
	Length    *LengthPolicy
	Reuse     *ReusePolicy
	Strength  *StrengthPolicy
	Generator *GeneratorPolicy
}

// UpdatePolicy validates and stores the sections given (AU-19…AU-26).
func (s *Service) UpdatePolicy(ctx context.Context, u PolicyUpdate) (Policy, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "local security policy" })
	p, err := s.Policy(ctx)
	if err != nil {
		return p, err
	}
	if l := u.Length; l != nil {
		next := *l
		if next.MinLength == 0 {
			next.MinLength = DefaultMinLength
		}
		if next.MinLength < 1 || next.MinLength > 1024 {
			return p, errs.Invalid("password_length.min_length", "must be between 1 and 1024")
		}
		p.Length = next
	}
	if r := u.Reuse; r != nil {
		next := *r
		if next.Enabled && next.Remembered == 0 {
			return p, errs.Invalid("password_reuse.remembered_passwords", "is required to enable the reuse policy")
		}
		if next.Remembered < 0 || next.Remembered > MaxRemembered {
			return p, errs.Invalid("password_reuse.remembered_passwords", "must be between 1 and 24")
		}
		p.Reuse = next
	}
	if st := u.Strength; st != nil {
		p.Strength = *st
	}
	if g := u.Generator; g != nil {
		next := *g
		if next.WordCount == 0 {
			next.WordCount = p.Generator.WordCount
		}
		if next.WordCount < 1 || next.WordCount > 8 {
			return p, errs.Invalid("passphrase_generator.word_count", "must be between 1 and 8")
		}
		if next.Enabled {
			// The built-in list makes AU-26's "no dictionary" case
			// impossible, but an empty upload is still refused here.
			d, err := s.dictionary(ctx)
			if err != nil {
				return p, err
			}
			if d.info.WordCount == 0 {
				return p, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
					"upload a passphrase dictionary before enabling the generator")
			}
		}
		p.Generator = next
	}
	return p, settings.Put(ctx, s.db, policyKey, p)
}

// Requirements says what ChangeOwnPassword checks, for the console.
type Requirements struct {
	MinLength             int
	RememberedPasswords   int
	StrengthCheck         bool
	PassphraseSuggestions bool
}

// Requirements returns the rules in force for own password changes.
func (s *Service) Requirements(ctx context.Context) (Requirements, error) {
	p, err := s.Policy(ctx)
	if err != nil {
		return Requirements{}, err
	}
	r := Requirements{StrengthCheck: p.Strength.Enabled, PassphraseSuggestions: p.Generator.Enabled}
	if p.Length.Enabled {
		r.MinLength = p.Length.MinLength
	}
	if p.Reuse.Enabled {
		r.RememberedPasswords = p.Reuse.Remembered
	}
	return r, nil
}
