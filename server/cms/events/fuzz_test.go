package events

import (
	"encoding/json"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the frame decoder. It must not
// panic; a decoded frame is a message (with an id to ack) or an ack, and
// renders as JSON for the debug command.
func FuzzDecode(f *testing.F) {
	for _, line := range goldenFrames(f) {
		f.Add(line)
	}
	f.Add([]byte(`{"type":"message","message":{"messageId":1e3,"type":"rosterUpdate","subscriptionIndex":1,"updates":[{"participant":"p","importance":"high","name":null}]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := Decode(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if (fr.Message == nil) == (fr.Ack == nil) {
			t.Fatalf("a frame is a message or an ack: %+v", fr)
		}
		if _, err := json.Marshal(fr); err != nil {
			t.Fatalf("frame does not render as JSON: %v", err)
		}
		if fr.Message != nil {
			if _, err := Decode(EncodeAck(fr.Message.ID)); err != nil {
				t.Fatalf("ack of %d: %v", fr.Message.ID, err)
			}
		}
	})
}
