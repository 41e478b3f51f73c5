package app

import (
	"context"
	"sort"
	"testing"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/server/auth"
)

// BenchmarkSignInLatency signs in over Connect against a real server with
// the production argon2id parameters and reports p50 and p99 latency.
//
//	go test -run '^$' -bench SignInLatency -benchtime 100x ./server/app/
func BenchmarkSignInLatency(b *testing.B) {
	prev := cheap
	cheap = auth.DefaultHashParams // the bootstrap admin gets a production-cost hash
	defer func() { cheap = prev }()
	s := startBench(b)
	c, err := switchboard.New(context.Background(), switchboard.Options{BaseURL: s.url})
	if err != nil {
		b.Fatal(err)
	}
	req := &authv1.SignInRequest{Username: "admin", Password: adminPassword}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := c.Auth.SignIn(context.Background(), connect.NewRequest(req)); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
