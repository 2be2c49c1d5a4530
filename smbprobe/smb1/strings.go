package smb1

import (
	"fmt"
	"time"
	"unicode/utf16"
)

// reader walks the Bytes block of a message. base is the offset of b[0] from the start of the
// SMB header, which is what Unicode alignment is measured against.
type reader struct {
	b    []byte
	off  int
	base int
}

func newBytesReader(m Message) *reader { return &reader{b: m.Bytes, base: m.BytesOffset()} }

func (r *reader) pos() int  { return r.base + r.off }
func (r *reader) left() int { return len(r.b) - r.off }

// take returns the next n bytes, or ErrTruncated without moving.
func (r *reader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, fmt.Errorf("%w: %s: need %d bytes, %d left", ErrTruncated, what, n, r.left())
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

// str reads one NUL-terminated string. A missing terminator takes the rest of the block and a
// missing string is "": servers differ in which trailing strings they send. With align set, a
// Unicode string first skips the pad byte that puts it on an even offset from the header.
func (r *reader) str(unicode, align bool) string {
	if !unicode {
		for i := r.off; i < len(r.b); i++ {
			if r.b[i] == 0 {
				s := oemString(r.b[r.off:i])
				r.off = i + 1
				return s
			}
		}
		s := oemString(r.b[r.off:])
		r.off = len(r.b)
		return s
	}
	start, other := r.off, -1
	switch {
	case align && r.pos()%2 == 1 && r.left() > 0:
		start, other = r.off+1, r.off // the pad byte, or a sender that forgot it
	case align && r.left() > 1 && r.b[r.off] == 0 && r.b[r.off+1] != 0:
		other = r.off + 1 // a sender that padded where no pad was due
	}
	s, end := utf16At(r.b, start)
	// Some servers (impacket 0.10, depending on its NTLM blob) misplace the pad byte. A
	// string that is plain ASCII one byte off while the aligned reading is not was misplaced:
	// the aligned reading of ASCII shifted by one is CJK, never ASCII, and a real non-ASCII
	// name read one byte off is never plain ASCII.
	if other >= 0 && !printableASCII(s) {
		if alt, altEnd := utf16At(r.b, other); alt != "" && printableASCII(alt) {
			s, end = alt, altEnd
		}
	}
	r.off = end
	return s
}

// utf16At reads a NUL-terminated UTF-16LE string at start and returns it with the offset after
// its terminator (the end of b when there is none).
func utf16At(b []byte, start int) (string, int) {
	if start > len(b) {
		return "", len(b)
	}
	for i := start; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return utf16String(b[start:i]), i + 2
		}
	}
	return utf16String(b[start:]), len(b)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// utf16String decodes UTF-16LE; an odd trailing byte is dropped and unpaired surrogates become
// U+FFFD.
func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = le.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// oemString maps bytes to runes one to one (Latin-1), so that any byte sequence yields valid
// UTF-8 and ASCII, all that Windows puts here in practice, comes out unchanged.
func oemString(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// builder assembles a Bytes block whose first byte sits at base from the header start.
type builder struct {
	b    []byte
	base int
}

func newBuilder(nWords int) *builder { return &builder{base: bytesOffset(nWords)} }

func (w *builder) pos() int { return w.base + len(w.b) }

// pad appends zero bytes until the absolute offset is a multiple of n.
func (w *builder) pad(n int) {
	for w.pos()%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *builder) raw(p []byte) { w.b = append(w.b, p...) }

// str appends s with its terminator: UTF-16LE (after a pad byte to an even offset if align) or
// OEM, where runes beyond Latin-1 become '?'.
func (w *builder) str(s string, unicode, align bool) {
	if !unicode {
		for _, c := range s {
			if c > 0xFF {
				c = '?'
			}
			w.b = append(w.b, byte(c))
		}
		w.b = append(w.b, 0)
		return
	}
	if align {
		w.pad(2)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		w.b = le.AppendUint16(w.b, u)
	}
	w.b = append(w.b, 0, 0)
}

// utf16Bytes is s as UTF-16LE with a NUL, for length fields that count it.
func utf16Bytes(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = le.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// filetimeEpochDelta is 1601-01-01 to 1970-01-01 in 100 ns ticks.
const filetimeEpochDelta = 116444736000000000

// FiletimeToTime converts a FILETIME (100 ns ticks since 1601-01-01 UTC) to UTC time. Zero
// means "not specified" and gives the zero time.Time.
func FiletimeToTime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	// Split into seconds first: every uint64 tick count then fits an int64 second count.
	secs := int64(ft/1e7) - filetimeEpochDelta/1e7
	return time.Unix(secs, int64(ft%1e7)*100).UTC()
}

// TimeToFiletime is the inverse of FiletimeToTime; the zero time gives 0, and times before
// 1601 clamp to 0.
func TimeToFiletime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	ticks := t.Unix()*1e7 + int64(t.Nanosecond())/100
	if ticks < -filetimeEpochDelta {
		return 0
	}
	return uint64(ticks + filetimeEpochDelta)
}

// orNil maps empty slices to nil so that decoded structs compare equal to built ones.
func orNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
