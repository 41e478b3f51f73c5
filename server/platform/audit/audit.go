// Package audit records who changed what, when, from where and with what
// outcome. The API layer opens an Entry for every state-changing call and
// records it when the call returns, so no handler can forget; domain code
// may annotate the open entry (for example with the target of the change).
package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboardhq/switchboard/ent"
)

// Well-known actors that are not users.
const (
	ActorAnonymous  = "anonymous"
	ActorBootstrap  = "bootstrap"
	ActorBreakGlass = "break-glass"
	ActorSystem     = "system"
)

// OutcomeOK is the outcome of a call that succeeded; failures record their
// error reason.
const OutcomeOK = "OK"

// Entry is one audit record.
type Entry struct {
	Time        time.Time
	Actor       string
	ActorSource string
	Action      string
	Target      string
	RemoteAddr  string
	Outcome     string
	// Details is the request as JSON with every secret field masked.
	Details string
}

// Recorder stores entries.
type Recorder struct {
	db  *ent.Client
	log *slog.Logger
	now func() time.Time
}

// NewRecorder returns a Recorder writing to db and mirroring entries to log.
func NewRecorder(db *ent.Client, log *slog.Logger, now func() time.Time) *Recorder {
	return &Recorder{db: db, log: log, now: now}
}

// Record stores e. A failure to store is returned and logged: an audit trail
// with silent holes would be worse than a loud error.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	if e.Time.IsZero() {
		e.Time = r.now().UTC()
	}
	// The entry is written even if the caller's context was cancelled right
	// after the change it describes.
	ctx = context.WithoutCancel(ctx)
	r.log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("actor", e.Actor), slog.String("action", e.Action), slog.String("target", e.Target),
		slog.String("remote_addr", e.RemoteAddr), slog.String("outcome", e.Outcome))
	err := r.db.AuditEvent.Create().
		SetTime(e.Time).SetActor(e.Actor).SetActorSource(e.ActorSource).SetAction(e.Action).
		SetTarget(e.Target).SetRemoteAddr(e.RemoteAddr).SetOutcome(e.Outcome).SetDetails(e.Details).
		Exec(ctx)
	if err != nil {
		r.log.ErrorContext(ctx, "audit record not stored", slog.String("action", e.Action), slog.Any("error", err))
	}
	return err
}

type entryKey struct{}

// WithEntry returns a context carrying the open entry of the current call.
func WithEntry(ctx context.Context, e *Entry) context.Context {
	return context.WithValue(ctx, entryKey{}, e)
}

// Annotate lets domain code fill in the open entry of the current call, such
// as the target or, for sign-in, the username that was tried. It does
// nothing outside an audited call.
func Annotate(ctx context.Context, fn func(e *Entry)) {
	if e, ok := ctx.Value(entryKey{}).(*Entry); ok && e != nil {
		fn(e)
	}
}
