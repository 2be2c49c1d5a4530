package credcheck

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestLabHandOverReleasesAdmin: over SMB1 the netapi32.dll read releases its ADMIN$ tree
// before it hands the session on, so the registry read that follows holds only IPC$. The lab
// says what the connection held at each request (smblab.Request.Shares): ADMIN$ while the
// file was read, then a TREE_DISCONNECT on it, and IPC$ alone when \winreg is opened and
// bound. The read's last step is that TREE_DISCONNECT, and the session still serves HKLM.
func TestLabHandOverReleasesAdmin(t *testing.T) {
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == "xp-sp3-patched" {
			ps = append(ps, p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var seen []smblab.Request
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.3.9.1"), Personalities: ps,
		Observe: func(_, _ netip.AddrPort, r smblab.Request) {
			mu.Lock()
			seen = append(seen, r)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	h := lab.Hosts()[0]
	p := ps[0]
	conn, err := net.DialTimeout("tcp", h.AddrPort().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out, s, err := ReadNetapiVersionSession(ctx, conn, h.Addr.String(), Credentials{User: p.Account.User, Password: p.Account.Password},
		SessionConfig{Dialect: smbclient.DialectSMB1, Timeout: 10 * time.Second, ExchangeTimeout: 3 * time.Second})
	if err != nil || s == nil || !out.Decided() {
		t.Fatalf("err %v session %v reason %q; steps %s", err, s, out.Reason, stepNames(out.Steps))
	}
	if last := out.Steps[len(out.Steps)-1]; last.Name != "smb1.tree-disconnect" || last.Status != statusText(0) || !strings.Contains(last.Detail, `\ADMIN$ released`) {
		t.Errorf("last step of the read %+v; steps %s", last, stepNames(out.Steps))
	}
	if err := openHKLM(ctx, s); err != nil {
		t.Errorf("HKLM over the handed-over session: %v", err)
	}
	s.Close(ctx)

	mu.Lock()
	defer mu.Unlock()
	bind, disconnect, readAdmin := -1, -1, false
	for i, r := range seen {
		switch {
		case r.Command == "DCE/RPC bind" && strings.EqualFold(r.Pipe, "winreg") && bind < 0:
			bind = i
		case r.Command == "SMB1 0x71" && slices.Contains(r.Shares, "ADMIN$"):
			disconnect = i
		case r.Command == "SMB1 0x2E" && slices.Equal(r.Shares, []string{"ADMIN$"}):
			readAdmin = true
		}
	}
	if !readAdmin || disconnect < 0 || bind < disconnect {
		t.Fatalf("READ_ANDX on ADMIN$ %t, TREE_DISCONNECT of ADMIN$ at %d, winreg bind at %d: %s", readAdmin, disconnect, bind, requests(seen))
	}
	for _, r := range seen[disconnect+1:] {
		if slices.Contains(r.Shares, "ADMIN$") {
			t.Fatalf("ADMIN$ still held after its TREE_DISCONNECT: %s", requests(seen))
		}
	}
	// The SMB request that carried the bind: IPC$ alone.
	var carrier *smblab.Request
	for i := bind - 1; i >= 0 && carrier == nil; i-- {
		if strings.HasPrefix(seen[i].Command, "SMB1 ") {
			carrier = &seen[i]
		}
	}
	if carrier == nil || !slices.Equal(carrier.Shares, []string{"IPC$"}) {
		t.Errorf("the \\winreg bind went over %+v: %s", carrier, requests(seen))
	}
}

// requests lists what the lab observed, for a failure message.
func requests(rs []smblab.Request) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n  " + r.Command + " " + r.Pipe + " " + strings.Join(r.Shares, ","))
	}
	return b.String()
}
