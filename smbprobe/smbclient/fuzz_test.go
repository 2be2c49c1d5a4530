package smbclient

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/netbios"
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
	f.Add(packFrames([][]byte{neg}))
	f.Add(packFrames([][]byte{neg, bindAck(1, 4280, false)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var frames [][]byte
		for len(data) >= 2 {
			n := min(int(binary.LittleEndian.Uint16(data)), len(data)-2)
			frames = append(frames, data[2:2+n])
			data = data[2+n:]
		}
		cli, srv := net.Pipe()
		go blastFrames(srv, frames)
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

func packFrames(fs [][]byte) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

// blastFrames sends every frame at once, swallowing what the client writes, then hangs up.
func blastFrames(srv net.Conn, frames [][]byte) {
	defer srv.Close()
	go io.Copy(io.Discard, srv)
	srv.SetDeadline(time.Now().Add(2 * time.Second))
	for _, f := range frames {
		if netbios.WriteFrame(srv, f) != nil {
			return
		}
	}
}
