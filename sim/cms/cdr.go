package cmssim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// cdrRecord is one record, rendered except for the per-receiver attributes
// (recordIndex, numPreceedingRecordsMissing) assigned when it is batched.
type cdrRecord struct {
	typ  string
	time time.Time
	corr uint64
	body []byte
}

const cdrTimeFormat = "2006-01-02T15:04:05Z"

// emitLocked stamps a record with the bridge's next correlatorIndex and
// queues it for every configured receiver.
func (b *Bridge) emitLocked(typ string, now time.Time, body []byte) {
	rec := cdrRecord{typ: typ, time: now.UTC(), corr: b.corr, body: body}
	b.corr++
	for _, r := range b.emitters {
		r.push(rec)
	}
}

// receiver delivers one bridge's records to one receiver URI: one batch in
// flight at a time, re-sent with capped exponential back-off until the
// receiver answers 200, behind a bounded backlog.
type receiver struct {
	b  *Bridge
	id string

	mu        sync.Mutex
	uri       string
	session   string // envelope attributes of the current CDR session
	bridgeID  string // callBridge attribute; empty when unclustered
	queue     []cdrRecord
	missing   int    // records dropped since the last batch was formed
	nextIndex uint64 // recordIndex of the next record batched
	inflight  *cdrBatch
	gen       uint64 // bumped by reset, so a POST in flight is discarded
	failing   bool
	failSince time.Time
	lastErr   string
	delivered uint64
	attempts  uint64
	stopped   bool
	wake      chan struct{}
	cancel    context.CancelFunc
	done      chan struct{}
}

type cdrBatch struct {
	body  []byte
	count int
	gen   uint64
}

func (b *Bridge) startReceiverLocked(id, uri string) *receiver {
	ctx, cancel := context.WithCancel(context.Background())
	session, cb := b.envelopeLocked()
	r := &receiver{b: b, id: id, uri: uri, session: session, bridgeID: cb, nextIndex: 1, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go r.run(ctx)
	return r
}

func (r *receiver) push(rec cdrRecord) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.queue = append(r.queue, rec)
	if over := len(r.queue) - r.b.sim.opts.CDRBacklog; over > 0 {
		// The oldest queued records are lost; the records that remain
		// follow the gap, so the next batch reports it.
		// Re-slicing (not copying) keeps a push O(1); append reallocates
		// and releases the dropped records once the capacity runs out.
		r.queue = r.queue[over:]
		r.missing += over
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *receiver) setURI(uri string) {
	r.mu.Lock()
	r.uri = uri
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// setEnvelope changes the callBridge attribute (when the bridge joins a
// cluster) for batches formed from now on.
func (r *receiver) setEnvelope(session, bridgeID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.session, r.bridgeID = session, bridgeID
}

// reset forgets everything undelivered and restarts recordIndex in a new
// session, as a bridge restart does.
func (r *receiver) reset(session string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.session = session
	r.queue = nil
	r.inflight = nil
	r.missing = 0
	r.nextIndex = 1
	r.gen++
}

func (r *receiver) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	<-r.done
}

// status reports whether deliveries are failing and since when (real time).
func (r *receiver) status() (failing bool, since time.Time, lastErr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failing, r.failSince, r.lastErr
}

// nextBatch returns the batch in flight, forming a new one from the queue
// when there is none.
func (r *receiver) nextBatch() (*cdrBatch, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil {
		return r.inflight, r.uri
	}
	if len(r.queue) == 0 {
		return nil, r.uri
	}
	n := min(len(r.queue), r.b.sim.opts.CDRBatchMax)
	recs := r.queue[:n]
	session, callBridge := r.session, r.bridgeID
	var buf bytes.Buffer
	size := 128
	for _, rec := range recs {
		size += len(rec.body) + 128
	}
	buf.Grow(size)
	buf.WriteString(`<?xml version="1.0"?>` + "\n")
	buf.WriteString(`<records session="`)
	buf.WriteString(session)
	buf.WriteByte('"')
	if callBridge != "" {
		buf.WriteString(` callBridge="`)
		buf.WriteString(callBridge)
		buf.WriteByte('"')
	}
	buf.WriteString(">\n")
	for i, rec := range recs {
		buf.WriteString(`<record type="`)
		buf.WriteString(rec.typ)
		buf.WriteString(`" time="`)
		buf.WriteString(rec.time.Format(cdrTimeFormat))
		buf.WriteString(`" recordIndex="`)
		buf.WriteString(strconv.FormatUint(r.nextIndex, 10))
		buf.WriteString(`" correlatorIndex="`)
		buf.WriteString(strconv.FormatUint(rec.corr, 10))
		buf.WriteByte('"')
		if i == 0 && r.missing > 0 {
			buf.WriteString(` numPreceedingRecordsMissing="`)
			buf.WriteString(strconv.Itoa(r.missing))
			buf.WriteByte('"')
		}
		buf.WriteByte('>')
		buf.Write(rec.body)
		buf.WriteString("</record>\n")
		r.nextIndex++
	}
	buf.WriteString("</records>\n")
	r.missing = 0
	r.queue = r.queue[n:]
	r.inflight = &cdrBatch{body: buf.Bytes(), count: n, gen: r.gen}
	return r.inflight, r.uri
}

// envelopeLocked returns the session and (when clustered) callBridge
// attributes of the bridge's current CDR session.
func (b *Bridge) envelopeLocked() (string, string) {
	cb := ""
	if b.cl.clustered {
		cb = b.id
	}
	return b.session, cb
}

func (r *receiver) run(ctx context.Context) {
	defer close(r.done)
	opts := &r.b.sim.opts
	backoff := opts.CDRRetryMin
	for {
		batch, uri := r.nextBatch()
		if batch == nil {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
				continue
			}
		}
		r.mu.Lock()
		r.attempts++
		r.mu.Unlock()
		err := r.post(ctx, uri, batch.body)
		if ctx.Err() != nil {
			return
		}
		if err == nil && r.b.takeDroppedAck() {
			err = errAckLost
		}
		r.mu.Lock()
		if batch.gen != r.gen || r.inflight != batch {
			r.mu.Unlock() // reset while posting: the batch no longer exists
			continue
		}
		if err == nil {
			recovered := r.failing
			r.inflight = nil
			r.delivered += uint64(batch.count)
			r.failing = false
			r.lastErr = ""
			r.mu.Unlock()
			if recovered {
				r.b.sim.log.Info("cmssim: CDR receiver recovered", "bridge", r.b.name, "uri", uri)
			}
			backoff = opts.CDRRetryMin
			continue
		}
		first := !r.failing
		if first {
			r.failing = true
			r.failSince = time.Now()
		}
		r.lastErr = err.Error()
		r.mu.Unlock()
		if first {
			r.b.sim.log.Info("cmssim: CDR receiver failing; re-sending with back-off", "bridge", r.b.name, "uri", uri, "err", err)
		}
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, opts.CDRRetryMax)
	}
}

// errAckLost is a 200 OK the DropCDRAcks fault made the bridge lose.
var errAckLost = errors.New("the receiver's acknowledgement was lost (fault)")

type statusError int

func (e statusError) Error() string { return "receiver answered HTTP " + strconv.Itoa(int(e)) }

func (r *receiver) post(ctx context.Context, uri string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := r.b.sim.opts.CDRClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	// Only 200 OK acknowledges a batch (CDR guide); a receiver answering
	// another 2xx would see the batch again on a real bridge too, or not -
	// the simulator takes the strict reading.
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.StatusCode)
	}
	return nil
}

// ---- receivers through the API and Go ----

const maxCDRReceivers = 4

func validReceiverURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (b *Bridge) addReceiverLocked(uri string) (string, *apiError) {
	if b.receivers.len() >= maxCDRReceivers {
		return "", badRequest("tooManyCdrReceivers")
	}
	if !validReceiverURI(uri) {
		return "", paramError("uri", "invalidValue")
	}
	id := b.sim.ids.guid()
	b.receivers.add(id, "", map[string]string{"uri": uri})
	b.emitters[id] = b.startReceiverLocked(id, uri)
	return id, nil
}

func (b *Bridge) deleteReceiverLocked(id string) {
	b.receivers.del(id)
	if r := b.emitters[id]; r != nil {
		delete(b.emitters, id)
		// The sender goroutine never takes the cluster lock, so waiting
		// for it here cannot deadlock.
		r.stop()
	}
}

// AddCDRReceiver configures a receiver URI on the bridge, as POST
// /system/cdrReceivers does, and returns its id.
func (b *Bridge) AddCDRReceiver(uri string) (string, error) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	id, err := b.addReceiverLocked(uri)
	if err != nil {
		return "", err
	}
	return id, nil
}

// RemoveCDRReceiver deletes a configured receiver.
func (b *Bridge) RemoveCDRReceiver(id string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	if b.receivers.get(id) == nil {
		return ErrNotFound
	}
	b.deleteReceiverLocked(id)
	return nil
}

// CDRReceivers returns the configured receiver URIs, in creation order.
func (b *Bridge) CDRReceivers() []string {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	var out []string
	for _, o := range b.receivers.list("") {
		out = append(out, o.f["uri"])
	}
	return out
}

// CDRSession returns the current CDR session id (new at every restart).
func (b *Bridge) CDRSession() string {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	return b.session
}

// CDRStats reports, for the receiver with the given URI, how many records
// were acknowledged, how many POSTs were made and how many records wait.
func (b *Bridge) CDRStats(uri string) (delivered, attempts uint64, queued int) {
	b.cl.mu.Lock()
	var rs []*receiver
	for _, o := range b.receivers.list("") {
		if o.f["uri"] == uri {
			rs = append(rs, b.emitters[o.id])
		}
	}
	b.cl.mu.Unlock()
	for _, r := range rs {
		r.mu.Lock()
		delivered += r.delivered
		attempts += r.attempts
		queued += len(r.queue)
		if r.inflight != nil {
			queued += r.inflight.count
		}
		r.mu.Unlock()
	}
	return delivered, attempts, queued
}
