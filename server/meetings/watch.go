package meetings

import (
	"context"
	"sync"
)

// watchBuffer is how many changes a watcher may lag behind before it is
// dropped (its client then watches again and gets a fresh snapshot): a
// slow console never slows the model or the other watchers.
const watchBuffer = 1024

// hub fans written changes out to the watchers of the list and of single
// meetings.
type hub struct {
	mu        sync.Mutex
	list      map[*listWatcher]struct{}
	byMeeting map[string]map[*meetingWatcher]struct{}
}

type listWatcher struct{ ch chan ListChange }

type meetingWatcher struct{ ch chan MeetingChange }

func newHub() hub {
	return hub{list: map[*listWatcher]struct{}{}, byMeeting: map[string]map[*meetingWatcher]struct{}{}}
}

func (h *hub) addList(ctx context.Context) *listWatcher {
	w := &listWatcher{ch: make(chan ListChange, watchBuffer)}
	h.mu.Lock()
	h.list[w] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.dropList(w) })
	return w
}

func (h *hub) dropList(w *listWatcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.list[w]; ok {
		delete(h.list, w)
		close(w.ch)
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
	for i := range r.meetings {
		m := r.meetings[i]
		c := ListChange{Meeting: &m}
		if m.State == Ended {
			c = ListChange{EndedID: m.ID}
		}
		for w := range h.list {
			select {
			case w.ch <- c:
			default:
				delete(h.list, w)
				close(w.ch)
			}
		}
		if _, watched := h.byMeeting[m.ID]; watched {
			mc := at(m.ID)
			mc.Meeting, mc.Ended = &m, m.State == Ended
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
		delete(h.list, w)
		close(w.ch)
	}
	for id, ws := range h.byMeeting {
		for w := range ws {
			h.dropMeetingLocked(id, w)
		}
	}
}
