package index

import "math/bits"

// set is a permission set: bit i stands for the catalog key at position i.
// The first 64 keys, which hold the built-in ones and ADMINISTRATOR at bit
// 0, live inline; the rest in hi, which is nil for most catalogs.
type set struct {
	lo uint64
	hi *[]uint64
}

func (s *set) has(b uint16) bool {
	if b < 64 {
		return s.lo>>b&1 != 0
	}
	if s.hi == nil {
		return false
	}
	w := int(b/64) - 1
	return w < len(*s.hi) && (*s.hi)[w]>>(b%64)&1 != 0
}

func (s *set) add(b uint16) {
	if b < 64 {
		s.lo |= 1 << b
		return
	}
	if s.hi == nil {
		s.hi = new([]uint64)
	}
	w := int(b/64) - 1
	for len(*s.hi) <= w {
		*s.hi = append(*s.hi, 0)
	}
	(*s.hi)[w] |= 1 << (b % 64)
}

// each calls fn with each bit set, in order.
func (s *set) each(fn func(b uint16)) {
	words := []uint64{s.lo}
	if s.hi != nil {
		words = append(words, *s.hi...)
	}
	for w, word := range words {
		for word != 0 {
			i := bits.TrailingZeros64(word)
			fn(uint16(w*64 + i))
			word &^= 1 << i
		}
	}
}
