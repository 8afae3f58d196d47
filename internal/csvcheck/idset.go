package csvcheck

// idSet is a set of 64-bit id hashes. A Go map[uint64]struct{} costs 24 to
// 36 bytes per id (measured with Go 1.26); this set stores the bare hashes
// in fixed-size open-addressing segments and splits a segment when it
// fills (extendible hashing), so it needs about 8 / load bytes per id with
// the load between 7/16 and 7/8 (about 13 bytes on average, see
// TestIDSetMemory), and it never copies the whole set to grow.
//
// With random 64-bit hashes (maphash with a per-Check seed) two different
// ids collide with probability n²/2⁶⁵: about 3·10⁻⁸ for a million ids.
type idSet struct {
	depth uint       // bits of the hash that index dir
	dir   []*segment // 1<<depth entries; a segment may appear several times
	n     int
}

const (
	segBits  = 12
	segSlots = 1 << segBits
	segMax   = segSlots * 7 / 8
)

type segment struct {
	depth uint     // bits of the hash shared by every id in the segment
	n     int      // ids stored
	slots []uint64 // segSlots slots, 0 means empty: a separate 32 KiB allocation, an exact size class
}

func newSegment(depth uint) *segment {
	return &segment{depth: depth, slots: make([]uint64, segSlots)}
}

func (s *idSet) len() int { return s.n }

// norm keeps 0 free as the empty marker.
func norm(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func (s *idSet) seg(h uint64) *segment {
	if s.dir == nil {
		s.dir = []*segment{newSegment(0)}
	}
	if s.depth == 0 {
		return s.dir[0]
	}
	return s.dir[h>>(64-s.depth)]
}

func (s *idSet) has(h uint64) bool {
	h = norm(h)
	g := s.seg(h)
	for i := h & (segSlots - 1); ; i = (i + 1) & (segSlots - 1) {
		switch g.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// add inserts h, which must not be in the set.
func (s *idSet) add(h uint64) {
	h = norm(h)
	g := s.seg(h)
	for g.n >= segMax && g.depth < 48 {
		s.split(g)
		g = s.seg(h)
	}
	g.put(h)
	s.n++
}

func (g *segment) put(h uint64) {
	i := h & (segSlots - 1)
	for g.slots[i] != 0 {
		i = (i + 1) & (segSlots - 1)
	}
	g.slots[i] = h
	g.n++
}

// split replaces g by two segments told apart by the next hash bit.
func (s *idSet) split(g *segment) {
	if g.depth == s.depth {
		// Double the directory: each entry is repeated.
		dir := make([]*segment, 2*len(s.dir))
		for i, x := range s.dir {
			dir[2*i], dir[2*i+1] = x, x
		}
		s.dir = dir
		s.depth++
	}
	bit := 63 - g.depth
	lo, hi := newSegment(g.depth+1), newSegment(g.depth+1)
	for _, h := range g.slots {
		switch {
		case h == 0:
		case h>>bit&1 == 0:
			lo.put(h)
		default:
			hi.put(h)
		}
	}
	for i, x := range s.dir {
		if x != g {
			continue
		}
		// Entry i covers hashes whose top s.depth bits are i; its bit at
		// position g.depth (from the top) picks the half.
		if uint64(i)>>(s.depth-1-g.depth)&1 == 0 {
			s.dir[i] = lo
		} else {
			s.dir[i] = hi
		}
	}
}
