package smbclient

import (
	"encoding/binary"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
)

const (
	sambaUser     = "s445cred"
	sambaPassword = "Cred-t3st!pw"
)

// TestSambaWinregCall is the RPC layer end to end against a real server: an NTLMv2 session
// over SMB1 (ours, signing required) and SMB2 (go-smb2), \winreg opened on IPC$, winreg bound,
// and OpenHKLM (opnum 2) called; Samba answers with a policy handle and WERROR_OK.
func TestSambaWinregCall(t *testing.T) {
	s := testpeer.StartSamba(t, testpeer.SambaConfig{
		NetBIOSName: "S445CLI", SMB1: testpeer.SMB1On, Signing: "mandatory",
		Users: []testpeer.SambaUser{{Name: sambaUser, Password: sambaPassword}},
	})
	cred := ntlmssp.Credentials{User: sambaUser, Hash: ntlmssp.NTHash(sambaPassword)}
	for _, d := range []Dialect{DialectSMB1, DialectSMB2} {
		t.Run(d.String(), func(t *testing.T) {
			ctx := testCtx(t)
			sess, err := OpenSession(ctx, s.Dial(t), SessionConfig{Host: "127.0.0.1", Cred: cred, Dialect: d})
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
		})
	}
}
