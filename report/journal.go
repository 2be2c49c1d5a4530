package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/scan445/scan445/scanner"
)

// The resume journal lives here, next to the document it feeds, rather than beside the engine:
// what it keeps is report policy — which results are listed and which only counted (Listed,
// Tally), and which of two results for one host wins — and the scanner package cannot import
// this one. The engine only sees the done set, through Config.Skip.

// Journal is the resume file: one JSON host result per line, appended as hosts finish, so even
// a scan killed with SIGKILL loses at most the line being written. It is also where --report-all
// reads the unlisted results back from (UnlistedFrom).
type Journal struct {
	f    *os.File
	path string
}

// ResumeState is what a journal says is done, in memory proportional to the hosts that
// answered: their results are kept, the other results only counted, and every finished address
// is one bit in a set.
type ResumeState struct {
	Listed []scanner.HostResult // results a report lists (Listed), the latest per address
	Tally  *Tally               // results a report only counts
	Done   *scanner.AddrSet     // addresses not to scan again
	at     map[string]int       // address → index in Listed
}

// NewResumeState is the state of an empty journal.
func NewResumeState() *ResumeState {
	return &ResumeState{at: map[string]int{}, Tally: NewTally(), Done: scanner.NewAddrSet()}
}

// Add takes one journal line. Hosts cut short by an interrupt are left out of the done set so
// that they are probed again; a host seen twice (resumed after an interrupt) keeps its latest
// result. A host is its address: a result on 139 (--ports 445,139) replaces one on 445.
func (s *ResumeState) Add(h scanner.HostResult) {
	if h.Interrupted {
		return
	}
	a, err := netip.ParseAddr(h.Address)
	if Listed(h) || err != nil {
		k := hostKey(h.Address)
		if i, ok := s.at[k]; ok {
			s.Listed[i] = h
		} else {
			s.at[k] = len(s.Listed)
			s.Listed = append(s.Listed, h)
		}
		if err == nil {
			s.Done.Add(a)
		}
		return
	}
	if s.Done.Add(a) {
		s.Tally.Add(h)
	}
}

// OpenJournal reads the results already in path (creating it if missing), drops a torn last
// line, and opens it for appending.
func OpenJournal(path string) (*Journal, *ResumeState, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	state := NewResumeState()
	good, err := ReadJournal(f, state.Add)
	if err == nil {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return &Journal{f: f, path: path}, state, nil
}

// ReadJournal hands every intact result line to each, and returns the offset just past the
// last intact line.
func ReadJournal(r io.Reader, each func(scanner.HostResult)) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without its newline was being written when the scan died.
			return good, nil
		}
		if err != nil {
			return 0, err
		}
		trimmed := bytes.TrimSpace(b)
		if len(trimmed) > 0 {
			var h scanner.HostResult
			if err := json.Unmarshal(trimmed, &h); err != nil || h.Address == "" {
				return 0, fmt.Errorf("line %d is not a scan445 host result (is this a resume journal?)", line)
			}
			each(h)
		}
		good += int64(len(b))
	}
}

// Append writes one result as one line with a single write, so lines never interleave.
func (j *Journal) Append(h scanner.HostResult) error { return writeLine(j.f, h) }

// writeLine writes h as one JSON line in a single Write.
func writeLine(w io.Writer, h scanner.HostResult) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

// Close closes the file; a nil journal is fine.
func (j *Journal) Close() error {
	if j == nil || j.f == nil {
		return nil
	}
	return j.f.Close()
}

// UnlistedFrom yields, from a journal or spill file, the results a compact report counts but
// does not list — each address once, as ResumeState counted them — for --report-all
// (WriteJSONAll).
func UnlistedFrom(path string) func(yield func(scanner.HostResult) error) error {
	return func(yield func(scanner.HostResult) error) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		seen := scanner.NewAddrSet()
		var yieldErr error
		_, err = ReadJournal(f, func(h scanner.HostResult) {
			if yieldErr != nil || h.Interrupted || Listed(h) {
				return
			}
			a, perr := netip.ParseAddr(h.Address)
			if perr != nil || !seen.Add(a) {
				return
			}
			yieldErr = yield(h)
		})
		return errors.Join(yieldErr, err)
	}
}

// Spill keeps the unlisted results of a --report-all scan without --resume on disk, buffered;
// the report streams them back from it (UnlistedFrom its Path).
type Spill struct {
	f *os.File
	w *bufio.Writer
}

// NewSpill creates the spill file in the temporary directory.
func NewSpill() (*Spill, error) {
	f, err := os.CreateTemp("", "scan445-unlisted-*.ndjson")
	if err != nil {
		return nil, fmt.Errorf("--report-all: %w", err)
	}
	return &Spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Append buffers one result line.
func (s *Spill) Append(h scanner.HostResult) error { return writeLine(s.w, h) }

// Flush writes what is buffered; call it before reading the file back.
func (s *Spill) Flush() error { return s.w.Flush() }

// Path is the spill file's name.
func (s *Spill) Path() string { return s.f.Name() }

// Remove closes and deletes the file; a nil spill is fine.
func (s *Spill) Remove() {
	if s != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
