package sensor

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/ms08model"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// FuzzListener feeds arbitrary client bytes to one served connection: the sensor must neither
// panic nor hang, whatever the bytes (the lab's decoders underneath are fuzzed on their own;
// this covers the sensor's wrapping, limits and exploit judging).
func FuzzListener(f *testing.F) {
	f.Add([]byte{})
	f.Add(netbios.Frame([]byte("\xffSMBr\x00\x00\x00\x00\x18\x01\xc8")))
	f.Add([]byte{0x81, 0, 0, 4, 1, 2, 3, 4})
	f.Add([]byte{0x00, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := NewTracker(TrackerOptions{})
		l := &Listener{opts: ListenerOptions{Tracker: tr, Computer: "FUZZ", MaxBytes: 1 << 16, IdleTimeout: 50 * time.Millisecond, MaxConnTime: time.Second},
			ctx: context.Background()}
		client, server := net.Pipe()
		go io.Copy(io.Discard, client)
		go func() {
			client.Write(data)
			time.Sleep(10 * time.Millisecond)
			client.Close()
		}()
		done := make(chan struct{})
		go func() {
			l.serve(server, netip.MustParseAddr("127.3.3.200"), netip.MustParseAddr("127.3.3.10"), len(data) > 0 && data[0] == 0x81)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the connection was not released")
		}
	})
}

// FuzzExploitAttempt: the judge flags a request exactly when the model says one of its paths
// reaches the overflow, and its evidence stays bounded.
func FuzzExploitAttempt(f *testing.F) {
	f.Add(smblab.CallPathCanonicalize, exploitMetasploit, `\`)
	f.Add(smblab.CallPathCompare, `\A\..\x`, `\n`)
	f.Add(smblab.CallPathCanonicalize, `\`, `\..\`)
	f.Add(smblab.CallPathCanonicalize, `..\x`, `\A`)
	f.Fuzz(func(t *testing.T, call, a, b string) {
		var r smblab.Request
		var want bool
		switch call {
		case smblab.CallPathCanonicalize:
			r = smblab.Request{Command: "srvsvc " + call, Strings: []smblab.NDRString{{Field: "PathName", Value: a}, {Field: "Prefix", Value: b}}}
			want = ms08model.PathCanonicalizeReaches(b, a)
		case smblab.CallPathCompare:
			r = smblab.Request{Command: "srvsvc " + call, Strings: []smblab.NDRString{{Field: "PathName1", Value: a}, {Field: "PathName2", Value: b}}}
			want = ms08model.ReachesOverflow(a) || ms08model.ReachesOverflow(b)
		default:
			r = smblab.Request{Command: call, Strings: []smblab.NDRString{{Field: "PathName", Value: a}}}
		}
		e, ok := exploitAttempt(time.Now(), netip.MustParseAddr("127.3.3.1"), netip.MustParseAddr("127.3.3.2"), r)
		if ok != want {
			t.Fatalf("%s(%q, %q): flagged %v, model says %v", call, a, b, ok, want)
		}
		if ok && (len(e.Hex) > 4*maxPathHexUnits || e.Field == "" || len([]rune(e.Path)) > maxPathRunes+1) {
			t.Fatalf("evidence not bounded: %+v", e)
		}
	})
}
