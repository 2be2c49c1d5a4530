package peerdiff_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/peerdiff"
	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

var update = flag.Bool("update", false, "rewrite "+expectationsPath+": drop stale entries, add new disagreements as TODO")

// expectationsPath is the checked-in list of known disagreements, relative to this package.
const expectationsPath = "../../testdata/peers/expectations.json"

// nmapScripts is the safe set plus smb2-security-mode, without which nmap says nothing
// about signing on an SMB2-only host.
var nmapScripts = []string{"smb-os-discovery", "smb-protocols", "smb-security-mode", "smb2-security-mode", "smb-vuln-conficker", "smb-vuln-ms17-010"}

// host is one server as both tools saw it.
type host struct {
	server  string // "impacket/xp-patched", "samba/nt1", "lab/xp-sp2"
	res     *smbprobe.Result
	nmap    map[string]string
	compare bool // false for hostile lab hosts: their answers depend on timing
	// sendsXP says what XP identity the server puts on the wire, from its configuration (not
	// from either tool's reading of it); "" when none.
	sendsXP string
}

type collector struct {
	mu    sync.Mutex
	hosts []host
}

func (c *collector) add(h host) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts = append(c.hosts, h)
}

// TestPeerDiff scans impacket, Samba and every lab personality with scan445 (the default safe
// checks without the P2P probe, which nmap's scripts do not cover) and with nmap 7.93, reads
// both into one vocabulary (package peerdiff) and requires every disagreement to be listed in
// testdata/peers/expectations.json with who is right and why, and every listed one to occur.
func TestPeerDiff(t *testing.T) {
	testpeer.LookPath(t, "nmap", "/usr/bin/nmap")
	if !testpeer.NmapOSDiscoveryWorks() {
		testpeer.Need(t, "root (nmap's smb-os-discovery on a high port needs a UDP scan)", false)
	}
	exp, err := peerdiff.Load(expectationsPath)
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	t.Run("servers", func(t *testing.T) {
		for _, v := range impacketServers() {
			t.Run("impacket/"+v.name, func(t *testing.T) {
				t.Parallel()
				scanImpacket(t, &c, v.name, v.cfg)
			})
		}
		for _, s := range sambaServers() {
			t.Run("samba/"+s.name, func(t *testing.T) {
				t.Parallel()
				scanSamba(t, &c, s.name, s.cfg)
			})
		}
		t.Run("lab", func(t *testing.T) {
			t.Parallel()
			scanLab(t, &c)
		})
	})

	var found []peerdiff.Disagreement
	scanned := map[string]bool{}
	var table strings.Builder
	sort.Slice(c.hosts, func(i, j int) bool { return c.hosts[i].server < c.hosts[j].server })
	for _, h := range c.hosts {
		ours, theirs := peerdiff.FromScan445(h.res), peerdiff.FromNmap(h.nmap)
		for _, f := range peerdiff.Fields() {
			mark := " "
			if ours[f] != theirs[f] {
				mark = "≠"
			}
			fmt.Fprintf(&table, "%-34s %-9s %s scan445 %-32q nmap %q\n", h.server, f, mark, ours[f], theirs[f])
		}
		if os.Getenv("SCAN445_DUMP") != "" {
			fp, _ := json.MarshalIndent(h.res.Fingerprint, "", "  ")
			t.Logf("%s: scan445 fingerprint %s\nfindings:\n%s\nnmap:\n%s", h.server, fp, findings(h.res), nmapText(h.nmap))
		}
		if !h.compare {
			continue
		}
		scanned[h.server] = true
		found = append(found, peerdiff.Compare(h.server, ours, theirs)...)
	}
	t.Logf("scan445 vs nmap 7.93, per server and field:\n%s", table.String())

	t.Run("no-xp-not-affected", func(t *testing.T) {
		for _, h := range c.hosts {
			if why := presentsAsXP(h); why != "" {
				if f := finding(h.res, smbprobe.CheckMS08067); f.Verdict == smbprobe.NotAffected {
					t.Errorf("%s presents as XP (%s) but ms08-067=not-affected (%s: %s)", h.server, why, f.Rule, f.Reason)
				}
			}
		}
	})

	if *update {
		nf := peerdiff.Update(found, exp, scanned)
		if err := os.WriteFile(expectationsPath, nf.Marshal(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d entries; judge every TODO by hand", expectationsPath, len(nf.Entries))
		exp = nf
	}
	unexpected, stale := peerdiff.Check(found, exp, scanned)
	for _, d := range unexpected {
		t.Errorf("disagreement not in %s: %s (run with -update, then say who is right and why)", expectationsPath, d)
	}
	for _, e := range stale {
		t.Errorf("%s lists a disagreement that no longer occurs: %s (right: %s)", expectationsPath, e.Disagreement, e.Right)
	}
	for _, e := range exp.Entries {
		if e.Right == peerdiff.RightTODO || e.Why == peerdiff.RightTODO {
			t.Errorf("%s: %s is not judged yet (right/why TODO)", expectationsPath, e.Disagreement)
		}
	}
}

type impacketServer struct {
	name string
	cfg  testpeer.ImpacketConfig
}

// impacketServers: stock impacket as shipped (nmap cannot negotiate with it); stock impacket
// with the Native OS strings on an odd offset, as impacket 0.10 sends them in about half of
// its runs, and the answers nmap needs; and every srvsvc mode with those answers
// (testpeer.ImpacketConfig.WindowsCompat).
func impacketServers() []impacketServer {
	out := []impacketServer{
		{"stock", testpeer.ImpacketConfig{Mode: testpeer.ImpacketStock}},
		{"stock-misaligned", testpeer.ImpacketConfig{Mode: testpeer.ImpacketStock, MisalignedStrings: true, WindowsCompat: true}},
	}
	for _, m := range testpeer.ImpacketModes() {
		if m != testpeer.ImpacketStock {
			out = append(out, impacketServer{string(m), testpeer.ImpacketConfig{Mode: m, WindowsCompat: true}})
		}
	}
	return out
}

// scanImpacket runs one impacket server and checks the acceptance verdicts for it.
func scanImpacket(t *testing.T, c *collector, name string, cfg testpeer.ImpacketConfig) {
	srv := testpeer.StartImpacket(t, cfg)
	mode := cfg.Mode
	h := scanBoth(t, "impacket/"+name, srv.Addr, 20*time.Second)
	if h == nil {
		return
	}
	h.sendsXP = `Native OS "Windows 5.1"`
	c.add(*h)
	t.Run("verdicts", func(t *testing.T) {
		fp := h.res.Fingerprint
		if !strings.Contains(fp.OS, "Windows XP") {
			t.Errorf("fingerprint OS %q, want Windows XP (Native OS %q, NTLM %+v, server info %+v)", fp.OS, fp.NativeOS, fp.NTLMVersion, fp.ServerInfo)
		}
		want := map[string]smbprobe.Verdict{
			smbprobe.CheckMS08067:       smbprobe.Exposed,
			smbprobe.CheckOSUnsupported: smbprobe.Exposed,
		}
		switch mode {
		case testpeer.ImpacketConfickerABC:
			want[smbprobe.CheckConficker] = smbprobe.Infected
		case testpeer.ImpacketXPUnpatched, testpeer.ImpacketXPPatched, testpeer.ImpacketXPCleanBTS:
			want[smbprobe.CheckConficker] = smbprobe.Clean
		case testpeer.ImpacketFaults:
			want[smbprobe.CheckConficker] = smbprobe.Unknown
		}
		for _, check := range []string{smbprobe.CheckMS08067, smbprobe.CheckOSUnsupported, smbprobe.CheckConficker} {
			v, ok := want[check]
			if !ok {
				continue
			}
			if f := finding(h.res, check); f.Verdict != v {
				t.Errorf("%s=%s (%s: %s), want %s", check, f.Verdict, f.Rule, f.Reason, v)
			}
		}
	})
}

type sambaServer struct {
	name string
	cfg  testpeer.SambaConfig
}

// sambaServers are the four: a null session reaches srvsvc unless restricted.
func sambaServers() []sambaServer {
	base := func(cfg testpeer.SambaConfig) testpeer.SambaConfig {
		cfg.Workgroup = "LABGROUP"
		cfg.MapToGuest = "Bad User"
		cfg.Shares = []testpeer.SambaShare{{Name: "public", Path: "share", Guest: true}}
		return cfg
	}
	return []sambaServer{
		{"nt1", base(testpeer.SambaConfig{SMB1: testpeer.SMB1On})},
		{"smb2-only", base(testpeer.SambaConfig{})},
		{"signing-mandatory", base(testpeer.SambaConfig{SMB1: testpeer.SMB1On, Signing: "mandatory"})},
		{"restrict-anonymous-2", base(testpeer.SambaConfig{SMB1: testpeer.SMB1On, RestrictAnonymous: 2})},
	}
}

func scanSamba(t *testing.T, c *collector, name string, cfg testpeer.SambaConfig) {
	s := testpeer.StartSamba(t, cfg)
	if h := scanBoth(t, "samba/"+name, s.Addr, 20*time.Second); h != nil {
		c.add(*h)
	}
}

// scanBoth runs scan445 and nmap against one server at the same time.
func scanBoth(t *testing.T, server string, ap netip.AddrPort, readTimeout time.Duration) *host {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res *smbprobe.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		res = probe(ctx, t, ap, readTimeout)
	}()
	out, err := testpeer.RunNmap(ctx, t, int(ap.Port()), nmapScripts, []netip.Addr{ap.Addr()})
	<-done
	if err != nil {
		t.Error(err)
		return nil
	}
	if res == nil || out[ap.Addr()] == nil {
		t.Errorf("%s: scan445 result %v, nmap result %v", server, res != nil, out[ap.Addr()] != nil)
		return nil
	}
	return &host{server: server, res: res, nmap: out[ap.Addr()], compare: true}
}

// probe scans ap with the default safe checks but the P2P probe, the way the scanner engine
// hands a connection to the prober.
func probe(ctx context.Context, t *testing.T, ap netip.AddrPort, readTimeout time.Duration) *smbprobe.Result {
	if !ap.Addr().IsLoopback() {
		t.Errorf("refusing non-loopback %s", ap)
		return nil
	}
	var checks []string
	for _, id := range smbprobe.DefaultChecks() {
		if id != smbprobe.CheckConfickerP2P {
			checks = append(checks, id)
		}
	}
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: readTimeout, Checks: checks})
	if err != nil {
		t.Error(err)
		return nil
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		t.Errorf("dial %s: %v", ap, err)
		return nil
	}
	return p.Probe(ctx, ap, conn, d.DialContext)
}

// scanLab serves every default personality on its own loopback address (one port for all, so
// that one nmap run covers several hosts) and scans each with both tools. Hostile hosts are
// scanned too (both tools must finish) but not compared: what they yield depends on timing.
func scanLab(t *testing.T, c *collector) {
	var crashes testpeer.SyncBuffer
	var lab *smblab.Lab
	var err error
	for try := 0; try < 5; try++ {
		first := netip.AddrFrom4([4]byte{127, byte(100 + rand.IntN(100)), byte(rand.IntN(250)), 1})
		lab, err = smblab.Start(context.Background(), smblab.Options{First: first, Port: 20000 + rand.IntN(30000),
			CrashLog: &crashes, CrashDowntime: 10 * time.Minute, IdleTimeout: 5 * time.Second})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	hosts := lab.Hosts()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	results := make([]*smbprobe.Result, len(hosts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = probe(ctx, t, h.AddrPort(), 2*time.Second)
		}()
	}

	// nmap: a few hosts per run (its NBSTAT lookups are serial within a run), hostile ones
	// apart so that a slow one does not hold the others.
	var batches [][]netip.Addr
	var cur, hostile []netip.Addr
	for _, h := range hosts {
		if h.Nmap.Unreliable {
			hostile = append(hostile, h.Addr)
			continue
		}
		if cur = append(cur, h.Addr); len(cur) == 6 {
			batches, cur = append(batches, cur), nil
		}
	}
	batches = append(batches, cur, hostile)
	nmapOut := testpeer.NmapScripts{}
	var mu sync.Mutex
	nsem := make(chan struct{}, 2)
	for _, b := range batches {
		if len(b) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			nsem <- struct{}{}
			defer func() { <-nsem }()
			out, err := testpeer.RunNmap(ctx, t, hosts[0].Port, nmapScripts, b)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for a, s := range out {
				nmapOut[a] = s
			}
		}()
	}
	wg.Wait()

	for i, h := range hosts {
		if results[i] == nil || nmapOut[h.Addr] == nil {
			t.Errorf("lab/%s: scan445 result %v, nmap result %v", h.Personality, results[i] != nil, nmapOut[h.Addr] != nil)
			continue
		}
		lh := host{server: "lab/" + h.Personality, res: results[i], nmap: nmapOut[h.Addr], compare: !h.Nmap.Unreliable}
		if p, _ := lab.Personality(h.Addr); p.NativeOS == "Windows 5.1" {
			lh.sendsXP = `Native OS "Windows 5.1"`
		} else if p.ServerInfo.PlatformID == 500 && p.ServerInfo.Major == 5 && p.ServerInfo.Minor == 1 {
			lh.sendsXP = "NetrServerGetInfo 101 version 5.1"
		}
		c.add(lh)
	}
	if s := crashes.String(); s != "" {
		t.Errorf("safe scans crashed lab hosts:\n%s", s)
	}
}

// presentsAsXP says why a host looks like Windows XP to a client, or "".
func presentsAsXP(h host) string {
	fp := h.res.Fingerprint
	switch {
	case h.sendsXP != "":
		return "it sends " + h.sendsXP
	case fp.NativeOS == "Windows 5.1":
		return `Native OS "Windows 5.1"`
	case fp.ServerInfo != nil && fp.ServerInfo.PlatformID == 500 && fp.ServerInfo.Major == 5 && fp.ServerInfo.Minor == 1:
		return "NetrServerGetInfo 101 platform 500 version 5.1"
	case peerdiff.FromNmap(h.nmap)[peerdiff.FieldOS] == peerdiff.OSClass("Windows XP"):
		return "nmap smb-os-discovery reads Windows XP"
	}
	return ""
}

func findings(res *smbprobe.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "  %s=%s (%s: %s)\n", f.Check, f.Verdict, f.Rule, f.Reason)
	}
	return b.String()
}

func nmapText(scripts map[string]string) string {
	var b strings.Builder
	for _, id := range nmapScripts {
		fmt.Fprintf(&b, "  %s:%s\n", id, scripts[id])
	}
	return b.String()
}

func finding(res *smbprobe.Result, check string) smbprobe.Finding {
	for _, f := range res.Findings {
		if f.Check == check {
			return f
		}
	}
	return smbprobe.Finding{Check: check, Verdict: "none", Reason: "no finding"}
}
