package smbclient

import (
	"encoding/binary"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/smb1"
)

const (
	sambaUser     = "s445cred"
	sambaPassword = "Cred-t3st!pw"
)

// TestSambaWinregCall is the RPC layer end to end against a real server: an NTLMv2 session
// over SMB1 (ours, with signing required, so every message after the logon is signed and
// checked) and SMB2 (go-smb2), \winreg opened on IPC$, winreg bound, and OpenHKLM (opnum 2)
// called; Samba answers with a policy handle and WERROR_OK.
//
// The SMB2 server leaves signing optional: on a signing-required session go-smb2 v1.1.0
// refuses the unsigned interim response Samba sends when a pipe READ has to wait (a busy
// machine), which ClassifySMB2 reports for what it is.
func TestSambaWinregCall(t *testing.T) {
	cfg := testpeer.SambaConfig{
		NetBIOSName: "S445CLI", SMB1: testpeer.SMB1On, Signing: "mandatory",
		Users: []testpeer.SambaUser{{Name: sambaUser, Password: sambaPassword}},
	}
	signed := testpeer.StartSamba(t, cfg)
	cfg.Signing = ""
	optional := testpeer.StartSamba(t, cfg)
	cred := ntlmssp.Credentials{User: sambaUser, Hash: ntlmssp.NTHash(sambaPassword)}
	for _, d := range []Dialect{DialectSMB1, DialectSMB2} {
		s := signed
		if d == DialectSMB2 {
			s = optional
		}
		t.Run(d.String(), func(t *testing.T) {
			ctx := testCtx(t)
			var sent []Exchange
			sess, err := OpenSession(ctx, s.Dial(t), SessionConfig{Host: "127.0.0.1", Cred: cred, Dialect: d,
				OnExchange: func(x Exchange) { sent = append(sent, x) }})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close(ctx)
			p, err := sess.OpenPipe(ctx, "winreg")
			if err != nil {
				t.Fatal(err)
			}
			rpc, err := Bind(ctx, p, winreg)
			if err != nil {
				t.Fatal(err)
			}
			defer rpc.Close(ctx)
			// OpenHKLM: ServerName NULL (unique pointer 0), samDesired MAXIMUM_ALLOWED.
			stub := binary.LittleEndian.AppendUint32(nil, 0)
			stub = binary.LittleEndian.AppendUint32(stub, 0x02000000)
			reply, err := rpc.Call(ctx, 2, stub)
			if err != nil {
				t.Fatal(err)
			}
			if len(reply) != 24 || binary.LittleEndian.Uint32(reply[20:]) != 0 {
				t.Fatalf("OpenHKLM reply % x", reply)
			}
			// Over SMB1 everything after the logon went out signed (Flags2 SECURITY_SIGNATURE).
			for _, x := range sent {
				if x.Step == "smb1.negotiate" || x.Step == "smb1.session-setup" {
					continue
				}
				if h, err := smb1.DecodeHeader(x.Sent); err != nil || h.Flags2&smb1.Flags2SecuritySignature == 0 {
					t.Errorf("%s went out unsigned (%v)", x.Step, err)
				}
			}
			if d == DialectSMB1 && len(sent) < 5 {
				t.Errorf("%d SMB1 exchanges reported", len(sent))
			}
		})
	}
}
