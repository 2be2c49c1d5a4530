package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scan445/scan445/scanner"
)

// Merge joins the documents of sharded runs into one. Hosts are united; a host that two shards
// both scanned keeps the result that started later and adds a warning. The result is complete
// only if every shard is. Targets add up, because shards partition the target space.
func Merge(docs ...*Document) (*Document, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrMalformed)
	}
	out := &Document{Schema: SchemaVersion, Complete: true, Options: map[string]string{}}
	seen := map[string]int{} // host key → index in out.Hosts
	var interrupted []string
	for n, d := range docs {
		if d == nil {
			return nil, fmt.Errorf("%w: document %d is nil", ErrMalformed, n+1)
		}
		if err := checkSchema(d.Schema); err != nil {
			return nil, fmt.Errorf("document %d: %w", n+1, err)
		}
		if n == 0 {
			out.Tool, out.Version, out.Arguments = d.Tool, d.Version, append([]string(nil), d.Arguments...)
			out.Started, out.Finished = d.Started, d.Finished
		} else {
			if d.Tool != out.Tool || d.Version != out.Version {
				out.Warnings = append(out.Warnings, fmt.Sprintf("merge: document %d was written by %s %s, document 1 by %s %s",
					n+1, d.Tool, d.Version, out.Tool, out.Version))
			}
			if !d.Started.IsZero() && (out.Started.IsZero() || d.Started.Before(out.Started)) {
				out.Started = d.Started
			}
			if d.Finished.After(out.Finished) {
				out.Finished = d.Finished
			}
		}
		for k, v := range d.Options {
			if old, ok := out.Options[k]; ok && old != v {
				// The shard option is expected to differ; anything else is worth a note.
				if k != "shard" {
					out.Warnings = append(out.Warnings, fmt.Sprintf("merge: option %s differs between shards (%q, %q)", k, old, v))
				}
				out.Options[k] = old + "," + v
				continue
			}
			out.Options[k] = v
		}
		mergeKind(out, d, n)
		out.Complete = out.Complete && d.Complete
		if d.Interrupted != "" {
			interrupted = append(interrupted, fmt.Sprintf("document %d: %s", n+1, d.Interrupted))
		}
		out.Warnings = append(out.Warnings, d.Warnings...)
		out.WebhookFailures = append(out.WebhookFailures, d.WebhookFailures...)
		out.Summary.Targets += d.Summary.Targets
		if d.Unlisted != nil {
			if out.Unlisted == nil {
				out.Unlisted = &Unlisted{Statuses: map[string]int{}}
			}
			out.Unlisted.merge(d.Unlisted)
		}
		for _, h := range d.Hosts {
			k := hostKey(h.Address)
			i, dup := seen[k]
			if !dup {
				seen[k] = len(out.Hosts)
				out.Hosts = append(out.Hosts, cloneHost(h))
				continue
			}
			keep := &out.Hosts[i]
			if h.Started.After(keep.Started) {
				out.Warnings = append(out.Warnings, fmt.Sprintf("merge: host %s appears in more than one document; kept the later result (document %d)", k, n+1))
				*keep = cloneHost(h)
			} else {
				out.Warnings = append(out.Warnings, fmt.Sprintf("merge: host %s appears in more than one document; kept the later result, dropped the one in document %d", k, n+1))
			}
		}
	}
	if len(out.Options) == 0 {
		out.Options = nil
	}
	out.Interrupted = strings.Join(interrupted, "; ")
	sort.Strings(out.Warnings)
	out.Warnings = compactStrings(out.Warnings)
	Finalize(out)
	return out, nil
}

// cloneHost copies the parts Finalize writes to, so merging never alters the inputs.
func cloneHost(h scanner.HostResult) scanner.HostResult {
	if h.SMB != nil {
		smb := *h.SMB
		smb.Findings = append(smb.Findings[:0:0], smb.Findings...)
		h.SMB = &smb
	}
	return h
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
