package database_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

func TestTranslatePassesThrough(t *testing.T) {
	if got := database.Translate(nil); got != nil {
		t.Errorf("Translate(nil) = %v", got)
	}
	already := errs.New(errs.PermissionDenied, errs.ReasonPermissionDenied, "no")
	if got := database.Translate(fmt.Errorf("wrapped: %w", already)); !errors.Is(got, already) || errs.KindOf(got) != errs.PermissionDenied {
		t.Errorf("Translate of an *errs.Error = %v, want it unchanged", got)
	}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		// Drivers wrap the context error in their own text; the caller
		// gets the bare sentinel.
		wrapped := fmt.Errorf("timeout: context already done: SELECT secret FROM users: %w", ctxErr)
		if got := database.Translate(wrapped); got != ctxErr {
			t.Errorf("Translate(%v) = %v, want %v", wrapped, got, ctxErr)
		}
	}
}

func TestTranslateDriverErrors(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("ent: constraint failed: %w", &pgconn.PgError{
			Code: code, Message: `duplicate key value violates unique constraint "users_pkey"`,
			Detail: "Key (username)=(alice) already exists.", TableName: "users",
		})
	}
	tests := []struct {
		name   string
		err    error
		kind   errs.Kind
		reason errs.Reason
	}{
		{"no rows", sql.ErrNoRows, errs.NotFound, errs.ReasonNotFound},
		{"pg unique", pg("23505"), errs.AlreadyExists, errs.ReasonAlreadyExists},
		{"pg foreign key", pg("23503"), errs.FailedPrecondition, errs.ReasonFailedPrecondition},
		{"pg not null", pg("23502"), errs.InvalidArgument, errs.ReasonInvalidArgument},
		{"pg check", pg("23514"), errs.InvalidArgument, errs.ReasonInvalidArgument},
		{"pg value too long", pg("22001"), errs.InvalidArgument, errs.ReasonInvalidArgument},
		{"pg serialization failure", pg("40001"), errs.Unavailable, errs.ReasonUnavailable},
		{"pg deadlock", pg("40P01"), errs.Unavailable, errs.ReasonUnavailable},
		{"pg connection failure", pg("08006"), errs.Unavailable, errs.ReasonUnavailable},
		{"pg admin shutdown", pg("57P01"), errs.Unavailable, errs.ReasonUnavailable},
		{"pg too many connections", pg("53300"), errs.Unavailable, errs.ReasonUnavailable},
		{"pg undefined table", pg("42P01"), errs.Internal, errs.ReasonInternal},
		{"pg syntax error", pg("42601"), errs.Internal, errs.ReasonInternal},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, errs.Unavailable, errs.ReasonUnavailable},
		{"bad conn", fmt.Errorf("users: %w", driver.ErrBadConn), errs.Unavailable, errs.ReasonUnavailable},
		{"conn done", sql.ErrConnDone, errs.Unavailable, errs.ReasonUnavailable},
		{"anything else", errors.New("sql: Scan error on column index 0, name \"password_hash\""), errs.Internal, errs.ReasonInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, tt.name, tt.err, tt.kind, tt.reason)
		})
	}
}

// TestTranslateSQLiteErrors provokes real SQLite errors, since the
// driver's error type cannot be built by hand.
func TestTranslateSQLiteErrors(t *testing.T) {
	db, err := sql.Open("sqlite", "file:translate?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	ctx := context.Background()
	for _, s := range []string{
		"CREATE TABLE p (id integer PRIMARY KEY, name text NOT NULL UNIQUE CHECK (name <> 'bad'))",
		"CREATE TABLE c (id integer PRIMARY KEY, p_id integer NOT NULL REFERENCES p (id))",
		"INSERT INTO p (id, name) VALUES (1, 'one')",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		stmt   string
		kind   errs.Kind
		reason errs.Reason
	}{
		{"unique", "INSERT INTO p (id, name) VALUES (2, 'one')", errs.AlreadyExists, errs.ReasonAlreadyExists},
		{"primary key", "INSERT INTO p (id, name) VALUES (1, 'two')", errs.AlreadyExists, errs.ReasonAlreadyExists},
		{"foreign key", "INSERT INTO c (id, p_id) VALUES (1, 99)", errs.FailedPrecondition, errs.ReasonFailedPrecondition},
		{"not null", "INSERT INTO p (id, name) VALUES (3, NULL)", errs.InvalidArgument, errs.ReasonInvalidArgument},
		{"check", "INSERT INTO p (id, name) VALUES (4, 'bad')", errs.InvalidArgument, errs.ReasonInvalidArgument},
		{"no such table", "SELECT * FROM nope", errs.Internal, errs.ReasonInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, tt.stmt)
			wantKind(t, tt.name, err, tt.kind, tt.reason)
		})
	}
}
