package credcheck

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntstatus"
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

// TestSambaHandOverReleasesAdmin: Samba, an independent peer that checks every TID, accepts
// our TREE_DISCONNECT of ADMIN$ (the read's last step is STATUS_SUCCESS), and the session it
// then hands on opens \winreg on IPC$ and serves HKLM.
func TestSambaHandOverReleasesAdmin(t *testing.T) {
	s := startSamba(t, sambaConfig{smb1: true})
	s.serve(t, netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694})
	ctx := testCtx(t)
	out, sess, err := ReadNetapiVersionSession(ctx, s.Dial(t), "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword},
		SessionConfig{Dialect: smbclient.DialectSMB1, Timeout: 10 * time.Second, ExchangeTimeout: 5 * time.Second})
	if err != nil || sess == nil || out.Verdict != netapi.Patched {
		t.Fatalf("err %v session %v verdict %q reason %q; steps %s", err, sess, out.Verdict, out.Reason, stepNames(out.Steps))
	}
	defer sess.Close(ctx)
	if last := out.Steps[len(out.Steps)-1]; last.Name != "smb1.tree-disconnect" || last.Status != statusText(0) {
		t.Errorf("last step of the read %+v; steps %s", last, stepNames(out.Steps))
	}
	if err := openHKLM(ctx, sess); err != nil {
		t.Errorf("HKLM over the handed-over session: %v", err)
	}
}

// TestReplayHandOverRelease replays Samba's recorded SMB1 read with the reply to the request
// after CLOSE (recorded: the LOGOFF's) replaced: a TREE_DISCONNECT success or refusal still
// hands the session on (a refused tree ends with the session), while a reply that does not
// answer the TREE_DISCONNECT hands none back. The read's verdict is the same in every case.
func TestReplayHandOverRelease(t *testing.T) {
	frames := loadFrames(t, sambaSMB1Frames)
	logoff := frames[len(frames)-1]
	disconnectReply := func(st ntstatus.Status) []byte {
		b := append([]byte(nil), logoff[:32]...)         // Samba's header: flags, TID, UID, MID of the next request
		b[4] = 0x71                                      // Command: TREE_DISCONNECT
		binary.LittleEndian.PutUint32(b[5:], uint32(st)) // Status
		return append(b, 0, 0, 0)                        // WordCount 0, ByteCount 0
	}
	for _, tc := range []struct {
		name    string
		last    []byte
		session bool
		status  string
		detail  string
	}{
		{"released", disconnectReply(ntstatus.Success), true, statusText(ntstatus.Success), `\ADMIN$ released`},
		{"refused", disconnectReply(ntstatus.SMBBadTID), true, statusText(ntstatus.SMBBadTID), "the tree ends with the session"},
		{"wrong reply", logoff, false, "", "could not be released"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := append(append([][]byte(nil), frames[:len(frames)-1]...), tc.last)
			cli, srv := net.Pipe()
			go serveFrames(srv, fs)
			ctx := testCtx(t)
			out, s, err := ReadNetapiVersionSession(ctx, cli, "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword},
				SessionConfig{Dialect: smbclient.DialectSMB1, Timeout: 5 * time.Second, ExchangeTimeout: 2 * time.Second})
			if s != nil {
				s.Close(ctx)
			}
			if err != nil || (s != nil) != tc.session {
				t.Fatalf("err %v, session %v (want one: %t); steps %s", err, s, tc.session, stepNames(out.Steps))
			}
			checkDecided(t, out, recordedVersion, netapi.Vulnerable, "XP SP3", int64(len(netapi.BuildTestPE(recordedVersion))))
			// After a failed release the read logs off (best effort), as it does without a hand-over.
			var rel *Step
			for i := range out.Steps {
				if out.Steps[i].Name == "smb1.tree-disconnect" {
					rel = &out.Steps[i]
				}
			}
			if rel == nil || rel.Status != tc.status || !strings.Contains(rel.Detail, tc.detail) {
				t.Errorf("release step %+v; steps %s", rel, stepNames(out.Steps))
			}
			if tail := out.Steps[len(out.Steps)-1].Name; tail != "smb1.tree-disconnect" && (tc.session || tail != "smb1.logoff") {
				t.Errorf("the read ends with %s", tail)
			}
		})
	}
}
