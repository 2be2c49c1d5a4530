package smbclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// MaxFragments bounds how many fragments one reply may take, whatever the server claims.
const MaxFragments = 32

// maxStub bounds a reassembled reply stub.
const maxStub = 64 << 10

// ErrBindRejected means the server refused the bind: a bind_nak, or no presentation context
// accepted (the interface or NDR 2.0 not supported, or access denied).
var ErrBindRejected = errors.New("smbclient: DCE/RPC bind rejected")

// RPC is a DCE/RPC association on a named pipe, bound to one interface over NDR 2.0. It is
// not safe for concurrent use.
type RPC struct {
	pipe    Pipe
	iface   dcerpc.SyntaxID
	callID  uint32
	maxXmit int

	// Ack is the server's bind_ack (secondary address and fragment sizes are evidence).
	Ack dcerpc.BindAck
}

// Bind binds iface on pipe. srvsvc is refused with ErrRefused before anything is sent: every
// srvsvc request must pass the prober's safety gate (smbprobe/rpc.go), which this generic
// client does not have. The pipe stays open when Bind fails; the caller closes it.
func Bind(ctx context.Context, pipe Pipe, iface dcerpc.SyntaxID) (*RPC, error) {
	if iface.UUID == srvsvc.Interface().UUID {
		return nil, fmt.Errorf("%w: srvsvc is spoken only through the prober's safety gate", ErrRefused)
	}
	c := &RPC{pipe: pipe, iface: iface, callID: 1, maxXmit: dcerpc.DefaultMaxFrag}
	pdu, err := dcerpc.NewBind(c.callID, iface).Encode()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSent, err)
	}
	reply, err := pipe.Transact(ctx, pdu)
	if err != nil {
		return nil, err
	}
	ack, err := DecodeBindReply(reply, c.callID)
	if err != nil {
		return nil, err
	}
	c.Ack = ack
	c.maxXmit = NegotiatedFrag(ack)
	return c, nil
}

// DecodeBindReply reads the answer to bind callID: the bind_ack when a context was accepted,
// ErrBindRejected (bind_nak, or every context rejected), or ErrProtocol.
func DecodeBindReply(reply []byte, callID uint32) (dcerpc.BindAck, error) {
	fr, err := dcerpc.DecodeFrame(reply)
	if err != nil {
		return dcerpc.BindAck{}, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	switch fr.Type {
	case dcerpc.PTypeBindAck:
		ack, err := dcerpc.DecodeBindAck(reply)
		if err != nil {
			return ack, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		if ack.CallID != callID {
			return ack, fmt.Errorf("%w: bind_ack call_id %d, want %d", ErrProtocol, ack.CallID, callID)
		}
		if _, ok := ack.Accepted(); !ok {
			return ack, fmt.Errorf("%w: no presentation context accepted", ErrBindRejected)
		}
		return ack, nil
	case dcerpc.PTypeBindNak:
		nak, _ := dcerpc.DecodeBindNak(reply)
		return dcerpc.BindAck{}, fmt.Errorf("%w: bind_nak reason %d", ErrBindRejected, nak.Reason)
	}
	return dcerpc.BindAck{}, fmt.Errorf("%w: %s in answer to a bind", ErrProtocol, fr.Type)
}

// NegotiatedFrag is the largest request fragment the server takes: its max_recv_frag, unless
// that is implausible (under 1024 or over what we offered).
func NegotiatedFrag(ack dcerpc.BindAck) int {
	n := int(ack.MaxRecvFrag)
	if n < 1024 || n > dcerpc.DefaultMaxFrag {
		return dcerpc.DefaultMaxFrag
	}
	return n
}

// Call sends request opnum with stub (NDR 2.0, fragmented to the server's size) and returns
// the reply stub, reassembled. A fault PDU is a *dcerpc.FaultError (errors.Is(err,
// dcerpc.ErrFault)); a reply flagged did-not-execute is dcerpc.ErrDidNotExecute; a refusal of
// the pipe transaction is the ntstatus.Status; transport failures wrap ErrTimeout, ErrDropped,
// ErrNotSent or ErrProtocol.
func (c *RPC) Call(ctx context.Context, opnum uint16, stub []byte) ([]byte, error) {
	c.callID++
	frags, err := dcerpc.NewRequest(c.callID, 0, opnum, stub).Fragments(c.maxXmit)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSent, err)
	}
	for _, f := range frags[:len(frags)-1] {
		if err := c.pipe.Write(ctx, f); err != nil {
			return nil, err
		}
	}
	first, err := c.pipe.Transact(ctx, frags[len(frags)-1])
	if err != nil {
		return nil, err
	}
	return Reassemble(ctx, c.callID, first, c.pipe.Read)
}

// Close closes the pipe.
func (c *RPC) Close(ctx context.Context) error { return c.pipe.Close(ctx) }

// Reassemble collects the reply to callID: the PDUs in first (the answer to the request's
// transaction), then further pipe messages from next, at most MaxFragments of them. It
// returns the stub, or the fault as a *dcerpc.FaultError, dcerpc.ErrDidNotExecute, or an
// ErrProtocol error.
func Reassemble(ctx context.Context, callID uint32, first []byte, next func(context.Context) ([]byte, error)) ([]byte, error) {
	re := dcerpc.NewReassembler(callID, maxStub)
	msg := first
	for n := 0; ; n++ {
		for len(msg) > 0 {
			p, rest, err := dcerpc.SplitPDU(msg)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			msg = rest
			done, err := re.Add(p)
			if err != nil {
				if errors.Is(err, dcerpc.ErrFault) || errors.Is(err, dcerpc.ErrDidNotExecute) {
					return nil, err
				}
				return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			if done {
				if len(msg) > 0 {
					return nil, fmt.Errorf("%w: bytes after the last fragment", ErrProtocol)
				}
				return re.Response().Stub, nil
			}
		}
		if n >= MaxFragments {
			return nil, fmt.Errorf("%w: more than %d fragments", ErrProtocol, MaxFragments)
		}
		var err error
		if msg, err = next(ctx); err != nil {
			return nil, err
		}
	}
}
