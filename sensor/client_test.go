package sensor

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// smbScript is a scripted SMB1 client for the sensor's tests, built from the scanner's own
// encoders: negotiate, null session, IPC$, a pipe, a srvsvc bind and srvsvc calls. It is
// only ever pointed at the test's own sensor on 127.3.3.x.
type smbScript struct {
	t   testing.TB
	c   net.Conn
	h   smb1.Header
	fid uint16
	cid uint32
}

func dialScript(t testing.TB, from, to string) *smbScript {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp4", to)
	if err != nil {
		t.Fatalf("dial %s: %v", to, err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &smbScript{t: t, c: c, h: smb1.Header{Flags: smb1.DefaultFlags, Flags2: smb1.DefaultFlags2 &^ smb1.Flags2ExtendedSecurity, PIDLow: 0xFEFF}}
}

// rt sends one message and returns the reply, failing on a non-success status.
func (s *smbScript) rt(msg []byte) smb1.Message {
	s.t.Helper()
	s.h.MID++
	binary.LittleEndian.PutUint16(msg[30:], s.h.MID)
	if err := netbios.WriteFrame(s.c, msg); err != nil {
		s.t.Fatalf("write: %v", err)
	}
	_, resp, err := netbios.ReadFrame(s.c, 1<<20)
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	m, err := smb1.DecodeMessage(resp)
	if err != nil {
		s.t.Fatalf("decode: %v", err)
	}
	if m.Header.Status != 0 {
		s.t.Fatalf("command 0x%02x: status 0x%08x", m.Header.Command, uint32(m.Header.Status))
	}
	return m
}

// session runs negotiate, a null session, IPC$, opens pipe and binds srvsvc.
func (s *smbScript) session(pipe string) {
	s.t.Helper()
	s.rt(smb1.NegotiateRequest{Dialects: []string{smb1.DialectNTLM012}}.Encode(s.h))
	m := s.rt(smb1.SessionSetupRequest{MaxBufferSize: 16644, MaxMpxCount: 50, Capabilities: smb1.CapUnicode | smb1.CapNTSMBs | smb1.CapStatus32,
		NativeOS: "Windows 2002 Service Pack 3 2600", NativeLanMan: "Windows 2002 5.1"}.Encode(s.h))
	s.h.UID = m.Header.UID
	m = s.rt(smb1.TreeConnectRequest{Password: []byte{0}, Path: `\\SENSOR\IPC$`, Service: smb1.ServiceAny}.Encode(s.h))
	s.h.TID = m.Header.TID
	m = s.rt(smb1.NTCreateRequest{DesiredAccess: 0x2019f, ShareAccess: smb1.ShareRead | smb1.ShareWrite,
		CreateDisposition: smb1.DispositionOpen, ImpersonationLevel: smb1.ImpersonationImpersonation, FileName: `\` + pipe}.Encode(s.h))
	r, err := smb1.DecodeNTCreateResponse(m)
	if err != nil {
		s.t.Fatalf("create: %v", err)
	}
	s.fid = r.FID
	bind, err := dcerpc.NewBind(1, srvsvc.Interface()).Encode()
	if err != nil {
		s.t.Fatal(err)
	}
	s.transact(bind)
}

func (s *smbScript) transact(pdu []byte) []byte {
	s.t.Helper()
	m := s.rt(smb1.TransactNmPipeRequest(s.fid, pdu, 4280).Encode(s.h))
	r, err := smb1.DecodeTransactionResponse(m)
	if err != nil {
		s.t.Fatalf("transaction: %v", err)
	}
	return r.Data
}

// call sends a srvsvc request and returns the WERROR at the end of the response stub.
func (s *smbScript) call(req srvsvc.Request) (uint32, error) {
	s.t.Helper()
	stub, err := req.Encode()
	if err != nil {
		return 0, err
	}
	s.cid++
	pdu, err := dcerpc.NewRequest(s.cid+1, 0, req.Opnum(), stub).Encode()
	if err != nil {
		return 0, err
	}
	out := s.transact(pdu)
	resp, err := dcerpc.DecodeResponse(out)
	if err != nil {
		return 0, fmt.Errorf("not a response (%x): %w", out, err)
	}
	if len(resp.Stub) < 4 {
		return 0, fmt.Errorf("stub of %d bytes", len(resp.Stub))
	}
	return binary.LittleEndian.Uint32(resp.Stub[len(resp.Stub)-4:]), nil
}
