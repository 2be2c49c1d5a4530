package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
)

// journal is the resume file: one JSON host result per line, appended as hosts finish, so even a
// scan killed with SIGKILL loses at most the line being written. It is also where --report-all
// reads the unlisted results back from.
type journal struct {
	f    *os.File
	path string
}

// resumeState is what a journal says is done, in memory proportional to the hosts that
// answered: their results are kept, the other results only counted, and every finished address
// is one bit in a set.
type resumeState struct {
	listed []scanner.HostResult
	at     map[string]int // address → index in listed
	tally  *report.Tally
	done   *addrSet
}

func newResumeState() *resumeState {
	return &resumeState{at: map[string]int{}, tally: report.NewTally(), done: newAddrSet()}
}

// add takes one journal line. Hosts cut short by an interrupt are left out of the done set so
// that they are probed again; a host seen twice (resumed after an interrupt) keeps its latest
// result.
func (s *resumeState) add(h scanner.HostResult) {
	if h.Interrupted {
		return
	}
	a, err := netip.ParseAddr(h.Address)
	if report.Listed(h) || err != nil {
		if i, ok := s.at[h.Address]; ok {
			s.listed[i] = h
		} else {
			s.at[h.Address] = len(s.listed)
			s.listed = append(s.listed, h)
		}
		if err == nil {
			s.done.add(a)
		}
		return
	}
	if s.done.add(a) {
		s.tally.Add(h)
	}
}

// openJournal reads the results already in path (creating it if missing), drops a torn last
// line, and opens it for appending.
func openJournal(path string) (*journal, *resumeState, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	state := newResumeState()
	good, err := readJournal(f, state.add)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return &journal{f: f, path: path}, state, nil
}

// readJournal hands every intact result line to each, and returns the offset just past the
// last intact line.
func readJournal(r io.Reader, each func(scanner.HostResult)) (int64, error) {
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
func (j *journal) Append(h scanner.HostResult) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = j.f.Write(append(b, '\n'))
	return err
}

func (j *journal) Close() error {
	if j == nil || j.f == nil {
		return nil
	}
	return j.f.Close()
}

// unlistedFrom yields, from a journal or spill file, the results a compact report counts but
// does not list — each address once, as resumeState counted them — for --report-all.
func unlistedFrom(path string) func(yield func(scanner.HostResult) error) error {
	return func(yield func(scanner.HostResult) error) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		seen := newAddrSet()
		var yieldErr error
		_, err = readJournal(f, func(h scanner.HostResult) {
			if yieldErr != nil || h.Interrupted || report.Listed(h) {
				return
			}
			a, perr := netip.ParseAddr(h.Address)
			if perr != nil || !seen.add(a) {
				return
			}
			yieldErr = yield(h)
		})
		return errors.Join(yieldErr, err)
	}
}

// spill keeps the unlisted results of a --report-all scan without --resume on disk, buffered;
// the report streams them back from it.
type spill struct {
	f *os.File
	w *bufio.Writer
}

func newSpill() (*spill, error) {
	f, err := os.CreateTemp("", "scan445-unlisted-*.ndjson")
	if err != nil {
		return nil, fmt.Errorf("--report-all: %w", err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (s *spill) Append(h scanner.HostResult) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = s.w.Write(append(b, '\n'))
	return err
}

func (s *spill) Flush() error { return s.w.Flush() }

func (s *spill) Remove() {
	if s != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
