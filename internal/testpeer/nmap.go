package testpeer

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// NmapScripts maps a host to its hostscript outputs by script id ("smb-os-discovery" → the
// text nmap prints under it). A script that printed nothing is absent.
type NmapScripts map[netip.Addr]map[string]string

type nmapRun struct {
	Hosts []struct {
		Addrs []struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Scripts []struct {
			ID     string `xml:"id,attr"`
			Output string `xml:"output,attr"`
		} `xml:"hostscript>script"`
	} `xml:"host"`
}

// NmapOSDiscoveryWorks reports whether RunNmap can make smb-os-discovery print on a port other
// than 445/139: nmap 7.93 looks up the port's state as UDP there and indexes nil unless that
// UDP port was scanned too, which needs raw sockets (root).
func NmapOSDiscoveryWorks() bool { return os.Geteuid() == 0 }

// RunNmap runs nmap's scripts against addrs on TCP port with -oX - and returns what each
// host's scripts printed. Only loopback addresses are accepted. As root the same port is also
// scanned over UDP, only so that smb-os-discovery can print on a high port (see
// NmapOSDiscoveryWorks). vulns.showall makes the vuln scripts print NOT VULNERABLE too.
func RunNmap(ctx context.Context, t testing.TB, port int, scripts []string, addrs []netip.Addr) (NmapScripts, error) {
	t.Helper()
	nmap := LookPath(t, "nmap", "/usr/bin/nmap")
	args := []string{"-Pn", "-n"}
	if NmapOSDiscoveryWorks() {
		args = append(args, "-sS", "-sU", "-p", fmt.Sprintf("T:%d,U:%d", port, port))
	} else {
		args = append(args, "-sT", "-p", fmt.Sprint(port))
	}
	args = append(args, "--script", strings.Join(scripts, ","),
		"--script-args", fmt.Sprintf("smbport=%d,vulns.showall", port),
		"--script-timeout", "90s", "-oX", "-")
	for _, a := range addrs {
		if !a.Is4() || !a.IsLoopback() {
			return nil, fmt.Errorf("nmap: refusing non-loopback target %s", a)
		}
		args = append(args, a.String())
	}
	cmd := exec.CommandContext(ctx, nmap, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nmap %v: %v\n%s", addrs, err, stderr.Bytes())
	}
	return ParseNmapXML(out)
}

// ParseNmapXML reads nmap's -oX output into script outputs per host.
func ParseNmapXML(b []byte) (NmapScripts, error) {
	var run nmapRun
	if err := xml.Unmarshal(b, &run); err != nil {
		return nil, fmt.Errorf("nmap XML: %w", err)
	}
	res := NmapScripts{}
	for _, h := range run.Hosts {
		if len(h.Addrs) == 0 {
			continue
		}
		a, err := netip.ParseAddr(h.Addrs[0].Addr)
		if err != nil {
			return nil, fmt.Errorf("nmap XML: host address %q: %w", h.Addrs[0].Addr, err)
		}
		m := map[string]string{}
		for _, s := range h.Scripts {
			m[s.ID] = s.Output
		}
		res[a] = m
	}
	return res, nil
}
