package meetings

import (
	"context"
	"testing"
	"time"
)

// TestListWatchCoalesces: ten changes of one meeting within the coalescing
// window reach a list watcher as one message with the latest state, after
// the changes of other meetings that came first; an end is delivered too.
func TestListWatchCoalesces(t *testing.T) {
	h := newHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := h.addList(ctx)
	h.publish(rows{meetings: []Meeting{{ID: "a", Participants: 1}}})
	for n := 1; n <= 10; n++ {
		h.publish(rows{meetings: []Meeting{{ID: "b", Participants: n}}})
	}
	h.publish(rows{meetings: []Meeting{{ID: "c", State: Ended}}})
	var got []ListChange
	timeout := time.After(5 * time.Second)
	for len(got) < 3 {
		select {
		case c := <-w.out:
			got = append(got, c)
		case <-timeout:
			t.Fatalf("got %d changes", len(got))
		}
	}
	if got[0].Meeting.ID != "a" || got[1].Meeting.ID != "b" || got[1].Meeting.Participants != 10 || got[2].EndedID != "c" {
		t.Fatalf("changes %+v %+v %+v", got[0], got[1], got[2])
	}
	select {
	case c := <-w.out:
		t.Fatalf("an extra change %+v", c)
	case <-time.After(2 * listCoalesce):
	}
	cancel()
	for range w.out { // closed once the watch ends
	}
}

// TestSlowListWatcherSkipsStaleStates: a watcher that does not read while
// a meeting changes a hundred times gets a handful of messages, the last
// with the latest state, and is not dropped.
func TestSlowListWatcherSkipsStaleStates(t *testing.T) {
	h := newHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := h.addList(ctx)
	for n := 1; n <= 100; n++ {
		h.publish(rows{meetings: []Meeting{{ID: "b", Participants: n}}})
		time.Sleep(listCoalesce / 20)
	}
	var got []int
	for {
		select {
		case c, ok := <-w.out:
			if !ok {
				t.Fatal("the watcher was dropped")
			}
			got = append(got, c.Meeting.Participants)
			continue
		case <-time.After(3 * listCoalesce):
		}
		break
	}
	if len(got) == 0 || got[len(got)-1] != 100 || len(got) > 20 {
		t.Fatalf("messages %v: want a handful ending with 100", got)
	}
}
