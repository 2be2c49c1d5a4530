package smbclient

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

var le = binary.LittleEndian

// pdu builds a DCE/RPC PDU by hand (the dcerpc package has no server-side encoder outside its
// tests): the 16-byte common header, then body.
func pdu(ptype dcerpc.PacketType, flags uint8, callID uint32, body []byte) []byte {
	b := []byte{5, 0, byte(ptype), flags, 0x10, 0, 0, 0}
	b = le.AppendUint16(b, uint16(16+len(body)))
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, callID)
	return append(b, body...)
}

func response(callID uint32, flags uint8, stub []byte) []byte {
	body := le.AppendUint32(nil, uint32(len(stub))) // alloc_hint
	body = append(body, 0, 0, 0, 0)                 // p_cont_id, cancel_count, reserved
	return pdu(dcerpc.PTypeResponse, flags, callID, append(body, stub...))
}

func fault(callID uint32, status uint32) []byte {
	body := le.AppendUint32(nil, 0)
	body = append(body, 0, 0, 0, 0)
	body = le.AppendUint32(body, status)
	return pdu(dcerpc.PTypeFault, dcerpc.FlagsSingle, callID, append(body, 0, 0, 0, 0))
}

// bindAck accepts (or, with rejected, refuses) the one context proposed, with max_recv_frag
// maxRecv.
func bindAck(callID uint32, maxRecv uint16, rejected bool) []byte {
	body := le.AppendUint16(nil, 4280)
	body = le.AppendUint16(body, maxRecv)
	body = le.AppendUint32(body, 0x1234)
	addr := []byte(`\PIPE\winreg` + "\x00")
	body = le.AppendUint16(body, uint16(len(addr)))
	body = append(body, addr...)
	for (16+len(body))%4 != 0 {
		body = append(body, 0)
	}
	body = append(body, 1, 0, 0, 0)
	if rejected {
		body = append(body, 2, 0, 1, 0) // provider_rejection, abstract syntax not supported
		body = append(body, make([]byte, 20)...)
	} else {
		body = append(body, 0, 0, 0, 0)
		ndr := dcerpc.NDR20()
		body = append(body, make([]byte, 20)...)
		copy(body[len(body)-20:], ndr.UUID[:]) // byte order does not matter to the client
		le.PutUint32(body[len(body)-4:], 2)
	}
	return pdu(dcerpc.PTypeBindAck, dcerpc.FlagsSingle, callID, body)
}

// fakePipe answers each Transact with the next of replies, each Read with the next of reads,
// and records what was written.
type fakePipe struct {
	replies, reads [][]byte
	writes         [][]byte
	transacts      [][]byte
	err            error
}

func (p *fakePipe) Transact(_ context.Context, msg []byte) ([]byte, error) {
	p.transacts = append(p.transacts, msg)
	if p.err != nil {
		return nil, p.err
	}
	if len(p.replies) == 0 {
		return nil, ErrDropped
	}
	r := p.replies[0]
	p.replies = p.replies[1:]
	return r, nil
}

func (p *fakePipe) Write(_ context.Context, msg []byte) error {
	p.writes = append(p.writes, msg)
	return nil
}

func (p *fakePipe) Read(context.Context) ([]byte, error) {
	if len(p.reads) == 0 {
		return nil, ErrTimeout
	}
	r := p.reads[0]
	p.reads = p.reads[1:]
	return r, nil
}

func (p *fakePipe) Close(context.Context) error { return nil }

func TestBindAndCall(t *testing.T) {
	stub := bytes.Repeat([]byte{0xAB}, 100)
	first, last := dcerpc.FlagFirstFrag, dcerpc.FlagLastFrag
	cases := []struct {
		name   string
		pipe   fakePipe
		req    []byte // request stub
		want   []byte
		err    error
		writes int // leading request fragments written before the transaction
	}{
		{name: "one fragment", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), response(2, dcerpc.FlagsSingle, stub)}}, want: stub},
		{name: "two PDUs in one message", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false),
			append(response(2, first, stub[:40]), response(2, last, stub[40:])...)}}, want: stub},
		{name: "fragments over reads", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), response(2, first, stub[:40])},
			reads: [][]byte{response(2, 0, stub[40:80]), response(2, last, stub[80:])}}, want: stub},
		{name: "long request fragmented", pipe: fakePipe{replies: [][]byte{bindAck(1, 1024, false), response(2, dcerpc.FlagsSingle, stub)}},
			req: make([]byte, 3000), want: stub, writes: 2},
		{name: "fault", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), fault(2, uint32(dcerpc.StatusAccessDenied))}}, err: dcerpc.ErrFault},
		{name: "did not execute", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), response(2, dcerpc.FlagsSingle|dcerpc.FlagDidNotExecute, stub)}}, err: dcerpc.ErrDidNotExecute},
		{name: "call id mismatch", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), response(7, dcerpc.FlagsSingle, stub)}}, err: ErrProtocol},
		{name: "trailing bytes", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), append(response(2, dcerpc.FlagsSingle, stub), 5, 0, 2)}}, err: ErrProtocol},
		{name: "endless fragments", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, false), response(2, first, stub[:8])},
			reads: bytes.SplitAfter(bytes.Repeat(response(2, 0, stub[:8]), MaxFragments+2), response(2, 0, stub[:8]))}, err: ErrProtocol},
		{name: "bind rejected", pipe: fakePipe{replies: [][]byte{bindAck(1, 4280, true)}}, err: ErrBindRejected},
		{name: "bind nak", pipe: fakePipe{replies: [][]byte{pdu(dcerpc.PTypeBindNak, dcerpc.FlagsSingle, 1, []byte{4, 0, 0})}}, err: ErrBindRejected},
		{name: "bind answered with a response", pipe: fakePipe{replies: [][]byte{response(1, dcerpc.FlagsSingle, stub)}}, err: ErrProtocol},
		{name: "pipe refused", pipe: fakePipe{err: ntstatus.AccessDenied}, err: ntstatus.AccessDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := tc.pipe
			req := tc.req
			if req == nil {
				req = []byte{1, 2, 3, 4}
			}
			var got []byte
			rpc, err := Bind(ctx, &p, winreg)
			if err == nil {
				got, err = rpc.Call(ctx, 2, req)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("err %v, stub % x", err, got)
			}
			if len(p.writes) != tc.writes {
				t.Errorf("%d fragments written before the transaction, want %d", len(p.writes), tc.writes)
			}
			for _, w := range append(p.writes, p.transacts[1:]...) {
				if len(w) > int(rpc.maxXmit) {
					t.Errorf("fragment of %d bytes over the server's %d", len(w), rpc.maxXmit)
				}
			}
		})
	}
}

// TestFaultIsTyped: a fault comes back as a *dcerpc.FaultError carrying the status.
func TestFaultIsTyped(t *testing.T) {
	p := fakePipe{replies: [][]byte{bindAck(1, 4280, false), fault(2, uint32(dcerpc.StatusOpRangeError))}}
	rpc, err := Bind(context.Background(), &p, winreg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rpc.Call(context.Background(), 99, nil)
	var fe *dcerpc.FaultError
	if !errors.As(err, &fe) || fe.Status != dcerpc.StatusOpRangeError {
		t.Fatalf("err %v", err)
	}
}

// FuzzBindAndCall feeds Bind and Call arbitrary pipe messages: no panic, and a stub only with
// a nil error.
func FuzzBindAndCall(f *testing.F) {
	f.Add(bindAck(1, 4280, false), response(2, dcerpc.FlagsSingle, []byte{1, 2, 3, 4}), []byte{})
	f.Add(bindAck(1, 1024, false), response(2, dcerpc.FlagFirstFrag, []byte{1}), response(2, dcerpc.FlagLastFrag, []byte{2}))
	f.Add(bindAck(1, 4280, true), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, ack, reply, more []byte) {
		p := fakePipe{replies: [][]byte{ack, reply}, reads: [][]byte{more}}
		rpc, err := Bind(context.Background(), &p, winreg)
		if err != nil {
			return
		}
		stub, err := rpc.Call(context.Background(), 1, []byte{0, 0, 0, 0})
		if err != nil && stub != nil {
			t.Fatalf("stub %x with error %v", stub, err)
		}
	})
}

// TestSrvsvcRefused: the generic RPC layer binds anything but srvsvc, which only the prober's
// safety gate speaks; the refusal comes before a byte is written.
func TestSrvsvcRefused(t *testing.T) {
	p := fakePipe{replies: [][]byte{bindAck(1, 4280, false)}}
	if _, err := Bind(context.Background(), &p, srvsvc.Interface()); !errors.Is(err, ErrRefused) || len(p.transacts) != 0 {
		t.Fatalf("err %v, %d transactions", err, len(p.transacts))
	}
	for _, tc := range []struct {
		name    string
		refused bool
	}{
		{"srvsvc", true}, {"SRVSVC", true}, {`\srvsvc`, true}, {`\PIPE\srvsvc`, true}, {"pipe/srvsvc", true},
		{"browser", true}, {"srvsvc\x00", true}, {" browser ", true},
		{"winreg", false}, {"samr", false}, {"srvsvc2", false},
	} {
		if err := checkPipe(tc.name); (err != nil) != tc.refused || err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("checkPipe(%q): %v", tc.name, err)
		}
	}
}
