package ms08model

// guardCells is how many cells of simulated memory lie on each side of the buffer. One would
// do: the routine stops at the first access to any of them.
const guardCells = 4

// guardValue fills the guard cells. It is not a character the routine looks for, but its value
// never matters: touching a guard cell ends the run.
const guardValue = 0xDEAD

// ptr is a C pointer: an index into memory.cells.
type ptr int

// null is the NULL pointer. It is far below every cell, so that comparisons such as
// `current_slash == p-1` are false for it as they are in C.
const null ptr = -1 << 30

// fault is an access outside the buffer, raised as a panic by the memory accessors and
// recovered by Canonicalize, so that the routine below reads like the C it transliterates.
type fault struct {
	kind Fault
	at   ptr
}

// memory is the simulated address space: guard cells, the buffer (the path and its NUL),
// guard cells.
type memory struct {
	cells  []uint16
	lo, hi ptr // the buffer is cells[lo:hi]
	steps  int
	budget int
}

func newMemory(path []uint16) *memory {
	n := len(path)
	m := &memory{
		cells: make([]uint16, guardCells+n+1+guardCells),
		lo:    guardCells,
		hi:    ptr(guardCells + n + 1),
		// While p stays on the string, (cells after p) + 2 × (string length) falls with every
		// iteration: a step forward takes 1 off, a `\.\` removal at least 4, and a collapse
		// shortens the string by more than it moves p back. So no run that ends takes more than
		// 3n iterations; running past the budget means p has left the string for stale cells
		// and would loop for ever (TestNeverFaultsOtherwise checks that with a budget 100
		// times larger).
		budget: 4*(n+2) + 16,
	}
	for i := range m.cells {
		m.cells[i] = guardValue
	}
	copy(m.cells[m.lo:], path)
	m.cells[m.hi-1] = 0
	return m
}

// at is *p.
func (m *memory) at(p ptr) uint16 {
	switch {
	case p < m.lo:
		panic(fault{ReadBefore, p})
	case p >= m.hi:
		panic(fault{ReadAfter, p})
	}
	return m.cells[p]
}

// set is *p = c.
func (m *memory) set(p ptr, c uint16) {
	switch {
	case p < m.lo:
		panic(fault{WriteBefore, p})
	case p >= m.hi:
		panic(fault{WriteAfter, p})
	}
	m.cells[p] = c
}

// tick counts one iteration of the routine's main loop.
func (m *memory) tick() {
	m.steps++
	if m.steps > m.budget {
		panic(fault{StepLimit, 0})
	}
}

// wcscpy copies the NUL-terminated string at src to dst, one cell at a time, NUL included, as
// the C library's does; with dst < src (the only way the routine calls it) the overlap is
// harmless. Cells after the new NUL keep their old contents.
func (m *memory) wcscpy(dst, src ptr) ptr {
	for d, s := dst, src; ; d, s = d+1, s+1 {
		c := m.at(s)
		m.set(d, c)
		if c == 0 {
			return dst
		}
	}
}

// cstring returns the string at p up to its NUL.
func (m *memory) cstring(p ptr) []uint16 {
	var out []uint16
	for ; m.at(p) != 0; p++ {
		out = append(out, m.at(p))
	}
	return out
}
