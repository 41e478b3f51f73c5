package database

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
)

// serialWriter gives SQLite transactions to one goroutine at a time.
//
// SQLite has one writer; every transaction here takes the write lock at
// BEGIN (_txlock=immediate), and the ones that find it taken wait in
// SQLite's busy handler, asleep on a pooled connection. Under load (a
// hundred bridges posting CDRs while the meeting model writes) those
// sleepers held every connection of the pool, so plain reads such as a
// session check queued behind them for seconds. Queuing writers here
// instead, before they take a connection, leaves the pool to the readers
// and hands the lock over without sleeping.
//
// A transaction that waits longer than the busy timeout goes ahead
// anyway and meets SQLite's own busy handling, as before: code that opens
// a second transaction while holding one then fails after the timeout
// instead of waiting for itself forever.
type serialWriter struct {
	dialect.Driver
	turn chan struct{}
}

// sqliteWriterWait is how long a transaction waits for its turn (the
// busy timeout of sqliteParams).
const sqliteWriterWait = 10 * time.Second

func newSerialWriter(d dialect.Driver) *serialWriter {
	return &serialWriter{Driver: d, turn: make(chan struct{}, 1)}
}

// Tx begins a transaction once no other transaction of this process is
// open (or after sqliteWriterWait).
func (s *serialWriter) Tx(ctx context.Context) (dialect.Tx, error) {
	t := time.NewTimer(sqliteWriterWait)
	defer t.Stop()
	held := false
	select {
	case s.turn <- struct{}{}:
		held = true
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := s.Driver.Tx(ctx)
	if err != nil {
		if held {
			<-s.turn
		}
		return nil, err
	}
	return &serialTx{Tx: tx, release: func() {
		if held {
			held = false
			<-s.turn
		}
	}}, nil
}

// serialTx releases its writer's turn when it ends.
type serialTx struct {
	dialect.Tx
	release func()
}

func (t *serialTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
