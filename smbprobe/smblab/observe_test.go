package smblab

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// TestServeConnObserves: a connection served by ServeConn as an unpatched personality reports
// every command, the bind and the srvsvc path arguments to Observe, answers an
// overflow-reaching path as a patched host (WERR_INVALID_NAME) and keeps serving: a sensor
// built on it never goes down.
func TestServeConnObserves(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.3.3.5:0")
	if err != nil {
		t.Skipf("127.3.3.5: %v", err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var seen []Request
	opts := Options{IdleTimeout: 5 * time.Second, Observe: func(local, remote netip.AddrPort, r Request) {
		mu.Lock()
		defer mu.Unlock()
		if local.Addr().String() != "127.3.3.5" || remote.Addr().String() != "127.0.0.1" && !remote.Addr().IsLoopback() {
			t.Errorf("endpoints %s %s", local, remote)
		}
		seen = append(seen, r)
	}}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		done <- ServeConn(context.Background(), c, personality(t, "xp-sp2"), false, opts)
	}()
	tc := srvsvcSession(t, ln.Addr().String(), "browser")
	exploit := `\R7\..\..\R7`
	out, err := tc.rpc(srvsvc.PathCanonicalizeRequest{PathName: exploit, OutbufLen: 2, Prefix: `\`, PathType: 1})
	if err != nil {
		t.Fatalf("NetprPathCanonicalize: %v", err)
	}
	if st := le.Uint32(out[len(out)-4:]); st != uint32(srvsvc.WerrInvalidName) {
		t.Errorf("status 0x%x, want WERR_INVALID_NAME", st)
	}
	if _, err := tc.rpc(srvsvc.ServerGetInfoRequest{Level: 101}); err != nil {
		t.Errorf("after the exploit path the connection should still serve: %v", err)
	}
	tc.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var cmds []string
	var canon *Request
	for i, r := range seen {
		cmds = append(cmds, r.Command)
		if r.Command == "srvsvc "+CallPathCanonicalize {
			canon = &seen[i]
		}
	}
	joined := strings.Join(cmds, ",")
	for _, want := range []string{"SMB1 0x72", "SMB1 0x73", "SMB1 0x75", "SMB1 0xA2", "DCE/RPC bind", "srvsvc NetrServerGetInfo"} {
		if !strings.Contains(joined, want) {
			t.Errorf("Observe saw %s, missing %s", joined, want)
		}
	}
	if canon == nil || canon.Pipe != "browser" || canon.Err != nil || len(canon.Strings) != 2 ||
		canon.Strings[0] != (NDRString{"PathName", exploit}) || canon.Strings[1] != (NDRString{"Prefix", `\`}) {
		t.Errorf("NetprPathCanonicalize observed as %+v", canon)
	}
}

// TestServeConnRefusesHostile: ServeConn plays only well-behaved hosts.
func TestServeConnRefusesHostile(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	p := Personality{Name: "h", Hostile: HostileGarbage}
	if err := ServeConn(context.Background(), a, p, false, Options{}); err == nil {
		t.Error("a hostile personality was served")
	}
}
