package meetings

import (
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkListActive5000 is ListMeetings' first page over 5,000 active
// meetings of 10 participants each (the stress scenario's model).
func BenchmarkListActive5000(b *testing.B) {
	s := &Service{md: newModel(), log: slog.New(slog.DiscardHandler)}
	for i := range 5000 {
		call := fmt.Sprintf("c%d", i)
		applyAll(s.md, london1, callStart(i, call, fmt.Sprintf("Meeting %d", i), fmt.Sprintf("m%d", i)))
		for j := range 10 {
			leg := fmt.Sprintf("l%d.%d", i, j)
			applyAll(s.md, london1, legStart(i, leg, call, fmt.Sprintf("Guest %d.%d", i, j)), legUpdate(i, leg, call, nil))
		}
	}
	s.md.take()
	b.ReportAllocs()
	for b.Loop() {
		if res := s.listActive(ListQuery{}, 0, defaultPageSize); len(res.Meetings) != defaultPageSize || res.Total != 5000 {
			b.Fatalf("page %d of %d", len(res.Meetings), res.Total)
		}
	}
}
