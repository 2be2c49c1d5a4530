package peerdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
)

// Who is right about a disagreement.
const (
	RightScan445 = "scan445"
	RightNmap    = "nmap"
	RightNeither = "neither" // both wrong, or the truth is not knowable from the wire
	RightTODO    = "TODO"    // written by -update for a new disagreement; fails the test
)

// Expectation is one known disagreement and the judgement on it.
type Expectation struct {
	Disagreement
	Right string `json:"right"`
	Why   string `json:"why"`
}

// File is the checked-in expectations file.
type File struct {
	Comment []string      `json:"comment"`
	Entries []Expectation `json:"disagreements"`
}

// Load reads and validates an expectations file: every entry names a server, a known field,
// who is right (scan445, nmap, neither or TODO) and why; no entry appears twice.
func Load(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	known := map[string]bool{}
	for _, fl := range Fields() {
		known[fl] = true
	}
	seen := map[Disagreement]bool{}
	var errs []error
	for i, e := range f.Entries {
		switch {
		case e.Server == "" || !known[e.Field]:
			errs = append(errs, fmt.Errorf("entry %d: server %q field %q", i, e.Server, e.Field))
		case e.Right != RightScan445 && e.Right != RightNmap && e.Right != RightNeither && e.Right != RightTODO:
			errs = append(errs, fmt.Errorf("entry %d (%s): right %q, want scan445, nmap or neither", i, e.Disagreement, e.Right))
		case e.Why == "":
			errs = append(errs, fmt.Errorf("entry %d (%s): no why", i, e.Disagreement))
		case seen[e.Disagreement]:
			errs = append(errs, fmt.Errorf("entry %d (%s): duplicate", i, e.Disagreement))
		}
		seen[e.Disagreement] = true
	}
	if err := errors.Join(errs...); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Check returns the disagreements found that the file does not list, and the entries of the
// file that were not found (stale: the file must stay true). Entries for servers not in
// scanned are neither checked nor stale (a partial run, e.g. Samba missing).
func Check(found []Disagreement, f File, scanned map[string]bool) (unexpected []Disagreement, stale []Expectation) {
	listed := map[Disagreement]bool{}
	for _, e := range f.Entries {
		listed[e.Disagreement] = true
	}
	got := map[Disagreement]bool{}
	for _, d := range found {
		got[d] = true
		if !listed[d] {
			unexpected = append(unexpected, d)
		}
	}
	for _, e := range f.Entries {
		if scanned[e.Server] && !got[e.Disagreement] {
			stale = append(stale, e)
		}
	}
	return unexpected, stale
}

// Update returns f with the stale entries of the scanned servers dropped and the unexpected
// disagreements added as TODO entries (to be judged by hand), sorted by server and field.
func Update(found []Disagreement, f File, scanned map[string]bool) File {
	unexpected, stale := Check(found, f, scanned)
	drop := map[Disagreement]bool{}
	for _, e := range stale {
		drop[e.Disagreement] = true
	}
	var out []Expectation
	for _, e := range f.Entries {
		if !drop[e.Disagreement] {
			out = append(out, e)
		}
	}
	for _, d := range unexpected {
		out = append(out, Expectation{Disagreement: d, Right: RightTODO, Why: RightTODO})
	}
	order := map[string]int{}
	for i, fl := range Fields() {
		order[fl] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Server != out[j].Server {
			return out[i].Server < out[j].Server
		}
		return order[out[i].Field] < order[out[j].Field]
	})
	f.Entries = out
	return f
}

// Marshal renders f as the checked-in file: indented JSON without HTML escaping (the file
// quotes wire strings such as "<script>"), one trailing newline.
func (f File) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(f) // a File always encodes
	return b.Bytes()
}
