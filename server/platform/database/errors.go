package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Translate turns an error from ent or from a database driver into the errs
// vocabulary. It is the only place that knows about driver error types, so
// domain code calls it on every error that comes out of the store and then
// reasons in errs kinds only.
//
// The mapping:
//   - nil stays nil, and an error that already is an *errs.Error is
//     returned unchanged, so translating twice is harmless;
//   - context.Canceled and context.DeadlineExceeded (however deeply a driver
//     wrapped them) come back as exactly those sentinels: the caller gave
//     up, which is neither the database's fault nor the caller's input, and
//     the RPC layer already maps them to Canceled and DeadlineExceeded;
//   - not found (ent.IsNotFound, sql.ErrNoRows) → NotFound;
//   - a unique violation → AlreadyExists;
//   - a foreign-key violation → FailedPrecondition (the referenced row is
//     missing, or the row is still referenced);
//   - ent validation errors, NOT NULL and CHECK violations and invalid or
//     out-of-range values → InvalidArgument;
//   - lost or refused connections, a server shutting down, too many
//     connections, lock timeouts, serialization failures and deadlocks →
//     Unavailable, which tells the client that retrying may succeed;
//   - everything else → Internal.
//
// The Message of the result is a fixed phrase (or, for ent validation
// errors, ent's validator text, which names the field but holds no SQL); the
// original error is kept as Cause for the server log only, because driver
// text can quote SQL, table names and values.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.From(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}

	var validation *ent.ValidationError
	switch {
	case ent.IsNotFound(err), errors.Is(err, sql.ErrNoRows):
		return errs.Wrap(err, errs.NotFound, errs.ReasonNotFound, "not found")
	case errors.As(err, &validation):
		e := errs.Invalid(validation.Name, validationDescription(validation))
		e.Cause = err
		return e
	}

	if k, ok := classifyPostgres(err); ok {
		return k.wrap(err)
	}
	if k, ok := classifySQLite(err); ok {
		return k.wrap(err)
	}
	if isConnectionError(err) {
		return unavailable.wrap(err)
	}
	// ent reports constraint violations it recognises from the message
	// text; one that reached here had no driver code we know, so it is
	// not safe to guess which constraint it was.
	return errs.Wrap(err, errs.Internal, errs.ReasonInternal, "internal database error")
}

// class is the translation of one family of driver errors.
type class struct {
	kind    errs.Kind
	reason  errs.Reason
	message string
}

func (c class) wrap(err error) error { return errs.Wrap(err, c.kind, c.reason, "%s", c.message) }

var (
	alreadyExists = class{errs.AlreadyExists, errs.ReasonAlreadyExists, "already exists"}
	foreignKey    = class{errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"a related resource does not exist or still refers to this one"}
	invalidValue = class{errs.InvalidArgument, errs.ReasonInvalidArgument, "invalid value"}
	unavailable  = class{errs.Unavailable, errs.ReasonUnavailable, "the database is unavailable; try again"}
	contention   = class{errs.Unavailable, errs.ReasonUnavailable, "the database is busy; try again"}
)

// validationDescription is the innermost validator message, e.g. "value is
// less than the required length", without the "ent: validator failed for
// field" prefixes ent wraps it in.
func validationDescription(v *ent.ValidationError) string {
	desc := "is not valid"
	for err := errors.Unwrap(v); err != nil; err = errors.Unwrap(err) {
		desc = err.Error()
	}
	return desc
}

// classifyPostgres maps SQLSTATE codes
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func classifyPostgres(err error) (class, bool) {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return class{}, false
	}
	switch pg.Code {
	case "23505": // unique_violation
		return alreadyExists, true
	case "23503": // foreign_key_violation
		return foreignKey, true
	case "23502", "23514": // not_null_violation, check_violation
		return invalidValue, true
	case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
		return contention, true
	case "53300", "57P01", "57P02", "57P03": // too_many_connections, admin/crash shutdown, cannot_connect_now
		return unavailable, true
	}
	if len(pg.Code) != 5 {
		return class{}, false
	}
	switch pg.Code[:2] {
	case "08": // connection exception
		return unavailable, true
	case "22": // data exception: value too long, out of range, bad syntax for a type
		return invalidValue, true
	}
	return class{}, false
}

// classifySQLite maps SQLite extended result codes
// (https://sqlite.org/rescode.html).
func classifySQLite(err error) (class, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return class{}, false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return alreadyExists, true
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return foreignKey, true
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
		return invalidValue, true
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return contention, true
	case sqlite3.SQLITE_CANTOPEN:
		return unavailable, true
	case sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return invalidValue, true
	}
	return class{}, false
}

func isConnectionError(err error) bool {
	var (
		connect *pgconn.ConnectError
		netErr  net.Error
	)
	return errors.As(err, &connect) ||
		errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
