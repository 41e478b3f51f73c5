package auth

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/ratelimitbucket"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// The sign-in rate limiter (AU-42…AU-46) is a token bucket per username,
// known or not.
//
// The buckets live in the database, not in memory. Several Switchboard
// instances may share one PostgreSQL database behind a load balancer; with
// in-memory buckets an attacker would get max_tokens guesses per instance
// and per restart, and a user's lock-out would depend on which instance
// answered. In the database the limit is global and survives restarts. The
// cost is one or two small writes per sign-in attempt, next to an argon2id
// verification that costs tens of milliseconds anyway. Updates are
// compare-and-swap on a version column, which needs no row locks and works
// the same on SQLite and PostgreSQL. A missing row is a full bucket, and
// the session sweeper deletes rows that have refilled, so the table only
// holds usernames with recent failures.
//
// A token is reserved before the credentials are checked and given back
// when they were right (or the directory could not be asked), so that
// concurrent attempts cannot overdraw the bucket, and a success neither
// consumes nor refills it.

// RateLimitedMessage is what users see when their bucket is empty (AU-44).
const RateLimitedMessage = "Too many sign in attempts. Please try again later"

var errRateLimited = errs.New(errs.ResourceExhausted, errs.ReasonRateLimited, RateLimitedMessage)

const casAttempts = 8

// refill returns the bucket's tokens at now and the start of the current
// refill interval.
func refill(tokens int, base, now time.Time, cfg RateLimit) (int, time.Time) {
	if tokens >= cfg.MaxTokens {
		return cfg.MaxTokens, now
	}
	k := 0
	if d := now.Sub(base); d > 0 {
		k = int(d / cfg.interval())
	}
	tokens += k
	if tokens >= cfg.MaxTokens {
		return cfg.MaxTokens, now
	}
	return tokens, base.Add(time.Duration(k) * cfg.interval())
}

// reserveAttempt takes a token from username's bucket, or fails with
// RATE_LIMITED when it is empty.
func (s *Service) reserveAttempt(ctx context.Context, username string, cfg RateLimit) error {
	for range casAttempts {
		now := s.opts.Now().UTC()
		row, err := s.db.RateLimitBucket.Query().Where(ratelimitbucket.Username(username)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return database.Translate(err)
		}
		tokens, base := cfg.MaxTokens, now
		if row != nil {
			tokens, base = refill(row.Tokens, row.RefillBase, now, cfg)
		}
		if tokens <= 0 {
			return errRateLimited
		}
		if tokens >= cfg.MaxTokens {
			base = now // the refill clock starts with the first token taken
		}
		if row == nil {
			err = s.db.RateLimitBucket.Create().SetUsername(username).SetTokens(tokens - 1).SetRefillBase(base).Exec(ctx)
			if err == nil {
				return nil
			}
			if errs.KindOf(database.Translate(err)) == errs.AlreadyExists {
				continue
			}
			return database.Translate(err)
		}
		n, err := s.db.RateLimitBucket.Update().
			Where(ratelimitbucket.ID(row.ID), ratelimitbucket.Version(row.Version)).
			SetTokens(tokens - 1).SetRefillBase(base).AddVersion(1).Save(ctx)
		if err != nil {
			return database.Translate(err)
		}
		if n == 1 {
			return nil
		}
	}
	return errs.New(errs.Unavailable, errs.ReasonUnavailable, "too many concurrent sign-in attempts; try again")
}

// refundAttempt gives back a token taken by reserveAttempt.
func (s *Service) refundAttempt(ctx context.Context, username string, cfg RateLimit) {
	ctx = context.WithoutCancel(ctx)
	for range casAttempts {
		now := s.opts.Now().UTC()
		row, err := s.db.RateLimitBucket.Query().Where(ratelimitbucket.Username(username)).Only(ctx)
		if ent.IsNotFound(err) {
			return // already full
		}
		if err != nil {
			s.log.WarnContext(ctx, "rate limit: cannot give a token back", "error", err)
			return
		}
		tokens, base := refill(row.Tokens, row.RefillBase, now, cfg)
		tokens++
		var n int
		if tokens >= cfg.MaxTokens {
			n, err = s.db.RateLimitBucket.Delete().
				Where(ratelimitbucket.ID(row.ID), ratelimitbucket.Version(row.Version)).Exec(ctx)
		} else {
			n, err = s.db.RateLimitBucket.Update().
				Where(ratelimitbucket.ID(row.ID), ratelimitbucket.Version(row.Version)).
				SetTokens(tokens).SetRefillBase(base).AddVersion(1).Save(ctx)
		}
		if err != nil {
			s.log.WarnContext(ctx, "rate limit: cannot give a token back", "error", err)
			return
		}
		if n == 1 {
			return
		}
	}
}

// Tokens returns the tokens left in username's bucket now, for tests and
// diagnostics.
func (s *Service) Tokens(ctx context.Context, username string) (int, error) {
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return 0, err
	}
	row, err := s.db.RateLimitBucket.Query().Where(ratelimitbucket.Username(username)).Only(ctx)
	if ent.IsNotFound(err) {
		return st.RateLimit.MaxTokens, nil
	}
	if err != nil {
		return 0, database.Translate(err)
	}
	tokens, _ := refill(row.Tokens, row.RefillBase, s.opts.Now().UTC(), st.RateLimit)
	return tokens, nil
}

// ReserveAttempt applies the sign-in rate limit to another check of a
// user's password (such as the current password of a password change). It
// returns a function to call when the password was right. With rate
// limiting off it does nothing.
func (s *Service) ReserveAttempt(ctx context.Context, username string) (refund func(), err error) {
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !st.RateLimit.Enabled {
		return func() {}, nil
	}
	if err := s.reserveAttempt(ctx, username, st.RateLimit); err != nil {
		return nil, err
	}
	return func() { s.refundAttempt(ctx, username, st.RateLimit) }, nil
}

// purgeFullBuckets deletes buckets that have refilled completely.
func (s *Service) purgeFullBuckets(ctx context.Context, cfg RateLimit) (int, error) {
	cutoff := s.opts.Now().UTC().Add(-time.Duration(cfg.MaxTokens) * cfg.interval())
	n, err := s.db.RateLimitBucket.Delete().Where(ratelimitbucket.RefillBaseLTE(cutoff)).Exec(ctx)
	return n, database.Translate(err)
}
