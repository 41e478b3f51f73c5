package meetings

import (
	"context"
	"sync"
	"time"
)

// watchBuffer is how many changes a watcher may lag behind before it is
// dropped (its client then watches again and gets a fresh snapshot): a
// slow console never slows the model or the other watchers.
const watchBuffer = 1024

// watchSteps is how many written steps a list watcher's coalescer may lag
// behind before the watcher is dropped.
const watchSteps = 256

// hub fans written changes out to the watchers of the list and of single
// meetings.
type hub struct {
	mu        sync.Mutex
	list      map[*listWatcher]struct{}
	byMeeting map[string]map[*meetingWatcher]struct{}
}

// listWatcher receives list changes on in; its coalescer hands them on
// out at most every listCoalesce, one per meeting: a meeting that changes
// ten times in that window (ten joins) costs its watchers one message.
type listWatcher struct {
	in  chan []ListChange // one slice per written step
	out chan ListChange
}

// listCoalesce is how long list changes gather before they are sent.
const listCoalesce = 200 * time.Millisecond

type meetingWatcher struct{ ch chan MeetingChange }

func newHub() hub {
	return hub{list: map[*listWatcher]struct{}{}, byMeeting: map[string]map[*meetingWatcher]struct{}{}}
}

func (h *hub) addList(ctx context.Context) *listWatcher {
	w := &listWatcher{in: make(chan []ListChange, watchSteps), out: make(chan ListChange, 16)}
	h.mu.Lock()
	h.list[w] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.dropList(w) })
	go w.coalesce(ctx)
	return w
}

func (h *hub) dropList(w *listWatcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropListLocked(w)
}

func (h *hub) dropListLocked(w *listWatcher) {
	if _, ok := h.list[w]; ok {
		delete(h.list, w)
		close(w.in)
	}
}

// coalesce gathers changes from in and sends the latest of each meeting
// on out, in the order meetings first changed: it waits listCoalesce,
// then hands on what it holds as fast as the watcher takes it, merging
// what arrives meanwhile. A slow watcher therefore skips intermediate
// states instead of falling further behind. It closes out when in is
// closed (after handing on what it holds, unless ctx is done).
func (w *listWatcher) coalesce(ctx context.Context) {
	defer close(w.out)
	var order []string
	latest := map[string]ListChange{}
	tick := time.NewTicker(listCoalesce)
	defer tick.Stop()
	ready, closed := false, false
	in := w.in // nil once closed: the hub keeps its own reference
	for {
		if len(order) == 0 {
			if closed {
				return
			}
			ready = false
		}
		var send chan ListChange
		var next ListChange
		if ready || closed {
			send, next = w.out, latest[order[0]]
		}
		select {
		case cs, ok := <-in:
			if !ok {
				closed, in = true, nil
				continue
			}
			for _, c := range cs {
				id := c.EndedID
				if c.Meeting != nil {
					id = c.Meeting.ID
				}
				if _, had := latest[id]; !had {
					order = append(order, id)
				}
				latest[id] = c
			}
		case send <- next:
			delete(latest, order[0])
			order = order[1:]
		case <-tick.C:
			ready = len(order) > 0
		case <-ctx.Done():
			return
		}
	}
}

func (h *hub) addMeeting(ctx context.Context, id string) *meetingWatcher {
	w := &meetingWatcher{ch: make(chan MeetingChange, watchBuffer)}
	h.mu.Lock()
	if h.byMeeting[id] == nil {
		h.byMeeting[id] = map[*meetingWatcher]struct{}{}
	}
	h.byMeeting[id][w] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.dropMeeting(id, w) })
	return w
}

func (h *hub) dropMeeting(id string, w *meetingWatcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropMeetingLocked(id, w)
}

func (h *hub) dropMeetingLocked(id string, w *meetingWatcher) {
	ws := h.byMeeting[id]
	if _, ok := ws[w]; !ok {
		return
	}
	delete(ws, w)
	close(w.ch)
	if len(ws) == 0 {
		delete(h.byMeeting, id)
	}
}

// publish tells every watcher what one written step changed.
func (h *hub) publish(r rows) {
	h.mu.Lock()
	defer h.mu.Unlock()
	per := map[string]*MeetingChange{}
	at := func(id string) *MeetingChange {
		if per[id] == nil {
			per[id] = &MeetingChange{}
		}
		return per[id]
	}
	list := make([]ListChange, 0, len(r.meetings))
	for i := range r.meetings {
		m := r.meetings[i]
		c := ListChange{Meeting: &m}
		if m.State == Ended {
			c = ListChange{EndedID: m.ID}
		}
		list = append(list, c)
		if _, watched := h.byMeeting[m.ID]; watched {
			mc := at(m.ID)
			mc.Meeting, mc.Ended = &m, m.State == Ended
		}
	}
	if len(list) > 0 {
		for w := range h.list {
			select {
			case w.in <- list: // shared, read only
			default: // its coalescer fell behind: the client watches again
				h.dropListLocked(w)
			}
		}
	}
	if len(h.byMeeting) == 0 {
		return
	}
	for _, p := range r.parts {
		if _, watched := h.byMeeting[p.MeetingID]; watched {
			mc := at(p.MeetingID)
			mc.Participants = append(mc.Participants, p)
		}
	}
	for i, e := range r.events {
		if _, watched := h.byMeeting[r.eventsOf[i]]; watched {
			mc := at(r.eventsOf[i])
			mc.Events = append(mc.Events, e)
		}
	}
	for id, mc := range per {
		for w := range h.byMeeting[id] {
			select {
			case w.ch <- *mc:
				if mc.Ended {
					h.dropMeetingLocked(id, w)
				}
			default:
				h.dropMeetingLocked(id, w)
			}
		}
	}
}

// closeAll ends every watch (the service is stopping).
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.list {
		h.dropListLocked(w)
	}
	for id, ws := range h.byMeeting {
		for w := range ws {
			h.dropMeetingLocked(id, w)
		}
	}
}
