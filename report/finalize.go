package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// Finding id: the verdicts are folded into classes so that a flip between two verdicts that
// mean the same thing to the reader (unknown ↔ error, patched ↔ not-affected ↔ clean) keeps the id,
// while a change that matters (vulnerable → patched) yields a new one and shows in a diff.
const (
	classClear        = "clear"
	classUndetermined = "undetermined"
)

// VerdictClass is the part of a verdict that a finding id depends on (see verdictTable).
func VerdictClass(v smbprobe.Verdict) string {
	if vi, ok := lookupVerdict(v); ok {
		return vi.Class
	}
	return classUndetermined
}

// Actionable reports whether a verdict asks someone to do something: it is its own id class.
func Actionable(v smbprobe.Verdict) bool {
	vi, ok := lookupVerdict(v)
	return ok && vi.Class == string(v)
}

// hostKey names a host the same way across runs: its canonical address (so "::ffff:10.0.0.1",
// "010.0.0.1" style spellings from other producers do not split one host into two). The port is
// not part of it: with --ports 445,139 one host may answer on 445 in one run and on 139 in the
// next, and it is the same machine with the same findings (baseline, diff, merge).
func hostKey(address string) string {
	if a, err := netip.ParseAddr(address); err == nil {
		address = a.Unmap().String()
	}
	return address
}

// hostLabel is how reports and messages name a host: address:port.
func hostLabel(address string, port int) string {
	return hostKey(address) + ":" + strconv.Itoa(port)
}

// FindingID is the stable id of a finding: hex of a truncated SHA-256 over host, check and
// verdict class. No timestamps, evidence or port go in, so reruns agree whatever port answered.
// The host is hashed as "address:445", the form ids had when the port was part of a host's
// identity: ids of hosts scanned on 445 — every real scan before --ports — did not change, so
// ticket and DefectDojo deduplication carries over.
func FindingID(address, check string, v smbprobe.Verdict) string {
	h := sha256.New()
	// NUL separators: no field can contain one after JSON decoding of sane input, and even if
	// one did, the length-free join is still unambiguous enough for a dedup key.
	fmt.Fprintf(h, "scan445/finding/v1\x00%s:445\x00%s\x00%s", hostKey(address), check, VerdictClass(v))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Finalize makes a Document ready to write: hosts in address order, empty lists instead of
// nulls, finding ids and the summary recomputed. It is idempotent.
func Finalize(doc *Document) {
	if doc.Schema == "" {
		doc.Schema = SchemaVersion
	}
	if doc.Tool == "" {
		doc.Tool = "scan445"
	}
	if doc.Arguments == nil {
		doc.Arguments = []string{}
	}
	if doc.Hosts == nil {
		doc.Hosts = []scanner.HostResult{}
	}
	sortHosts(doc.Hosts)
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil {
			continue
		}
		if h.SMB.Findings == nil {
			h.SMB.Findings = []smbprobe.Finding{}
		}
		if h.SMB.Exchanges == nil {
			h.SMB.Exchanges = []smbprobe.Exchange{}
		}
		for j := range h.SMB.Findings {
			f := &h.SMB.Findings[j]
			if f.Evidence == nil {
				f.Evidence = []int{}
			}
			f.ID = FindingID(h.Address, f.Check, f.Verdict)
		}
	}
	doc.Summary = Summarize(doc.Summary.Targets, doc.Hosts)
	doc.Unlisted.addTo(&doc.Summary)
}

// sortHosts orders by parsed address (so 10.0.0.9 precedes 10.0.0.10), unparsable ones last.
func sortHosts(hosts []scanner.HostResult) {
	sort.SliceStable(hosts, func(i, j int) bool {
		return compareHosts(hosts[i].Address, hosts[i].Port, hosts[j].Address, hosts[j].Port) < 0
	})
}

func compareHosts(a string, ap int, b string, bp int) int {
	pa, ea := netip.ParseAddr(a)
	pb, eb := netip.ParseAddr(b)
	switch {
	case ea == nil && eb == nil:
		if c := pa.Unmap().Compare(pb.Unmap()); c != 0 {
			return c
		}
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	default:
		if c := strings.Compare(a, b); c != 0 {
			return c
		}
	}
	return ap - bp
}

// WriteJSON writes the Document as indented JSON, the source-of-truth format.
func WriteJSON(w io.Writer, doc *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// The JSON is often viewed in browsers and pasted into tickets: keep <, >, & escaped.
	enc.SetEscapeHTML(true)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: encode json: %w", err)
	}
	return nil
}

// Load reads a JSON Document, refusing schemas of another major version. Unknown fields are
// ignored, so that a newer minor version of the same major still loads.
func Load(r io.Reader) (*Document, error) { return load(r, false) }

// LoadCompact reads a JSON Document like Load, but keeps in Hosts only the results a compact
// report lists (Listed) and counts the others in Unlisted. Hosts are decoded one at a time, so
// a report written with --report-all for a /8 loads in memory proportional to the hosts that
// answered.
func LoadCompact(r io.Reader) (*Document, error) { return load(r, true) }

func load(r io.Reader, compact bool) (*Document, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	malformed := func(err error) error { return fmt.Errorf("%w: %v", ErrMalformed, err) }
	if tok, err := dec.Token(); err != nil {
		return nil, malformed(err)
	} else if tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var hosts []scanner.HostResult
	var tally *Tally
	rest := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		key, _ := tok.(string)
		if !strings.EqualFold(key, "hosts") {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, malformed(err)
			}
			rest[key] = v
			continue
		}
		// The host list, one element at a time.
		tok, err = dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		if tok == nil {
			continue
		}
		if tok != json.Delim('[') {
			return nil, fmt.Errorf("%w: hosts is not a list", ErrMalformed)
		}
		for dec.More() {
			var h scanner.HostResult
			if err := dec.Decode(&h); err != nil {
				return nil, malformed(err)
			}
			if compact && !Listed(h) {
				if tally == nil {
					tally = NewTally()
				}
				tally.Add(h)
				continue
			}
			hosts = append(hosts, h)
		}
		if _, err := dec.Token(); err != nil {
			return nil, malformed(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the document", ErrMalformed)
	}
	var schema *string
	for k, raw := range rest {
		if strings.EqualFold(k, "schema") {
			if err := json.Unmarshal(raw, &schema); err != nil {
				return nil, malformed(err)
			}
		}
	}
	if schema == nil {
		return nil, fmt.Errorf("%w: no schema field", ErrSchema)
	}
	if err := checkSchema(*schema); err != nil {
		return nil, err
	}
	obj, err := json.Marshal(rest)
	if err != nil {
		return nil, malformed(err)
	}
	var doc Document
	if err := json.Unmarshal(obj, &doc); err != nil {
		return nil, malformed(err)
	}
	doc.Hosts = hosts
	if tally != nil {
		u := tally.Unlisted(hosts)
		if doc.Unlisted != nil {
			u.merge(doc.Unlisted)
		}
		doc.Unlisted = u
	}
	return &doc, nil
}

// checkSchema accepts "scan445/report/v1" and minor revisions such as "scan445/report/v1.2".
func checkSchema(s string) error {
	const prefix = "scan445/report/v"
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return fmt.Errorf("%w: %q is not a scan445 report", ErrSchema, s)
	}
	major, _, _ := strings.Cut(rest, ".")
	want := strings.TrimPrefix(SchemaVersion, prefix)
	if major != want {
		return fmt.Errorf("%w: major version %q, this build reads %q", ErrSchema, major, want)
	}
	return nil
}
