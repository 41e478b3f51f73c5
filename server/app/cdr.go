package app

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/switchboardhq/switchboard/server/cdrs"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// maxCDRBatchBytes bounds one posted batch. Bridges post batches of at most
// a few hundred records (well under 1 MiB); anything far larger is not a
// bridge speaking.
const maxCDRBatchBytes = 32 << 20

// cdrModel is the live meeting model's side of the receiver: it applies
// stored records asynchronously, so the answer never waits for it, and it
// defers new batches while it is too far behind.
type cdrModel interface {
	Busy() bool
	CDRsStored(bridgeID, stored int, gap bool)
}

// cdrHandler receives CDR batches at the per-bridge path servers.ReceiverPath
// gives each bridge. It answers 200 only after every record of the batch is
// stored; any other answer makes the bridge send the batch again.
func cdrHandler(rec *cdrs.Receiver, model cdrModel, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || servers.ReceiverPath(id) != r.URL.Path {
			http.Error(w, "no Call Bridge posts CDRs to this address", http.StatusNotFound)
			return
		}
		if model.Busy() {
			// Back-pressure: the bridge keeps the batch and sends it again.
			w.Header().Set("Retry-After", "5")
			http.Error(w, "too many records wait to be applied; send the batch again later", http.StatusServiceUnavailable)
			return
		}
		res, err := rec.Accept(r.Context(), id, http.MaxBytesReader(w, r.Body, maxCDRBatchBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				http.Error(w, "the batch is larger than 32 MiB", http.StatusRequestEntityTooLarge)
			case errs.KindOf(err) == errs.NotFound:
				http.Error(w, "no Call Bridge posts CDRs to this address", http.StatusNotFound)
			case errs.KindOf(err) == errs.InvalidArgument:
				e, _ := errs.From(err)
				log.Warn("refused a malformed CDR batch", slog.Int("bridge_id", id), slog.Any("error", err))
				http.Error(w, e.Message, http.StatusBadRequest)
			case r.Context().Err() != nil:
				// The bridge gave up waiting; it sends the batch again.
				log.Warn("a Call Bridge gave up posting a CDR batch before it was stored", slog.Int("bridge_id", id))
				return
			default:
				// The bridge keeps the batch and tries again: nothing is lost.
				log.Error("cannot store a CDR batch", slog.Int("bridge_id", id), slog.Any("error", err))
				http.Error(w, "cannot store the batch now; send it again", http.StatusServiceUnavailable)
			}
			return
		}
		if res.Stored > 0 || res.Gap {
			model.CDRsStored(id, res.Stored, res.Gap)
		}
		log.Debug("CDR batch stored", slog.Int("bridge_id", id), slog.Int("stored", res.Stored),
			slog.Int("duplicates", res.Duplicates))
		w.WriteHeader(http.StatusOK)
	})
}
