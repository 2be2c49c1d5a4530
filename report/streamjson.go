package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/scan445/scan445/scanner"
)

// WriteJSONAll writes doc with one entry per result (--report-all): the hosts in doc.Hosts, in
// their order, then every result doc.Unlisted counts, as rest yields them (from the resume
// journal or a spill file, in the order they finished). Nothing is held in memory but one host
// at a time. The output is the same schema as WriteJSON; it has no "unlisted" object, since
// every result is listed.
func WriteJSONAll(w io.Writer, doc *Document, rest func(yield func(scanner.HostResult) error) error) error {
	head := *doc
	head.Hosts = []scanner.HostResult{}
	head.Unlisted = nil
	// MarshalIndent escapes <, > and & like WriteJSON. A raw newline never occurs inside a
	// JSON string, so the top-level key at two spaces' indent is found exactly once.
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode json: %w", err)
	}
	const marker = "\n  \"hosts\": []"
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return fmt.Errorf("report: encode json: no host list")
	}
	if _, err := w.Write(b[:i]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n  \"hosts\": ["); err != nil {
		return err
	}
	n := 0
	one := func(h scanner.HostResult) error {
		hb, err := json.MarshalIndent(h, "    ", "  ")
		if err != nil {
			return fmt.Errorf("report: encode json: %w", err)
		}
		sep := ",\n    "
		if n == 0 {
			sep = "\n    "
		}
		n++
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		_, err = w.Write(hb)
		return err
	}
	for _, h := range doc.Hosts {
		if err := one(h); err != nil {
			return err
		}
	}
	if rest != nil {
		if err := rest(one); err != nil {
			return err
		}
	}
	if n > 0 {
		if _, err := io.WriteString(w, "\n  ]"); err != nil {
			return err
		}
	} else if _, err := io.WriteString(w, "]"); err != nil {
		return err
	}
	if _, err := w.Write(b[i+len(marker):]); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}
