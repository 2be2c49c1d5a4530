package smbprobe_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/netbios"
)

// loadReplies reads testdata/<name>: one NetBIOS message (header included) per line.
func loadReplies(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		msg, err := hex.DecodeString(f[len(f)-1])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, msg)
	}
	return out
}

// echoIDs rewrites a recorded reply so that it answers req: SMB1 PID/MID, SMB2 MessageId.
// Everything else stays as the real server sent it.
func echoIDs(req, rep []byte) []byte {
	rep = append([]byte(nil), rep...)
	body := rep[min(4, len(rep)):]
	switch {
	case len(req) >= 32 && len(body) >= 32 && string(req[:4]) == "\xffSMB" && string(body[:4]) == "\xffSMB":
		copy(body[26:28], req[26:28]) // PIDLow
		copy(body[30:32], req[30:32]) // MID
	case len(req) >= 32 && len(body) >= 32 && string(req[:4]) == "\xfeSMB" && string(body[:4]) == "\xfeSMB":
		copy(body[24:32], req[24:32]) // MessageId
	}
	return rep
}

// replayServer answers each request with the next recorded reply, then sends tail as is and
// closes.
func replayServer(conn net.Conn, replies [][]byte, tail []byte) {
	defer conn.Close()
	for i := 0; ; i++ {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, req, err := netbios.ReadFrame(conn, 1<<17)
		if err != nil {
			return
		}
		if i < len(replies) {
			if _, err := conn.Write(echoIDs(req, replies[i])); err != nil {
				return
			}
			continue
		}
		// Drain requests while the tail goes out, so that neither side blocks on a write.
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, conn)
			close(done)
		}()
		conn.Write(tail)
		conn.Close()
		<-done
		return
	}
}

func replayProbe(t testing.TB, replies [][]byte, tail []byte, timeout time.Duration) *smbprobe.Result {
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: timeout, Checks: nonP2P()})
	if err != nil {
		t.Fatal(err)
	}
	// Every server goroutine is gone before we return: leftovers would make coverage (and so
	// the fuzzer) non-deterministic.
	var mu sync.Mutex
	var wg sync.WaitGroup
	var servers []net.Conn
	serve := func(rs [][]byte) net.Conn {
		c, s := net.Pipe()
		mu.Lock()
		servers = append(servers, s)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			replayServer(s, rs, tail)
		}()
		return c
	}
	defer func() {
		mu.Lock()
		for _, s := range servers {
			s.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	client := serve(replies)
	redial := func(ctx context.Context, network, address string) (net.Conn, error) { return serve(nil), nil }
	ctx, cancel := context.WithTimeout(context.Background(), 20*timeout)
	defer cancel()
	// A probe that outlives its budget by far is a hang: fail with every goroutine's stack.
	watchdog := time.AfterFunc(40*timeout+2*time.Second, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		panic("probe hang:\n" + string(buf[:n]))
	})
	defer watchdog.Stop()
	return p.Probe(ctx, netip.MustParseAddrPort("127.0.0.1:445"), client, redial)
}

// TestReplayWindowsXP drives the SMB1 client with a real Windows XP server's bytes.
func TestReplayWindowsXP(t *testing.T) {
	res := replayProbe(t, loadReplies(t, "xp-server-replies.txt"), nil, time.Second)
	fp := res.Fingerprint
	if fp.NTLMVersion == nil || *fp.NTLMVersion != (smbprobe.OSVersion{Major: 5, Minor: 1, Build: 2600}) {
		t.Errorf("NTLM version %+v", fp.NTLMVersion)
	}
	if fp.NetBIOSName != "TEST-F7DFBC3FE9" || fp.NativeOS != "Windows 5.1" || fp.NativeLANMan != "Windows 2000 LAN Manager" {
		t.Errorf("names %q %q %q", fp.NetBIOSName, fp.NativeOS, fp.NativeLANMan)
	}
	if !fp.SMB1 || fp.SigningRequired || fp.OSFamily != smbprobe.FamilyWindows || !strings.HasPrefix(fp.OS, "Windows XP") {
		t.Errorf("smb1 %t signing required %t family %q OS %q", fp.SMB1, fp.SigningRequired, fp.OSFamily, fp.OS)
	}
	if fp.Pipe == "" {
		t.Errorf("the real NT_CREATE and bind_ack replies were not accepted")
	}
	expect(t, res, smbprobe.CheckMS08067, smbprobe.Exposed, "ms08-067/3a.os-affected")
	expect(t, res, smbprobe.CheckOSUnsupported, smbprobe.Exposed, "")
	expect(t, res, smbprobe.CheckSMBv1, smbprobe.Exposed, "")
	expect(t, res, smbprobe.CheckSigning, smbprobe.Exposed, "")
	// NetrServerGetInfo is answered with the capture's NetShareEnumAll stub: never a verdict.
	if f := findingOf(t, res, smbprobe.CheckConficker); f.Verdict == smbprobe.Patched || f.Verdict == smbprobe.Infected {
		t.Errorf("conficker judged from unrelated bytes: %+v", f)
	}
	if t.Failed() {
		t.Log(dump(t, res))
	}
}

// FuzzProbe runs the whole Probe against a fake server that replays a valid prefix of a real
// XP conversation and then the fuzzer's bytes. It must never panic, hang or return nil.
func FuzzProbe(f *testing.F) {
	replies := loadReplies(f, "xp-server-replies.txt")
	for k := 0; k <= len(replies); k++ {
		f.Add(uint8(k), bytes.Join(replies[k:], nil))
	}
	f.Add(uint8(0), []byte{0x85, 0, 0, 0, 0, 0xff, 0xff, 0xff})
	f.Add(uint8(1), []byte{0, 0, 0, 4, 0xfe, 'S', 'M', 'B'})
	f.Fuzz(func(t *testing.T, prefix uint8, data []byte) {
		n := int(prefix) % (len(replies) + 1)
		res := replayProbe(t, replies[:n], data, 30*time.Millisecond)
		if res == nil {
			t.Fatal("nil result")
		}
		if strings.Contains(res.Error, "panic") {
			t.Fatalf("panic: %s", res.Error)
		}
		if len(res.Findings) != len(nonP2P()) {
			t.Fatalf("%d findings", len(res.Findings))
		}
		for _, fd := range res.Findings {
			for _, i := range fd.Evidence {
				if i < 0 || i >= len(res.Exchanges) {
					t.Fatalf("%s: evidence %d of %d", fd.Check, i, len(res.Exchanges))
				}
			}
			if fd.Class != smbprobe.ClassSafe {
				t.Fatalf("%s: class %s", fd.Check, fd.Class)
			}
		}
	})
}
