package pwaudit

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

//go:embed lists/conficker.txt
var confickerList string

// ConfickerListName is the name findings give the embedded Conficker dictionary.
const ConfickerListName = "conficker"

// Bounds on a user-supplied list: a bigger file is a wrong path, not a password list (and the
// budget would never reach its end anyway).
const (
	maxListEntries = 100000
	maxEntryBytes  = 256
)

// ErrBadList: a password list that cannot be used.
var ErrBadList = errors.New("pwaudit: bad password list")

// List is a named password list. Its entries are unexported and it formats as its name and
// size, so no log, error or report line can carry one.
type List struct {
	name    string
	entries []string
}

// Name is the list's name as findings cite it.
func (l List) Name() string { return l.name }

// Len is the number of entries.
func (l List) Len() int { return len(l.entries) }

// String names the list without its entries.
func (l List) String() string { return fmt.Sprintf("%s (%d entries)", l.name, len(l.entries)) }

// GoString names the list without its entries under %#v.
func (l List) GoString() string { return "pwaudit.List{" + l.String() + "}" }

// Format makes every verb print String.
func (l List) Format(f fmt.State, _ rune) { fmt.Fprint(f, l.String()) }

// Ref names one entry of a list without revealing it: the list's name and the entry's
// 1-based index.
type Ref struct {
	List  string `json:"list"`
	Index int    `json:"index"`
}

// String is "list#index".
func (r Ref) String() string { return fmt.Sprintf("%s#%d", r.List, r.Index) }

// ConfickerList is the dictionary Conficker tried (lists/conficker.txt, embedded).
func ConfickerList() List {
	l, err := ParseList(ConfickerListName, strings.NewReader(confickerList))
	if err != nil {
		// The embedded file is tested; an error here is a build defect.
		panic(err)
	}
	return l
}

// ParseList reads one password per line. Lines starting with "#" are comments; empty lines
// are skipped; a trailing CR is dropped. Duplicates keep their first index. The error names
// the line number, never the content.
func ParseList(name string, r io.Reader) (List, error) {
	l := List{name: name}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<16)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSuffix(sc.Text(), "\r")
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		switch {
		case len(s) > maxEntryBytes:
			return List{}, fmt.Errorf("%w: %s line %d is longer than %d bytes", ErrBadList, name, line, maxEntryBytes)
		case !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0:
			return List{}, fmt.Errorf("%w: %s line %d is not UTF-8 text", ErrBadList, name, line)
		case len(l.entries) >= maxListEntries:
			return List{}, fmt.Errorf("%w: %s has more than %d entries", ErrBadList, name, maxListEntries)
		}
		if !seen[s] {
			seen[s] = true
			l.entries = append(l.entries, s)
		}
	}
	if err := sc.Err(); err != nil {
		return List{}, fmt.Errorf("%w: %s line %d: %v", ErrBadList, name, line+1, err)
	}
	if len(l.entries) == 0 {
		return List{}, fmt.Errorf("%w: %s has no entries", ErrBadList, name)
	}
	return l, nil
}

// LoadListFile reads a --password-list file; the list is named after the file's base name.
func LoadListFile(path string) (List, error) {
	f, err := os.Open(path)
	if err != nil {
		return List{}, fmt.Errorf("%w: %v", ErrBadList, err)
	}
	defer f.Close()
	name := path
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return ParseList(name, f)
}

// candidate is one entry to try and how findings cite it.
type candidate struct {
	ref      Ref
	password string
}

// candidates lists the entries of lists in order, each with its reference.
func candidates(lists []List) []candidate {
	var out []candidate
	for _, l := range lists {
		for i, p := range l.entries {
			out = append(out, candidate{ref: Ref{List: l.name, Index: i + 1}, password: p})
		}
	}
	return out
}
