package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
	"github.com/scan445/scan445/smbprobe/smblab"
)

type bencher struct {
	ctx context.Context
	bin string
	dir string
	seq int
}

// timing is one external run: wall time and the child's peak RSS in KiB.
type timing struct {
	wall   time.Duration
	maxRSS int64
}

// inScan runs argv inside the scanner namespace. okCodes are the accepted exit codes besides 0
// (scan445 exits 1 when findings reach --fail-on).
func (b *bencher) inScan(timeout time.Duration, okCodes []int, argv ...string) (timing, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", scanNS}, argv...)...)
	var stderr strings.Builder
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	t := timing{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		// ip netns exec execs the command in place, so this is the tool's own peak.
		t.maxRSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		for _, c := range okCodes {
			if ee.ExitCode() == c {
				err = nil
			}
		}
	}
	if err != nil {
		return t, fmt.Errorf("%s: %w (%s)", strings.Join(argv, " "), err, benchns.Tail(stderr.String()))
	}
	return t, nil
}

func (b *bencher) file(name string) string {
	b.seq++
	return filepath.Join(b.dir, fmt.Sprintf("%03d-%s", b.seq, name))
}

// ---- scan445's JSON report -------------------------------------------------------------

type scanHost struct {
	Address string `json:"address"`
	Status  string `json:"status"`
	SMB     *struct {
		Fingerprint struct {
			OS           string `json:"os"`
			OSFamily     string `json:"os_family"`
			NativeOS     string `json:"native_os"`
			NativeLANMan string `json:"native_lanman"`
		} `json:"fingerprint"`
		Connections int `json:"connections"`
		RoundTrips  int `json:"round_trips"`
	} `json:"smb"`
}

type scanReport struct {
	Stats struct {
		AchievedRate float64 `json:"achieved_rate"`
	} `json:"stats"`
	Hosts []scanHost `json:"hosts"`
}

func readScan(path string) (*scanReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r scanReport
	if err := json.NewDecoder(f).Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func (r *scanReport) open() map[string]scanHost {
	m := map[string]scanHost{}
	for _, h := range r.Hosts {
		if h.Status == "open" {
			m[h.Address] = h
		}
	}
	return m
}

// osOf is scan445's OS reading in the form compared with nmap's.
func (h scanHost) osOf() string {
	if h.SMB == nil {
		return ""
	}
	fp := h.SMB.Fingerprint
	if fp.OSFamily == "samba" {
		return osKey("samba " + fp.OS)
	}
	return osKey(fp.OS)
}

// ---- nmap's XML ------------------------------------------------------------------------

type nmapHost struct {
	Addrs []struct {
		Addr string `xml:"addr,attr"`
		Type string `xml:"addrtype,attr"`
	} `xml:"address"`
	Ports []struct {
		PortID int `xml:"portid,attr"`
		State  struct {
			State string `xml:"state,attr"`
		} `xml:"state"`
	} `xml:"ports>port"`
	Scripts []struct {
		ID    string `xml:"id,attr"`
		Elems []struct {
			Key   string `xml:"key,attr"`
			Value string `xml:",chardata"`
		} `xml:"elem"`
	} `xml:"hostscript>script"`
}

// nmapResult is per open address: nmap's OS line ("OS (LAN manager)"), "" without one.
type nmapResult map[string]string

// readNmap streams the XML host by host: a /16 report is tens of MB.
func readNmap(path string) (nmapResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	res := nmapResult{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "host" {
			continue
		}
		var h nmapHost
		if err := d.DecodeElement(&h, &se); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		addr := ""
		for _, a := range h.Addrs {
			if a.Type == "ipv4" {
				addr = a.Addr
			}
		}
		open := false
		for _, p := range h.Ports {
			if p.PortID == 445 && p.State.State == "open" {
				open = true
			}
		}
		if addr == "" || !open {
			continue
		}
		osLine := ""
		for _, s := range h.Scripts {
			if s.ID != "smb-os-discovery" {
				continue
			}
			var os, lm string
			for _, e := range s.Elems {
				switch e.Key {
				case "os":
					os = e.Value
				case "lanmanager":
					lm = e.Value
				}
			}
			osLine = strings.TrimSpace(os + " (" + lm + ")")
		}
		res[addr] = osLine
	}
}

// osKey reduces an OS description to its NT version, so that nmap's "Windows 5.1 (Windows
// 2000 LAN Manager)" and scan445's "Windows XP SP2" compare equal; service packs and the
// client/server edition sharing a build are not compared. Samba is named as Samba
// even though it calls itself Windows 6.1, because nmap prints the Samba LAN manager too.
func osKey(s string) string {
	l := strings.ToLower(s)
	has := func(subs ...string) bool {
		for _, x := range subs {
			if strings.Contains(l, x) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.TrimSpace(strings.Trim(l, "()")) == "":
		return ""
	case has("samba"):
		return "Samba"
	case has("2012 r2", "windows 6.3", "8.1"):
		return "NT 6.3 (8.1 / 2012 R2)"
	case has("2008 r2", "windows 7", "windows 6.1"):
		return "NT 6.1 (7 / 2008 R2)"
	case has("vista", "2008", "windows 6.0"):
		return "NT 6.0 (Vista / 2008)"
	case has("2003", "windows 5.2"):
		return "NT 5.2 (2003)"
	case has("xp", "windows 5.1"):
		return "NT 5.1 (XP)"
	case has("windows 2000", "windows 5.0"):
		return "NT 5.0 (2000)"
	}
	return s
}

// ---- the lab's truth -------------------------------------------------------------------

type labInfo struct {
	personalities int
	byAddr        map[string]string // 10.77.1.y → personality
}

func labTruth(mapLine string) (*labInfo, error) {
	var hosts []smblab.Host
	if err := json.Unmarshal([]byte(mapLine), &hosts); err != nil {
		return nil, fmt.Errorf("lab map: %w", err)
	}
	li := &labInfo{byAddr: map[string]string{}}
	seen := map[string]bool{}
	for _, h := range hosts {
		a := h.Addr.As4()
		// The lab listens on 127.0.1.y; scanners see it as 10.77.1.y through the dnat map.
		li.byAddr[netip.AddrFrom4([4]byte{10, 77, 1, a[3]}).String()] = h.Personality
		if !seen[h.Personality] {
			seen[h.Personality] = true
			li.personalities++
		}
	}
	if len(hosts) != 256 {
		return nil, fmt.Errorf("lab map: %d hosts, want 256", len(hosts))
	}
	return li, nil
}

// ---- set comparison --------------------------------------------------------------------

// diffSets describes how got differs from want: "" when equal.
func diffSets(want, got map[string]bool) string {
	var missing, extra []string
	for a := range want {
		if !got[a] {
			missing = append(missing, a)
		}
	}
	for a := range got {
		if !want[a] {
			extra = append(extra, a)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	sortAddrs(missing)
	sortAddrs(extra)
	return fmt.Sprintf("%d missing%s, %d extra%s", len(missing), examples(missing), len(extra), examples(extra))
}

func examples(v []string) string {
	if len(v) == 0 {
		return ""
	}
	if len(v) > 4 {
		return " (" + strings.Join(v[:4], ", ") + ", …)"
	}
	return " (" + strings.Join(v, ", ") + ")"
}

func sortAddrs(v []string) {
	sort.Slice(v, func(i, j int) bool {
		a, _ := netip.ParseAddr(v[i])
		b, _ := netip.ParseAddr(v[j])
		return a.Less(b)
	})
}

func keys[V any](m map[string]V) map[string]bool {
	s := map[string]bool{}
	for k := range m {
		s[k] = true
	}
	return s
}
