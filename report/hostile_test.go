package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scan445/scan445/smbprobe"

	"github.com/scan445/scan445/internal/testpeer"
)

// Payloads a hostile host can put in any string it answers with. Each would change the page
// title or add an element with id "pwned" if it ever executed or parsed as markup.
var hostilePayloads = []string{
	`<script>document.title='PWNED'</script>`,
	`"><img id="pwned" src=x onerror="document.title='PWNED'">`,
	`=cmd|' /C calc'!A0`,
	`</textarea><svg id="pwned" onload="document.title='PWNED'">`,
	`javascript:document.title='PWNED'`,
	`</style><b id="pwned">x</b><style>`,
	`</title><script>document.title='PWNED'</script>`,
	`<iframe id="pwned" src="javascript:parent.document.title='PWNED'"></iframe>`,
	`' onmouseover='document.title="PWNED"' x='`,
	"{{.Doc}} ]]><!-- \x1b[31m \x00 \xff",
	`![beacon](http://attacker.invalid/x.png) [click](javascript:alert(1))`,
	`+SUM(1+1)*cmd|'/C calc'!A0`,
}

func hostile(i int) string { return hostilePayloads[i%len(hostilePayloads)] }

// hostileDocument fills every string that can come from the wire, or from a tampered JSON file,
// with payloads.
func hostileDocument() *Document {
	doc := fixtureDocument()
	n := 0
	next := func() string { n++; return hostile(n) }
	doc.Warnings = []string{next(), next()}
	doc.Interrupted = next()
	doc.Complete = false
	doc.Arguments = append(doc.Arguments, next())
	doc.WebhookFailures = []string{next()}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil {
			h.Error = next()
			continue
		}
		fp := &h.SMB.Fingerprint
		fp.NativeOS, fp.NativeLANMan, fp.NetBIOSName, fp.NetBIOSDomain = next(), next(), next(), next()
		fp.DNSName, fp.DNSDomain, fp.OS, fp.OSFamily, fp.Honeypot = next(), next(), next(), next(), next()
		fp.Dialects = append(fp.Dialects, next())
		fp.SessionMode, fp.Pipe = next(), next()
		fp.ServerInfo = &smbprobe.ServerInfo101{Name: next(), Comment: next()}
		h.SMB.Error = next()
		for j := range h.SMB.Exchanges {
			e := &h.SMB.Exchanges[j]
			e.Request, e.Status, e.Response, e.SentHex = next(), next(), next(), next()
		}
		for j := range h.SMB.Findings {
			f := &h.SMB.Findings[j]
			f.Title, f.Reason, f.Variant, f.Rule = next(), next(), next(), next()
			f.Remediation = append(f.Remediation, next())
			f.CVE = append(f.CVE, next())
			f.Evidence = append(f.Evidence, 99, -1) // out of range: must not panic
		}
	}
	// A tampered file can also carry hostile enum values and ids.
	doc.Hosts[1].SMB.Findings[0].Check = hostile(0)
	doc.Hosts[1].SMB.Findings[1].Verdict = smbprobe.Verdict(hostile(1))
	doc.Hosts[1].SMB.Findings[1].Severity = smbprobe.Severity(hostile(3))
	doc.Hosts[2].SMB.Findings[0].Baseline = hostile(5)
	Finalize(doc)
	doc.Hosts[2].SMB.Findings[0].ID = hostile(6)
	doc.Hosts[0].Address = hostile(7)
	return doc
}

// injected finds real markup that a payload could have produced. Each pattern starts at a raw
// '<': in escaped output (and in Chromium's serialised DOM) a payload's '<' is always an
// entity, so a match means an element was injected, not that payload text is shown.
var injected = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<img`),
	regexp.MustCompile(`(?i)<iframe`),
	regexp.MustCompile(`(?i)<textarea`),
	regexp.MustCompile(`(?i)<b id=`),
	regexp.MustCompile(`(?i)<[a-z][^>]*\sid="?pwned`),
	regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+=`),
	regexp.MustCompile(`(?i)<[a-z][^>]*\s(href|src)="?\s*javascript:`),
}

func assertNoInjection(t *testing.T, page string) {
	t.Helper()
	for _, re := range injected {
		if loc := re.FindStringIndex(page); loc != nil {
			lo, hi := max(0, loc[0]-80), min(len(page), loc[1]+80)
			t.Errorf("injected markup %s: …%s…", re, page[lo:hi])
		}
	}
	if c := strings.Count(strings.ToLower(page), "<script"); c != 1 {
		t.Errorf("%d <script> elements, want exactly ours", c)
	}
	if c := strings.Count(strings.ToLower(page), "<svg"); c != 2 {
		t.Errorf("%d <svg> elements, want our 2 charts", c)
	}
	if c := strings.Count(strings.ToLower(page), "<style"); c != 1 {
		t.Errorf("%d <style> elements, want exactly ours", c)
	}
}

func TestHTMLHostileStringsEscaped(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileDocument()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	assertNoInjection(t, page)
	if !strings.Contains(page, "&lt;script&gt;document.title=") {
		t.Error("the payload text should still be visible, escaped")
	}
	if strings.Contains(page, "unsafe-inline") {
		t.Error("CSP must not allow unsafe-inline")
	}
}

// TestHTMLCSPHashes recomputes the hashes from the page itself, so an edit that changes the
// inline style or script without the policy is caught without a browser.
func TestHTMLCSPHashes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, fixtureDocument()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if meta == nil {
		t.Fatal("no CSP meta tag")
	}
	csp := html.UnescapeString(meta[1])
	for _, c := range []struct{ tag, directive string }{{"style", "style-src"}, {"script", "script-src"}} {
		m := regexp.MustCompile(`(?s)<` + c.tag + `>(.*?)</` + c.tag + `>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no <%s>", c.tag)
		}
		sum := sha256.Sum256([]byte(m[1]))
		want := c.directive + ` 'sha256-` + base64.StdEncoding.EncodeToString(sum[:]) + `'`
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
	if !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "unsafe") {
		t.Error("CSP lacks default-src 'none'")
	}
}

func TestOtherFormatsHostile(t *testing.T) {
	doc := hostileDocument()
	out := render(t, func(w io.Writer) error { return WriteCSV(w, doc, CSVOptions{BOM: true}) })
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	jira := render(t, func(w io.Writer) error { return WriteJiraCSV(w, doc, JiraOptions{}) })
	jrows, err := csv.NewReader(bytes.NewReader(jira)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(rows, jrows...) {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("formula cell %q", cell)
			}
		}
	}
	x := render(t, func(w io.Writer) error { return WriteJUnit(w, doc, FailOnAny) })
	var js junitSuites
	if err := xml.Unmarshal(x, &js); err != nil {
		t.Fatalf("JUnit with hostile strings does not parse: %v", err)
	}
	if bytes.Contains(x, []byte("<script")) {
		t.Error("unescaped markup in JUnit")
	}
	tk := render(t, func(w io.Writer) error { return WriteTickets(w, doc) })
	for _, l := range bytes.Split(bytes.TrimSpace(tk), []byte("\n")) {
		var ticket Ticket
		if err := json.Unmarshal(l, &ticket); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ticket.Description, "![beacon](") || strings.Contains(ticket.Description, "](javascript:") {
			t.Errorf("markdown link survived: %q", ticket.Description)
		}
	}
	var d bytes.Buffer
	if err := WriteDiff(&d, Diff(fixtureDocument(), doc)); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(d.Bytes(), "\x1b\x00") {
		t.Error("control characters reach the terminal")
	}
}

// chromium: see testpeer.Chromium.
func chromium(t *testing.T, extra ...string) []byte { return testpeer.Chromium(t, extra...) }

func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	testpeer.LookPath(t, "chromium", "/usr/bin/chromium")
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		doc  *Document
	}{{"hostile", hostileDocument()}, {"golden", goldenDocument(t)}} {
		t.Run(c.name, func(t *testing.T) {
			page := filepath.Join(dir, c.name+".html")
			if err := WriteFileAtomic(page, func(w io.Writer) error { return WriteHTML(w, c.doc) }); err != nil {
				t.Fatal(err)
			}
			dom := string(chromium(t, "--virtual-time-budget=2000", "--dump-dom", "file://"+page))
			if !strings.Contains(dom, `data-js="ready"`) {
				t.Fatalf("our script did not run (CSP hash mismatch?); DOM starts %.300q", dom)
			}
			title := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(dom)
			if title == nil || strings.Contains(title[1], "PWNED") || !strings.HasPrefix(title[1], "scan445 report") {
				t.Fatalf("title changed: %q", title)
			}
			assertNoInjection(t, dom)
			shot := filepath.Join(dir, c.name+".png")
			chromium(t, "--hide-scrollbars", "--window-size=1280,2600", "--screenshot="+shot, "file://"+page)
			if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
				t.Fatalf("no screenshot: %v", err)
			}
			if dst := os.Getenv("SCAN445_SCREENSHOT_DIR"); dst != "" {
				data, _ := os.ReadFile(shot)
				_ = os.WriteFile(filepath.Join(dst, c.name+".png"), data, 0o644)
			}
		})
	}
}
