package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
)

func htmlPage(t *testing.T, doc *Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, doc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The plan has one row per remediation, each listing the hosts it covers, most urgent first.
func TestHTMLPlanOneRowPerRemediation(t *testing.T) {
	doc := goldenDocument(t)
	want := map[string]map[string]bool{} // remedy → hosts
	for _, it := range prioritised(doc) {
		for _, r := range it.f.Remediation {
			if want[r] == nil {
				want[r] = map[string]bool{}
			}
			want[r][hostKey(it.h.Address)] = true
		}
	}
	plan := buildPlan(doc, map[*smbprobe.Finding]string{})
	if len(plan) != len(want) {
		t.Fatalf("%d plan rows, want one per remediation id (%d)", len(plan), len(want))
	}
	for i, r := range plan {
		if len(r.Hosts) != len(want[r.Remedy.ID]) {
			t.Errorf("%s: %d hosts, want %d", r.Remedy.ID, len(r.Hosts), len(want[r.Remedy.ID]))
		}
		if i > 0 && r.Tier < plan[i-1].Tier {
			t.Errorf("row %d (%s) is more urgent than the row above it", i, r.Remedy.ID)
		}
	}
	if plan[0].Remedy.ID != smbprobe.RemedyConfickerClean {
		t.Errorf("first row %s, want the infected host's clean-up", plan[0].Remedy.ID)
	}
	page := htmlPage(t, doc)
	body := page[strings.Index(page, `<table id="t-plan"`):]
	body = body[:strings.Index(body, "</table>")]
	if n := strings.Count(body, "<details class=\"hl\">"); n != len(want) {
		t.Errorf("%d expandable host lists in the plan, want %d", n, len(want))
	}
	// Every host in a list links to a finding that exists in the page.
	for _, m := range regexp.MustCompile(`<li><a class="mono" href="#(h[0-9]+-f[0-9]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(page, `id="`+m[1]+`"`) {
			t.Errorf("plan links to #%s, which is not in the page", m[1])
		}
	}
	for _, cite := range []string{"CHECKS.md", "§"} {
		if strings.Contains(page, cite) {
			t.Errorf("the page cites %q, a document users do not have", cite)
		}
	}
}

// A host whose SMB negotiation failed has no signing policy, SMB versions or OS: the page must
// say unknown, not "off" or "no".
func TestHTMLUnknownStaysUnknown(t *testing.T) {
	page := htmlPage(t, goldenDocument(t))
	row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Address"[^>]*><a href="#h[0-9]+">10\.20\.3\.40</a>.*?</tr>`).FindString(page)
	if row == "" {
		t.Fatal("no hosts-table row for the host whose negotiation failed")
	}
	for _, label := range []string{"OS", "SMB", "Signing"} {
		cell := regexp.MustCompile(`<td data-label="` + label + `">(.*?)</td>`).FindStringSubmatch(row)
		if cell == nil || !strings.Contains(cell[1], "unknown") {
			t.Errorf("%s cell %q, want unknown", label, cell)
		}
	}
	if strings.Contains(row, ">off<") {
		t.Error("signing shows off for a host that never negotiated")
	}
	det := regexp.MustCompile(`(?s)<details class="host" id="h[0-9]+">\s*<summary><span class="mono">10\.20\.3\.40:445.*?</details>`).FindString(page)
	if det == "" {
		t.Fatal("no details for the host whose negotiation failed")
	}
	if strings.Contains(det, "enabled no") || strings.Contains(det, "SMB1 no") {
		t.Errorf("details claim a signing policy or SMB version that was never learned")
	}
	// And a host that did negotiate keeps its real answer.
	if !strings.Contains(page, `<td data-label="Signing">required</td>`) {
		t.Error("a negotiated host lost its signing policy")
	}
}

// Hosts read worst first, and host details start collapsed.
func TestHTMLHostsWorstFirstCollapsed(t *testing.T) {
	page := htmlPage(t, goldenDocument(t))
	var ranks []int
	for _, m := range regexp.MustCompile(`<td data-label="Worst" data-key="([0-9]+)">`).FindAllStringSubmatch(page, -1) {
		n, _ := strconv.Atoi(m[1])
		ranks = append(ranks, n)
	}
	// The closed and the filtered address are counted, not listed.
	if len(ranks) != 7 || !strings.Contains(page, "Not listed: 1 closed, 1 filtered") {
		t.Fatalf("%d host rows, want the 7 that answered, and a count of the rest", len(ranks))
	}
	for i := 1; i < len(ranks); i++ {
		if ranks[i] < ranks[i-1] {
			t.Fatalf("hosts not worst first: ranks %v", ranks)
		}
	}
	if strings.Contains(page, `<details class="host" id="h0" open`) || strings.Contains(page, "<details open") {
		t.Error("host details must start collapsed")
	}
	if n := strings.Count(page, `<details class="host"`); n != 7 {
		t.Errorf("%d host details, want one per open host (7)", n)
	}
}

// TestHTMLChromiumWidths opens the report at desktop and phone widths: our script runs, the page
// is no wider than the window, and a link to a finding opens the collapsed host around it.
func TestHTMLChromiumWidths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	testpeer.LookPath(t, "chromium", "/usr/bin/chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := WriteFileAtomic(page, func(w io.Writer) error { return WriteHTML(w, goldenDocument(t)) }); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(page)
	finding := regexp.MustCompile(`<li><a class="mono" href="#(h([0-9]+)-f[0-9]+)"`).FindSubmatch(raw)
	if finding == nil {
		t.Fatal("no plan link to a finding")
	}
	for _, c := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 2400}, {"phone", 390, 3200}} {
		t.Run(c.name, func(t *testing.T) {
			size := fmt.Sprintf("--window-size=%d,%d", c.width, c.height)
			dom := string(chromium(t, size, "--virtual-time-budget=2000", "--dump-dom", "file://"+page))
			if !strings.Contains(dom, `data-js="ready"`) {
				t.Fatalf("our script did not run; DOM starts %.300q", dom)
			}
			if !strings.Contains(dom, `data-overflow="no"`) {
				t.Errorf("the page is wider than a %d px window", c.width)
			}
			// Following the link to the finding opens its host.
			dom = string(chromium(t, size, "--virtual-time-budget=2000", "--dump-dom", "file://"+page+"#"+string(finding[1])))
			host := regexp.MustCompile(`<details class="host" id="h` + string(finding[2]) + `"[^>]*>`).FindString(dom)
			if !strings.Contains(host, "open") {
				t.Errorf("following #%s left its host collapsed: %q", finding[1], host)
			}
			shot := filepath.Join(dir, c.name+".png")
			chromium(t, "--hide-scrollbars", size, "--screenshot="+shot, "file://"+page)
			if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
				t.Fatalf("no screenshot: %v", err)
			}
			if dst := os.Getenv("SCAN445_SCREENSHOT_DIR"); dst != "" {
				data, _ := os.ReadFile(shot)
				_ = os.WriteFile(filepath.Join(dst, "report-"+c.name+".png"), data, 0o644)
			}
		})
	}
}

// The prober records anonymous access in the anonymous-ipc finding; the page reads it from
// there when the fingerprint has no answer, and never says "not tried" for a host it tried.
func TestNullSessionState(t *testing.T) {
	yes, no := true, false
	ipc := func(v smbprobe.Verdict) []smbprobe.Finding {
		return []smbprobe.Finding{{Check: smbprobe.CheckNullSession, Verdict: v}}
	}
	cases := []struct {
		name string
		r    smbprobe.Result
		want string
	}{
		{"fingerprint says allowed", smbprobe.Result{Fingerprint: smbprobe.Fingerprint{NullSession: &yes}, Findings: ipc(smbprobe.NotAffected)}, "allowed"},
		{"fingerprint says refused", smbprobe.Result{Fingerprint: smbprobe.Fingerprint{NullSession: &no}}, "refused"},
		{"check exposed", smbprobe.Result{Findings: ipc(smbprobe.Exposed)}, "allowed"},
		{"check not affected", smbprobe.Result{Findings: ipc(smbprobe.NotAffected)}, "refused"},
		{"check undecided", smbprobe.Result{Findings: ipc(smbprobe.Error)}, "unknown"},
		{"not checked", smbprobe.Result{}, ""},
	}
	for _, c := range cases {
		if got := nullSessionState(&c.r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
