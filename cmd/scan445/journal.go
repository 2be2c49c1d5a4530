package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/scan445/scan445/scanner"
)

// journal is the resume file: one JSON host result per line, appended as hosts finish, so even a
// scan killed with SIGKILL loses at most the line being written.
type journal struct {
	f *os.File
}

// openJournal reads the results already in path (creating it if missing), drops a torn last
// line, and opens it for appending. Hosts cut short by an interrupt are left out of the done
// set so that they are probed again.
func openJournal(path string) (*journal, []scanner.HostResult, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	done, good, err := readJournal(f)
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
	return &journal{f: f}, done, nil
}

// readJournal returns the complete results and the offset just past the last intact line.
func readJournal(r io.Reader) ([]scanner.HostResult, int64, error) {
	br := bufio.NewReader(r)
	var out []scanner.HostResult
	latest := map[string]int{}
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without its newline was being written when the scan died.
			return out, good, nil
		}
		if err != nil {
			return nil, 0, err
		}
		trimmed := bytes.TrimSpace(b)
		if len(trimmed) > 0 {
			var h scanner.HostResult
			if err := json.Unmarshal(trimmed, &h); err != nil || h.Address == "" {
				return nil, 0, fmt.Errorf("line %d is not a scan445 host result (is this a resume journal?)", line)
			}
			if !h.Interrupted {
				// A host seen twice (resumed after an interrupt) keeps its latest result.
				if i, ok := latest[h.Address]; ok {
					out[i] = h
				} else {
					latest[h.Address] = len(out)
					out = append(out, h)
				}
			}
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
