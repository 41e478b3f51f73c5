package cmssim

import (
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
)

// idGen hands out GUIDs from a seeded generator, so that two simulators
// started with the same seed and driven the same way name every object the
// same. Tokens and secrets that a client must not predict come from
// crypto/rand instead (see randomToken).
type idGen struct {
	mu  sync.Mutex
	rng *mrand.Rand
}

func newIDGen(seed uint64, stream uint64) *idGen {
	return &idGen{rng: mrand.New(mrand.NewPCG(seed, stream))}
}

// guid returns a version-4-shaped GUID in CMS's lower-case form.
func (g *idGen) guid() string {
	g.mu.Lock()
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	g.mu.Unlock()
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// uint64 returns a seeded random number (used for per-object quality seeds).
func (g *idGen) uint64() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Uint64()
}

// randomToken returns n random bytes hex-encoded, for auth tokens.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
