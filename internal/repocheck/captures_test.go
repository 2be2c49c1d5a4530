package repocheck

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

const (
	repoRoot = "../.."
	pcapDir  = repoRoot + "/testdata/pcaps"
)

// headerRe matches a fixture's first line: "# <capture> frame <N> ...".
var headerRe = regexp.MustCompile(`^#\s*(\S+\.pcap(?:ng)?) frame (\d+)\b`)

// captureRe finds the capture a multi-frame fixture's comment names.
var captureRe = regexp.MustCompile(`([A-Za-z0-9._-]+\.pcap(?:ng)?)`)

// payloads returns every frame's TCP payload of a capture, by frame number (tshark, once per
// capture).
func payloads(t *testing.T, capture string, cache map[string]map[int][]byte) map[int][]byte {
	t.Helper()
	if m, ok := cache[capture]; ok {
		return m
	}
	path := filepath.Join(pcapDir, capture)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("fixture names %s, which is not in testdata/pcaps: %v", capture, err)
	}
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "tcp.payload").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", capture, err)
	}
	m := map[int][]byte{}
	for _, line := range strings.Split(string(out), "\n") {
		num, hx, ok := strings.Cut(line, "\t")
		if !ok || hx == "" {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(strings.ReplaceAll(hx, ",", ""), ":", ""))
		if err != nil {
			t.Fatalf("%s frame %d: %v", capture, n, err)
		}
		m[n] = b
	}
	cache[capture] = m
	return m
}

// TestFixturesAreCaptureBytes: every fixture that names its capture and frame holds bytes of
// that frame's TCP payload (whole, or the SMB message without its NetBIOS header).
func TestFixturesAreCaptureBytes(t *testing.T) {
	_, err := exec.LookPath("tshark")
	testpeer.Need(t, "tshark", err == nil)
	cache := map[string]map[int][]byte{}
	checked := 0
	err = filepath.WalkDir(filepath.Join(repoRoot, "smbprobe"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(path)) != "testdata" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		first, _, _ := strings.Cut(string(raw), "\n")
		switch {
		case strings.HasSuffix(path, ".hex") && headerRe.MatchString(first):
			m := headerRe.FindStringSubmatch(first)
			n, _ := strconv.Atoi(m[2])
			want := testpeer.ReadHex(t, path)
			if got := payloads(t, m[1], cache)[n]; len(want) == 0 || !bytes.Contains(got, want) {
				t.Errorf("%s: not the bytes of %s frame %d", path, m[1], n)
			}
			checked++
		case strings.HasSuffix(path, ".frames") || strings.HasSuffix(path, "-replies.txt"):
			// The header comment names the capture (and may name where it came from too):
			// the first name that is in testdata/pcaps. Recordings of our own lab runs
			// (credcheck's .frames) name none and are not captures.
			capture := ""
			for _, c := range captureRe.FindAllString(header(string(raw)), -1) {
				if _, err := os.Stat(filepath.Join(pcapDir, c)); err == nil {
					capture = c
					break
				}
			}
			if capture == "" {
				return nil
			}
			ps := payloads(t, capture, cache)
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) < 2 || strings.HasPrefix(f[0], "#") {
					continue
				}
				n, err := strconv.Atoi(f[0])
				if err != nil {
					continue
				}
				want, err := hex.DecodeString(f[len(f)-1])
				if err != nil {
					t.Errorf("%s frame %d: %v", path, n, err)
					continue
				}
				if !bytes.Contains(ps[n], want) {
					t.Errorf("%s: line for frame %d is not the bytes of %s frame %d", path, n, capture, n)
				}
				checked++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Errorf("only %d fixture frames checked: the fixture headers changed form?", checked)
	}
	t.Logf("%d fixture frames match their captures", checked)
}

// header is the leading comment lines of a fixture.
func header(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
