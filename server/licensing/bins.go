package licensing

import (
	"errors"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/compliance"
)

// binner builds the continuous 5-minute series of [from, from + n ×
// Interval) per cluster and licence type from samples streamed in time
// order per host (LI-62, LI-65): each host contributes to a bin the
// largest of its samples within it, and a bin is the sum over the hosts.
// Only the current bin of each host is held, so memory is clusters ×
// types × bins, whatever the number of samples. Values are in
// compliance's integer counts (× Scale).
type binner struct {
	from time.Time
	n    int
	// types are the licence types in column order: Types, TypeSMPPlus,
	// then others as they first appear.
	types []string
	index map[string]int
	// sums is cluster → type index → bin → sum (nil slices read as 0).
	sums  map[int][][]int
	hosts map[string]*hostBin
}

// hostBin is one host's largest values in its current bin.
type hostBin struct {
	cluster, bin int
	peak         []int
	set          bool
}

// fixed are the columns every sample has: the seven stored types and the
// derived SMP Plus sum.
var fixed = append(slices.Clone(Types), TypeSMPPlus)

func newBinner(from, to time.Time) *binner {
	b := &binner{from: from, n: int(to.Sub(from) / compliance.Interval), index: map[string]int{},
		sums: map[int][][]int{}, hosts: map[string]*hostBin{}}
	for _, typ := range fixed {
		b.typeIndex(typ)
	}
	return b
}

func (b *binner) typeIndex(typ string) int {
	if i, ok := b.index[typ]; ok {
		return i
	}
	b.index[typ] = len(b.types)
	b.types = append(b.types, typ)
	return len(b.types) - 1
}

// cluster makes sure a cluster has rows, sampled or not.
func (b *binner) cluster(id int) [][]int {
	s, ok := b.sums[id]
	if !ok {
		s = make([][]int, 0, len(b.types))
		b.sums[id] = s
	}
	return s
}

func scale(v float64) int { return int(v*Scale + 0.5) }

// errOutOfOrder is add's answer to a host's sample older than the bin it
// is in: the scan was not in time order per host, and the caller reads
// again in time order.
var errOutOfOrder = errors.New("licence samples out of time order")

// add takes one sample; samples outside the range are ignored.
func (b *binner) add(r *row) error {
	bin := int(r.Time.Sub(b.from) / compliance.Interval)
	if r.Time.Before(b.from) || bin >= b.n {
		return nil
	}
	h, ok := b.hosts[string(r.Host)]
	if !ok {
		h = &hostBin{}
		b.hosts[string(r.Host)] = h
	}
	if h.set && bin < h.bin {
		return errOutOfOrder
	}
	if h.set && (h.bin != bin || h.cluster != r.ClusterID) {
		b.flush(h)
	}
	h.cluster, h.bin, h.set = r.ClusterID, bin, true
	if len(h.peak) < len(b.types) {
		h.peak = append(h.peak, make([]int, len(b.types)-len(h.peak))...)
	}
	smp := 0
	for i, v := range r.Values {
		s := scale(v)
		h.peak[i] = max(h.peak[i], s)
		if i >= 2 && i <= 4 { // smpAud, smpPtP, smpFull
			smp += s
		}
	}
	h.peak[len(Types)] = max(h.peak[len(Types)], smp)
	if len(r.extra) == 0 {
		return nil
	}
	extra, err := r.Extra()
	if err != nil {
		return err
	}
	for typ, v := range extra {
		i := b.typeIndex(typ)
		if i < len(fixed) {
			continue // a reported "smpPlus" would clash with the derived sum
		}
		for len(h.peak) <= i {
			h.peak = append(h.peak, 0)
		}
		h.peak[i] = max(h.peak[i], scale(v))
	}
	return nil
}

// flush adds a host's finished bin to its cluster's sums.
func (b *binner) flush(h *hostBin) {
	s := b.cluster(h.cluster)
	for i, v := range h.peak {
		if v == 0 {
			continue
		}
		for len(s) <= i {
			s = append(s, nil)
		}
		if s[i] == nil {
			s[i] = make([]int, b.n)
		}
		s[i][h.bin] += v
		h.peak[i] = 0
	}
	b.sums[h.cluster] = s
	h.set = false
}

// finish flushes every host's last bin.
func (b *binner) finish() {
	for _, h := range b.hosts {
		if h.set {
			b.flush(h)
		}
	}
}

// series returns a cluster's series of type index i (a shared slice:
// read only), or nil when it is all zeros.
func (b *binner) series(cluster, i int) []int {
	if s := b.sums[cluster]; i < len(s) {
		return s[i]
	}
	return nil
}

// total returns the sum over every cluster of type index i (LI-20: the
// deployment's bins are the clusters' bins added per interval).
func (b *binner) total(i int) []int {
	out := make([]int, b.n)
	for c := range b.sums {
		if s := b.series(c, i); s != nil {
			for k, v := range s {
				out[k] += v
			}
		}
	}
	return out
}

// columns returns the type columns of the bins: the fixed ones, then
// the others in name order, as type indexes.
func (b *binner) columns() []int {
	idx := make([]int, len(b.types))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx[len(fixed):], func(x, y int) int {
		switch {
		case b.types[x] < b.types[y]:
			return -1
		case b.types[x] > b.types[y]:
			return 1
		}
		return 0
	})
	return idx
}
