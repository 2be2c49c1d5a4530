package ms08model

const (
	wBackslash = '\\'
	wSlash     = '/'
	wDot       = '.'
	wNUL       = 0
)

// routine is the decompiled XP SP3 netapi32 function (sub_5B86A51B in Sotirov's write-up) that
// CanonicalizePathName calls on its stack buffer, transliterated statement by statement: path
// is a pointer into m, every *p is m.at(p), every assignment through a pointer is m.set. It
// returns 1 (canonical) or 0 (invalid name). The C comments on the bug are kept where the bug
// is.
//
// Vista's version differs only in bounding the two wcscpy calls with wcscpy_s; the backward
// scan, the bug, is the same, so one model serves both.
func (m *memory) routine(path ptr) int {
	var p, q ptr
	previousSlash := null
	currentSlash := null
	var ch uint16

	// If the path starts with a server name (two separators, either kind), skip it.
	if (m.at(path) == wBackslash || m.at(path) == wSlash) &&
		(m.at(path+1) == wBackslash || m.at(path+1) == wSlash) {
		p = path + 2
		for m.at(p) != wBackslash && m.at(p) != wSlash {
			if m.at(p) == wNUL {
				return 0
			}
			p++
		}
		p++
		// path now points after the server name, which must be followed by a single separator.
		path = p
		if m.at(path) == wBackslash || m.at(path) == wSlash {
			return 0
		}
	}

	if m.at(path) == wNUL {
		return 1
	}

	// Walk the path, collapsing `\..\` and `\.\` in place. Only `\` counts as a separator here.
	p = path
	for {
		m.tick()
		if m.at(p) == wBackslash {
			if currentSlash == p-1 { // no consecutive separators
				return 0
			}
			previousSlash = currentSlash
			currentSlash = p
		} else if m.at(p) == wDot && (currentSlash == p-1 || p == path) {
			// `\.` or a `.` at the start
			if m.at(p+1) == wDot && (m.at(p+2) == wBackslash || m.at(p+2) == wNUL) {
				// `\..\`, `\..` at the end, or the same at the start
				if previousSlash == null {
					return 0
				}
				ch = m.at(p + 2)
				m.wcscpy(previousSlash, p+2)
				if ch == wNUL {
					return 1
				}
				currentSlash = previousSlash
				p = previousSlash

				// Find the separator before p. BUG: when previous_slash was the first cell of
				// the buffer, q starts one cell before it and the loop reads on down the stack.
				q = p - 1
				for m.at(q) != wBackslash && q != path {
					q--
				}

				if m.at(p) == wBackslash {
					previousSlash = q
				} else {
					previousSlash = null
				}
			} else if m.at(p+1) == wBackslash {
				// `\.\` or `.\` at the start: drop it (from the current separator when there is
				// one — what the decompiled code does).
				if currentSlash != null {
					m.wcscpy(currentSlash, p+2)
				} else {
					m.wcscpy(p, p+2)
				}
				goto endOfLoop
			} else if m.at(p+1) != wNUL {
				// `\.x`: cut the path at the current separator (or here) and stop.
				if currentSlash != null {
					p = currentSlash
				}
				m.set(p, wNUL)
				return 1
			}
		}
		p++
	endOfLoop:
		if m.at(p) == wNUL {
			return 1
		}
	}
}
