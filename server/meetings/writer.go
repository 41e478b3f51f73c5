package meetings

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/platform/database"
)

// groupCommit bounds the changes written in one transaction, and
// groupRows the rows: a long transaction holds SQLite's write lock, and
// the CDR receiver's posts wait for it.
const (
	groupCommit = 256
	groupRows   = 5000
)

// pendingWrite is one change waiting to be written.
type pendingWrite struct {
	r     rows
	extra func(ctx context.Context, tx *ent.Tx) error
	done  chan error
}

// writer writes queued changes until the queue is closed: whatever is
// queued when it looks is written in one transaction, so that a burst of
// small changes (roster updates from a hundred bridges) costs one commit.
// A failed transaction is retried: the model already holds the changes,
// and the CDRs behind them stay unapplied in the store until they are
// written.
func (s *Service) writer(ctx context.Context) {
	for w := range s.writes {
		batch, rows := []*pendingWrite{w}, w.r.size()
	more:
		for len(batch) < groupCommit && rows < groupRows {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break more
				}
				batch, rows = append(batch, w), rows+w.r.size()
			default:
				break more
			}
		}
		err := s.writeBatch(ctx, batch)
		for _, w := range batch {
			if err == nil {
				for i, e := range w.r.events {
					s.log.Info("meeting event", slog.String("meeting_id", w.r.eventsOf[i]), slog.String("kind", kindColumn(e.Kind)),
						slog.String("description", e.Description), slog.String("actor", e.Actor))
				}
				s.hub.publish(w.r)
			}
			w.done <- err
		}
	}
}

func (s *Service) writeBatch(ctx context.Context, batch []*pendingWrite) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
			for _, w := range batch {
				if err := write(ctx, tx, &w.r); err != nil {
					return err
				}
				if w.extra != nil {
					if err := w.extra(ctx, tx); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.log.WarnContext(ctx, "writing the meeting model failed; retrying", slog.Any("error", err), slog.Duration("retry", wait))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
