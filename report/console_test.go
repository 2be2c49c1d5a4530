package report

import (
	"strings"
	"testing"

	"github.com/scan445/scan445/scanner"
)

func TestHostLines(t *testing.T) {
	doc := goldenDocument(t)
	doc.Hosts = append(doc.Hosts, scanner.HostResult{Address: "10.20.5.1", Port: 445, Status: scanner.StatusError, Error: "connection reset during handshake"})
	Finalize(doc)
	lines := HostLines(doc)
	var got []string
	for _, l := range lines {
		got = append(got, l.Address+" "+string(l.Verdict))
	}
	// Worst first; closed and filtered addresses left out; within "exposed", the critical XP
	// before the high 2008 DC.
	want := []string{"10.20.1.5 infected", "10.20.2.30 vulnerable", "10.20.1.17 exposed", "10.20.3.9 exposed",
		"10.20.3.40 unknown", "10.20.5.1 error", "10.20.2.8 patched", "10.20.3.2 not-affected"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	for _, l := range lines {
		for _, f := range l.Findings {
			if strings.HasSuffix(f, "=patched") || strings.HasSuffix(f, "=not-affected") {
				t.Errorf("%s lists a clear check: %s", l.Address, f)
			}
		}
		switch l.Address {
		case "10.20.3.40": // negotiation failed: the reason, once, instead of a list of unknowns
			if l.Reason == "" || len(l.Findings) != 0 {
				t.Errorf("failed negotiation: reason %q, findings %v", l.Reason, l.Findings)
			}
		case "10.20.5.1":
			if l.Reason != "connection reset during handshake" {
				t.Errorf("sweep error: reason %q", l.Reason)
			}
		case "10.20.1.5":
			if len(l.Findings) == 0 || l.Findings[0] != "conficker=infected" {
				t.Errorf("infected host: findings %v, want the infection first", l.Findings)
			}
		}
	}
}

// TestWriteConsole: the summary a terminal shows. A host found on 139 is named address:139, a
// wire string cannot reach the terminal's control sequences, and an interrupted scan says so.
func TestWriteConsole(t *testing.T) {
	doc := goldenDocument(t)
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		switch h.Address {
		case "10.20.1.5":
			h.Port, h.Tried = 139, []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}}
			h.SMB.Fingerprint.DNSName = "evil\x1b]0;owned\x07.corp.example"
		}
	}
	doc.Complete, doc.Interrupted = false, "interrupted by signal"
	Finalize(doc)
	var b strings.Builder
	if err := WriteConsole(&b, doc); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"targets scanned (INCOMPLETE)",
		"VERDICT       HOST",
		"infected      10.20.1.5:139  evil?]0;owned?.corp.example",
		"\nvulnerable    10.20.2.30     ", // on 445: no port
		"findings: ",
		"note: interrupted by signal\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("a control character reached the console:\n%q", out)
	}
}
