package report

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/scan445/scan445/scanner"
)

// TestResumeState: which journal lines make a host done, listed or counted.
func TestResumeState(t *testing.T) {
	on := func(addr string, port int, st scanner.Status, extra ...func(*scanner.HostResult)) scanner.HostResult {
		h := scanner.HostResult{Address: addr, Port: port, Status: st}
		for _, f := range extra {
			f(&h)
		}
		return h
	}
	cut := func(h *scanner.HostResult) { h.Interrupted = true }
	after445 := func(h *scanner.HostResult) { h.Tried = []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}} }
	s := NewResumeState()
	for _, h := range []scanner.HostResult{
		on("10.0.0.1", 445, scanner.StatusOpen),
		on("10.0.0.2", 445, scanner.StatusError, cut),       // cut short: scanned again
		on("10.0.0.3", 445, scanner.StatusFiltered),         // counted
		on("10.0.0.3", 445, scanner.StatusFiltered),         // counted once
		on("10.0.0.4", 445, scanner.StatusOpen, cut),        // open, never probed: scanned again
		on("10.0.0.5", 445, scanner.StatusError),            // listed
		on("10.0.0.5", 139, scanner.StatusOpen, after445),   // same host, latest wins
		on("::ffff:10.0.0.1", 445, scanner.StatusOpen, cut), // an interrupt never undoes a result
		on("10.0.0.6", 139, scanner.StatusClosed, after445), // counted
	} {
		s.Add(h)
	}
	done := map[string]bool{"10.0.0.1": true, "10.0.0.3": true, "10.0.0.5": true, "10.0.0.6": true}
	for i := 1; i <= 6; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		if s.Done.Has(a) != done[a.String()] {
			t.Errorf("%s done %v, want %v", a, s.Done.Has(a), done[a.String()])
		}
	}
	if len(s.Listed) != 2 || s.Listed[0].Address != "10.0.0.1" || s.Listed[1].Port != 139 || len(s.Listed[1].Tried) != 1 {
		t.Errorf("listed %+v: want 10.0.0.1, and 10.0.0.5 on 139 after 445", s.Listed)
	}
	if got := s.Tally.Unlisted(nil).Total(); got != 2 {
		t.Errorf("%d counted, want 2 (10.0.0.3 once, 10.0.0.6)", got)
	}
}

// TestJournalRoundTrip: results appended survive reopening, a torn last line is dropped and
// overwritten, and UnlistedFrom yields each counted address once.
func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.ndjson")
	j, _, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	open := scanner.HostResult{Address: "10.0.0.1", Port: 139, Status: scanner.StatusOpen,
		Tried: []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}}}
	dead := scanner.HostResult{Address: "10.0.0.2", Port: 445, Status: scanner.StatusFiltered}
	for _, h := range []scanner.HostResult{open, dead, dead} {
		if err := j.Append(h); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"address":"10.0.0.3","po`)
	f.Close()

	j, state, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if len(state.Listed) != 1 || state.Listed[0].Port != 139 || len(state.Listed[0].Tried) != 1 || state.Done.Len() != 2 {
		t.Fatalf("state: listed %+v, done %d", state.Listed, state.Done.Len())
	}
	if err := j.Append(scanner.HostResult{Address: "10.0.0.4", Status: scanner.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	var unlisted []string
	err = UnlistedFrom(path)(func(h scanner.HostResult) error {
		unlisted = append(unlisted, h.Address)
		return nil
	})
	if err != nil || len(unlisted) != 2 || unlisted[0] != "10.0.0.2" || unlisted[1] != "10.0.0.4" {
		t.Fatalf("unlisted %v, %v: want 10.0.0.2 once, then 10.0.0.4 (the torn line replaced)", unlisted, err)
	}
	if _, _, err := OpenJournal(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("a journal in a missing directory opened")
	}
	notJournal := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(notJournal, []byte("{\n  \"schema\": \"scan445/report/v1\"\n}\n"), 0o644)
	if _, _, err := OpenJournal(notJournal); err == nil {
		t.Error("a JSON report was taken for a journal")
	}
}

// FuzzReadJournal: a resume file is input like any other — a torn, edited or foreign file must
// give an error or results, never a panic, and the good offset must lie inside the input.
func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"address":"127.0.0.1","port":445,"status":"open","attempts":1,"started":"2026-11-27T12:00:00Z","connect_ms":0,"total_ms":1}` + "\n"))
	f.Add([]byte(`{"address":"127.0.0.1","interrupted":true}` + "\n" + `{"addr`))
	f.Add([]byte(`{"address":"127.0.0.1","port":139,"ports_tried":[{"port":445,"status":"closed"}],"status":"open"}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var hosts []scanner.HostResult
		good, err := ReadJournal(bytes.NewReader(b), func(h scanner.HostResult) { hosts = append(hosts, h) })
		if err != nil {
			return
		}
		if good < 0 || good > int64(len(b)) {
			t.Fatalf("good offset %d outside %d bytes", good, len(b))
		}
		state := NewResumeState()
		for _, h := range hosts {
			if h.Address == "" {
				t.Fatalf("handed on a line without an address: %+v", h)
			}
			state.Add(h)
		}
		for _, h := range state.Listed {
			if h.Interrupted {
				t.Fatalf("kept a result that must be redone: %+v", h)
			}
		}
	})
}
