package srvsvc

import "unicode/utf16"

// PathReachesOverflow reports whether a srvsvc server running the unpatched MS08-067 path
// canonicalisation (netapi32) would, for this path, scan memory before the start of its path
// buffer — the out-of-bounds read that crashes unpatched hosts (docs/checks.md §0). No request our
// code sends by default may carry a path for which it is true.
//
// It does not match strings; it runs a model of the routine on the path: the in-place
// collapse of `\..` (copy the tail over the previous backslash, then scan backwards from there
// for the backslash before it, stopping only at the buffer start) and `\.` handling, and says
// whether that backward scan would ever begin — or run — below the buffer.
//
// Where the routine's behaviour is uncertain it errs towards true: the path is cut at its first
// NUL (what the server's wcscpy sees) and modelled with `/` treated as `\` (netapi32 accepts
// both as separators) and verbatim, each with both readings of the `\.\` removal (the
// decompiled copy over the current backslash, and a plain removal of `.\`); the answer is true
// if any of the four reaches.
func PathReachesOverflow(path string) bool {
	u := utf16.Encode([]rune(path))
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	slashed := make([]uint16, len(u))
	for i, c := range u {
		if c == '/' {
			c = '\\'
		}
		slashed[i] = c
	}
	for _, buf := range [][]uint16{slashed, u} {
		for _, properDot := range []bool{false, true} {
			if canonicalizeReadsBefore(buf, properDot) {
				return true
			}
		}
	}
	return false
}

// canonicalizeReadsBefore models the vulnerable canonicalisation on a NUL-free path and
// reports whether its backward scan reads below index 0. Positions are indices into a fixed
// buffer holding the path and one NUL, so stale characters left behind by the in-place copies
// stay visible exactly as they would in memory; -1 stands for a NULL pointer.
// With properDot, `\.\` is removed by dropping `.\` (keeping the backslash) instead of the
// decompiled wcscpy(current_slash, p+2), which also drops the backslash.
func canonicalizeReadsBefore(path []uint16, properDot bool) bool {
	const (
		nul       = 0
		backslash = '\\'
		slash     = '/'
		dot       = '.'
	)
	buf := make([]uint16, len(path)+1) // the final element is the NUL and is never overwritten
	copy(buf, path)
	isSep := func(c uint16) bool { return c == backslash || c == slash }
	// wcscpy(dst, src) with dst < src: moves the tail left, NUL included; the cells after the
	// new NUL keep their old contents.
	wcscpy := func(dst, src int) {
		for {
			buf[dst] = buf[src]
			if buf[src] == nul {
				return
			}
			dst++
			src++
		}
	}

	// A leading `\\server\` is skipped: the canonical part starts after the name, but the
	// buffer (and so the out-of-bounds limit) still starts at index 0.
	start := 0
	if len(path) >= 2 && isSep(buf[0]) && isSep(buf[1]) {
		p := 2
		for !isSep(buf[p]) {
			if buf[p] == nul {
				return false
			}
			p++
		}
		start = p + 1
		if isSep(buf[start]) {
			return false
		}
	}
	if buf[start] == nul {
		return false
	}

	cur, prev := -1, -1 // current_slash, previous_slash
	p := start
	// Every step advances p or shortens the string, so the loop ends; the bound only guards the
	// model against itself, and running out of it counts as reaching the overflow.
	for steps, limit := 0, 8*(len(buf)+2)*(len(buf)+2); ; steps++ {
		if steps > limit {
			return true
		}
		advance := true
		switch {
		case buf[p] == backslash:
			if cur >= 0 && cur == p-1 {
				return false // consecutive separators are rejected
			}
			prev, cur = cur, p
		case buf[p] == dot && ((cur >= 0 && cur == p-1) || p == start):
			switch {
			case buf[p+1] == dot && (buf[p+2] == backslash || buf[p+2] == nul):
				if prev < 0 {
					return false // `\..` with no component to remove: rejected
				}
				ch := buf[p+2]
				wcscpy(prev, p+2)
				if ch == nul {
					return false // trailing `\..`: done before any scan
				}
				cur, p = prev, prev
				// The backward scan for the separator before p: it stops at a backslash or at
				// the start of the canonical part, and reads every cell on the way.
				q := p - 1
				for {
					if q < 0 {
						return true
					}
					if buf[q] == backslash || q == start {
						break
					}
					q--
				}
				if buf[p] == backslash {
					prev = q
				} else {
					prev = -1
				}
			case buf[p+1] == backslash:
				if cur >= 0 && !properDot {
					wcscpy(cur, p+2)
				} else {
					wcscpy(p, p+2)
				}
				advance = false
			case buf[p+1] != nul:
				return false // `.x` or `..x`: the routine truncates and returns
			}
		}
		if advance {
			p++
		}
		if buf[p] == nul {
			return false
		}
	}
}
