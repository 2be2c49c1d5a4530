package smbclient

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
)

// FuzzSMB1Session feeds an authenticated SMB1 session and a DCE/RPC call arbitrary server
// frames (each a 2-byte length and a payload): negotiate, logon, IPC$, pipe open, bind,
// call. Whatever comes back, nothing may panic or hang, and a failure must be one of the
// package's errors, a refusal, or a fault.
func FuzzSMB1Session(f *testing.F) {
	neg := smb1.NewMessage(smb1.Header{Command: smb1.CmdNegotiate, Flags: smb1.FlagsReply, MID: 1}, make([]byte, 34), nil).Encode()
	f.Add(testpeer.PackFrames([][]byte{neg}))
	f.Add(testpeer.PackFrames([][]byte{neg, bindAck(1, 4280, false)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		go testpeer.BlastFrames(srv, testpeer.UnpackFrames(data))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := OpenSession(ctx, cli, SessionConfig{Host: "127.0.0.1", Dialect: DialectSMB1, Timeout: time.Second,
			Cred: ntlmssp.Credentials{User: "u", Hash: ntlmssp.NTHash("p")}})
		if err != nil {
			known(t, err)
			return
		}
		defer s.Close(ctx)
		p, err := s.OpenPipe(ctx, "winreg")
		if err != nil {
			known(t, err)
			return
		}
		rpc, err := Bind(ctx, p, winreg)
		if err != nil {
			known(t, err)
			return
		}
		if _, err := rpc.Call(ctx, 2, make([]byte, 8)); err != nil {
			known(t, err)
		}
	})
}

// known fails t unless err is one the package documents.
func known(t *testing.T, err error) {
	t.Helper()
	var re *RefusedError
	for _, k := range []error{ErrProtocol, ErrDropped, ErrTimeout, ErrNotSent, ErrGuest, ErrBindRejected} {
		if errors.Is(err, k) {
			return
		}
	}
	if errors.As(err, &re) {
		return
	}
	var st ntstatus.Status
	if errors.As(err, &st) {
		return
	}
	if errors.Is(err, dcerpc.ErrFault) || errors.Is(err, dcerpc.ErrDidNotExecute) {
		return
	}
	t.Fatalf("undocumented error %T: %v", err, err)
}
