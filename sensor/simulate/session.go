package simulate

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// maxReply bounds one reply the simulated hosts read: they meet the sensor, which may be
// hostile too.
const maxReply = 1 << 17

// session is one SMB1 null session on IPC$ with srvsvc bound: what both kinds of simulated
// host set up before their one call.
type session struct {
	c        net.Conn
	timeout  time.Duration
	mid      uint16
	uid, tid uint16
	fid      uint16
	callID   uint32
}

// flags2 offers no extended security: the worm and old clients log on in basic security with
// an empty account, which every server that allows null sessions takes.
const flags2 = smb1.Flags2Unicode | smb1.Flags2NTStatus | smb1.Flags2LongNames

func (s *session) header() smb1.Header {
	s.mid++
	return smb1.Header{Flags: smb1.DefaultFlags, Flags2: flags2, PIDLow: 0xFEFF, UID: s.uid, TID: s.tid, MID: s.mid}
}

// roundTrip writes one request and reads its reply, each under the session's deadline.
func (s *session) roundTrip(cmd byte, msg []byte) (smb1.Message, error) {
	s.c.SetDeadline(time.Now().Add(s.timeout))
	if err := netbios.WriteFrame(s.c, msg); err != nil {
		return smb1.Message{}, err
	}
	for {
		typ, payload, err := netbios.ReadFrame(s.c, maxReply)
		if err != nil {
			return smb1.Message{}, err
		}
		if typ != 0 { // keep-alive and the like
			continue
		}
		m, err := smb1.DecodeMessage(payload)
		if err != nil {
			return m, err
		}
		if !m.Header.IsReply() || m.Header.Command != cmd {
			return m, fmt.Errorf("reply 0x%02x to request 0x%02x", m.Header.Command, cmd)
		}
		return m, nil
	}
}

// expectOK is roundTrip that turns an error status into an error.
func (s *session) expectOK(cmd byte, msg []byte, what string) (smb1.Message, error) {
	m, err := s.roundTrip(cmd, msg)
	if err != nil {
		return m, fmt.Errorf("%s: %w", what, err)
	}
	if st := m.Header.Status; st != ntstatus.Success {
		return m, fmt.Errorf("%s: %s", what, st)
	}
	return m, nil
}

// openSession negotiates NT LM 0.12, logs on as the null session and connects IPC$ of host.
func openSession(c net.Conn, host netip.Addr, timeout time.Duration) (*session, error) {
	s := &session{c: c, timeout: timeout}
	if _, err := s.expectOK(smb1.CmdNegotiate, smb1.NegotiateRequest{Dialects: []string{smb1.DialectNTLM012}}.Encode(s.header()), "negotiate"); err != nil {
		return nil, err
	}
	setup := smb1.SessionSetupRequest{
		MaxBufferSize: 4356, MaxMpxCount: 10, Capabilities: smb1.CapUnicode | smb1.CapNTSMBs | smb1.CapStatus32 | smb1.CapLargeFiles,
		OEMPassword: []byte{0}, NativeOS: "Windows 2002 Service Pack 2 2600", NativeLanMan: "Windows 2002 5.1",
	}
	m, err := s.expectOK(smb1.CmdSessionSetupAnd, setup.Encode(s.header()), "null session")
	if err != nil {
		return nil, err
	}
	s.uid = m.Header.UID
	tree := smb1.TreeConnectRequest{Password: []byte{0}, Path: `\\` + host.String() + `\IPC$`, Service: smb1.ServiceAny}
	if m, err = s.expectOK(smb1.CmdTreeConnectAndX, tree.Encode(s.header()), "IPC$"); err != nil {
		return nil, err
	}
	s.tid = m.Header.TID
	return s, nil
}

// openPipe opens the first of names that the server has, as the worm tries \browser first.
func (s *session) openPipe(names ...string) (string, error) {
	var errs []error
	for _, name := range names {
		req := smb1.NTCreateRequest{
			DesiredAccess: 0x0002019F, ShareAccess: smb1.ShareRead | smb1.ShareWrite,
			CreateDisposition: smb1.DispositionOpen, ImpersonationLevel: smb1.ImpersonationImpersonation,
			FileName: `\` + name,
		}
		m, err := s.expectOK(smb1.CmdNTCreateAndX, req.Encode(s.header()), `open \`+name)
		if err != nil {
			errs = append(errs, err)
			if m.Header.Status == 0 { // the connection, not the name, failed
				break
			}
			continue
		}
		resp, err := smb1.DecodeNTCreateResponse(m)
		if err != nil {
			return "", err
		}
		s.fid = resp.FID
		return name, nil
	}
	return "", errors.Join(errs...)
}

// transact sends one DCE/RPC PDU on the pipe and returns the reply PDU.
func (s *session) transact(pdu []byte) ([]byte, error) {
	m, err := s.roundTrip(smb1.CmdTransaction, smb1.TransactNmPipeRequest(s.fid, pdu, dcerpc.DefaultMaxFrag).Encode(s.header()))
	if err != nil {
		return nil, err
	}
	if st := m.Header.Status; st != ntstatus.Success && st != ntstatus.BufferOverflow {
		return nil, fmt.Errorf("TransactNmPipe: %s", st)
	}
	resp, err := smb1.DecodeTransactionResponse(m)
	if err != nil {
		return nil, err
	}
	return resp.Data, nil
}

// bindSrvsvc binds srvsvc v3.0 on the open pipe.
func (s *session) bindSrvsvc() error {
	s.callID++
	pdu, err := dcerpc.NewBind(s.callID, srvsvc.Interface()).Encode()
	if err != nil {
		return err
	}
	reply, err := s.transact(pdu)
	if err != nil {
		return fmt.Errorf("srvsvc bind: %w", err)
	}
	ack, err := dcerpc.DecodeBindAck(reply)
	if err != nil {
		return fmt.Errorf("srvsvc bind: %w", err)
	}
	if _, ok := ack.Accepted(); !ok {
		return errors.New("srvsvc bind: context rejected")
	}
	return nil
}

// call makes one srvsvc call and says how it ended: "WERROR 0x…" (the stub's last word),
// "fault 0x…", or an error (a dropped connection: the host may have crashed).
func (s *session) call(opnum uint16, stub []byte) (string, error) {
	s.callID++
	pdu, err := dcerpc.NewRequest(s.callID, 0, opnum, stub).Encode()
	if err != nil {
		return "", err
	}
	reply, err := s.transact(pdu)
	if err != nil {
		return "", err
	}
	if f, ferr := dcerpc.DecodeFault(reply); ferr == nil {
		return fmt.Sprintf("fault 0x%08x", uint32(f.Status)), nil
	}
	resp, err := dcerpc.DecodeResponse(reply)
	if err != nil {
		return "", err
	}
	if len(resp.Stub) < 4 {
		return "", fmt.Errorf("response stub of %d bytes", len(resp.Stub))
	}
	return fmt.Sprintf("WERROR 0x%08x", binary.LittleEndian.Uint32(resp.Stub[len(resp.Stub)-4:])), nil
}

// dial connects from src (if valid) to dst under ctx and timeout.
func dial(ctx context.Context, src netip.Addr, dst netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	return d.DialContext(ctx, "tcp", dst.String())
}
