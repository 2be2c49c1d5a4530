package ms08model

import (
	"fmt"
	"unicode/utf16"
)

// Fault names the first access the routine made outside its buffer, if any.
type Fault int

const (
	// NoFault: the routine returned without touching anything outside its buffer.
	NoFault Fault = iota
	// ReadBefore: a read of a cell before the buffer — the MS08-067 out-of-bounds scan.
	ReadBefore
	// ReadAfter: a read past the path's NUL. The decompiled routine never does this; seeing it
	// means the model is wrong, so it counts as unsafe.
	ReadAfter
	// WriteBefore and WriteAfter: a write outside the buffer (also never expected, since the
	// routine stops at the first out-of-bounds read, before any write could follow it).
	WriteBefore
	WriteAfter
	// StepLimit: the main loop would never end. The published decompilation does this after a
	// `\.\` removal that leaves p past the new NUL (`\A\.\`): it keeps re-reading the stale
	// `.\` cells. Whether the real binary hangs there or the decompilation is off by a cell,
	// the model cannot vouch for such a path, so it is unsafe.
	StepLimit
)

func (f Fault) String() string {
	switch f {
	case NoFault:
		return "none"
	case ReadBefore:
		return "read before the buffer"
	case ReadAfter:
		return "read after the path"
	case WriteBefore:
		return "write before the buffer"
	case WriteAfter:
		return "write after the path"
	case StepLimit:
		return "step limit"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// WerrInvalidName is what the routine's caller answers when the routine returns 0.
const WerrInvalidName = 0x7B

// Outcome is what one run of the routine did.
type Outcome struct {
	// ReadsBeforeBuffer: the backward scan read memory before the path buffer. On an unpatched
	// host that read runs down the stack until it meets a 0x005C and the next copy writes
	// there: the crash (or the exploit).
	ReadsBeforeBuffer bool
	// Fault is the first access outside the buffer; the routine stops there. NoFault when it
	// returned normally.
	Fault Fault
	// At is the faulting cell's index relative to the buffer start (negative: before it).
	At int
	// Return is the routine's return value when Fault is NoFault: 1 canonical, 0 invalid name.
	Return int
	// Result is the buffer up to its first NUL after the routine, when Fault is NoFault.
	Result []uint16
}

// Err is the WERROR the caller would return for this outcome: 0 or WERR_INVALID_NAME. It is
// meaningless when Fault is not NoFault.
func (o Outcome) Err() uint32 {
	if o.Return == 0 {
		return WerrInvalidName
	}
	return 0
}

// Safe reports whether the routine returned without any access outside its buffer.
func (o Outcome) Safe() bool { return o.Fault == NoFault }

// Canonicalize runs the unpatched routine on path (UTF-16 code units; the routine sees them up
// to the first NUL, as the server's wcscpy would) and reports what it did.
func Canonicalize(path []uint16) (out Outcome) {
	m := newMemory(path)
	defer func() {
		if v := recover(); v != nil {
			f, ok := v.(fault)
			if !ok {
				panic(v)
			}
			out = Outcome{ReadsBeforeBuffer: f.kind == ReadBefore, Fault: f.kind, At: int(f.at - m.lo)}
		}
	}()
	ret := m.routine(m.lo)
	return Outcome{Return: ret, Result: m.cstring(m.lo)}
}

// Reaches reports whether path, read verbatim or with `/` turned into `\` (netapi32's callers
// accept both separators and we have not verified which of them converts first), makes the
// routine leave its buffer. Any fault counts, not only the read before the buffer: where the
// model cannot vouch for a path, the path is unsafe.
func Reaches(path []uint16) bool {
	slashed := make([]uint16, len(path))
	for i, c := range path {
		if c == '/' {
			c = '\\'
		}
		slashed[i] = c
	}
	return !Canonicalize(path).Safe() || !Canonicalize(slashed).Safe()
}

// ReachesOverflow is Reaches for a Go string.
func ReachesOverflow(s string) bool { return Reaches(utf16.Encode([]rune(s))) }

// PathCanonicalizeReaches reports whether NetprPathCanonicalize with this prefix and path can
// make the routine leave its buffer, under every reading of how the caller joins them
// (Readings).
func PathCanonicalizeReaches(prefix, path string) bool {
	for _, r := range Readings(utf16.Encode([]rune(prefix)), utf16.Encode([]rune(path))) {
		if Reaches(r) {
			return true
		}
	}
	return false
}

// Readings lists the buffers the routine may be run on for one (prefix, path) pair. The
// public write-ups describe the caller (CanonicalizePathName) as: copy the prefix, add a `\`
// unless it ends in a separator, skip the path's own leading separator, append the path.
// That is not verified against a binary, so the plain joins, with and without a `\`, and each
// string on its own are readings too. Every string is taken up to its first NUL, as
// wcscpy/wcscat take it.
func Readings(prefix, path []uint16) [][]uint16 {
	prefix, path = wcs(prefix), wcs(path)
	out := [][]uint16{path, prefix}
	add := func(parts ...[]uint16) {
		var b []uint16
		for _, p := range parts {
			b = append(b, p...)
		}
		out = append(out, b)
	}
	if len(prefix) > 0 {
		joined := prefix
		if !isSep(prefix[len(prefix)-1]) {
			joined = append(append([]uint16(nil), prefix...), '\\')
		}
		rest := path
		if len(rest) > 0 && isSep(rest[0]) {
			rest = rest[1:]
		}
		add(joined, rest)
	}
	add(prefix, path)
	add(prefix, []uint16{'\\'}, path)
	return out
}

// wcs is s up to (not including) its first NUL.
func wcs(s []uint16) []uint16 {
	for i, c := range s {
		if c == 0 {
			return s[:i]
		}
	}
	return s
}

func isSep(c uint16) bool { return c == '\\' || c == '/' }
