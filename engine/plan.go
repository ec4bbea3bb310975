package engine

import (
	"sort"

	"github.com/classifly/classifly/internal/kernels"
)

// arenaAlign keeps every activation tensor on a cache-line boundary.
const arenaAlign = 64

// arenaGuard is readable space after every tensor and scratch buffer, the
// kernels' over-read allowance.
const arenaGuard = kernels.MaxOverread

// interval is a tensor's lifetime in operator steps, both ends included, and
// its size.
type interval struct {
	tensor      int
	first, last int
	size        int64
}

// planArena assigns each interval an offset so that tensors alive at the same
// step never overlap, placing the largest first at the lowest free offset
// (TFLite's "greedy by size" planner). It returns the offsets, by position in
// lives, and the arena size.
func planArena(lives []interval) ([]int64, int64) {
	order := make([]int, len(lives))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lives[order[a]].size > lives[order[b]].size })
	offs := make([]int64, len(lives))
	var placed, busy []int
	var total int64
	for _, i := range order {
		li := lives[i]
		// Collect the placed tensors alive at the same time, by offset.
		busy = busy[:0]
		for _, j := range placed {
			lj := lives[j]
			if li.first <= lj.last && lj.first <= li.last {
				busy = append(busy, j)
			}
		}
		sort.Slice(busy, func(a, b int) bool { return offs[busy[a]] < offs[busy[b]] })
		var off int64
		for _, j := range busy {
			if off+li.size+arenaGuard <= offs[j] {
				break
			}
			off = max(off, alignUp(offs[j]+lives[j].size+arenaGuard))
		}
		offs[i] = off
		total = max(total, off+li.size+arenaGuard)
		placed = append(placed, i)
	}
	return offs, alignUp(total)
}

func alignUp(n int64) int64 { return (n + arenaAlign - 1) / arenaAlign * arenaAlign }
