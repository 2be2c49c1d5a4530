package dcerpc

import (
	"encoding/binary"
	"fmt"
)

// Context is p_cont_elem_t: one presentation context proposed in a bind or alter_context.
type Context struct {
	ID       uint16 // p_cont_id
	Abstract SyntaxID
	Transfer []SyntaxID
}

// Bind is a bind (ptype 11) or, with AlterContext set, an alter_context (ptype 14) PDU.
type Bind struct {
	CallID       uint32
	Flags        uint8
	AlterContext bool
	MaxXmitFrag  uint16
	MaxRecvFrag  uint16
	AssocGroup   uint32
	Contexts     []Context
}

// NewBind returns a single-fragment bind proposing one context (id 0) for abstract over NDR 2.0,
// with the 4280-byte fragment sizes Windows uses.
func NewBind(callID uint32, abstract SyntaxID) Bind {
	return Bind{
		CallID:      callID,
		Flags:       FlagsSingle,
		MaxXmitFrag: DefaultMaxFrag,
		MaxRecvFrag: DefaultMaxFrag,
		Contexts:    []Context{{ID: 0, Abstract: abstract, Transfer: []SyntaxID{NDR20()}}},
	}
}

func (p Bind) ptype() PacketType {
	if p.AlterContext {
		return PTypeAlterContext
	}
	return PTypeBind
}

// Encode encodes the PDU.
func (p Bind) Encode() ([]byte, error) {
	if len(p.Contexts) > 0xFF {
		return nil, fmt.Errorf("%w: %d contexts, n_context_elem is one byte", ErrTooLarge, len(p.Contexts))
	}
	n := 12
	for _, c := range p.Contexts {
		if len(c.Transfer) > 0xFF {
			return nil, fmt.Errorf("%w: %d transfer syntaxes, n_transfer_syn is one byte", ErrTooLarge, len(c.Transfer))
		}
		n += 4 + syntaxIDSize*(1+len(c.Transfer))
	}
	b, err := newPDU(p.ptype(), p.Flags, p.CallID, n)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	le.PutUint16(b[16:18], p.MaxXmitFrag) // max_xmit_frag
	le.PutUint16(b[18:20], p.MaxRecvFrag) // max_recv_frag
	le.PutUint32(b[20:24], p.AssocGroup)  // assoc_group_id
	b[24] = byte(len(p.Contexts))         // p_context_elem.n_context_elem; reserved, reserved2 stay 0
	off := 28
	for _, c := range p.Contexts {
		le.PutUint16(b[off:off+2], c.ID)     // p_cont_id
		b[off+2] = byte(len(c.Transfer))     // n_transfer_syn; reserved stays 0
		c.Abstract.encode(b[off+4 : off+24]) // abstract_syntax
		off += 24
		for _, t := range c.Transfer {
			t.encode(b[off : off+syntaxIDSize]) // transfer_syntaxes[i]
			off += syntaxIDSize
		}
	}
	return b, nil
}

// ResultCode is p_cont_def_result_t.
type ResultCode uint16

// The results a bind_ack gives each presentation context.
const (
	ResultAcceptance        ResultCode = 0
	ResultUserRejection     ResultCode = 1
	ResultProviderRejection ResultCode = 2
	ResultNegotiateAck      ResultCode = 3 // MS-RPCE bind time feature negotiation
)

// String names the result code.
func (r ResultCode) String() string {
	switch r {
	case ResultAcceptance:
		return "acceptance"
	case ResultUserRejection:
		return "user_rejection"
	case ResultProviderRejection:
		return "provider_rejection"
	case ResultNegotiateAck:
		return "negotiate_ack"
	}
	return fmt.Sprintf("result(%d)", uint16(r))
}

// Provider rejection reasons (p_provider_reason_t).
const (
	ReasonNotSpecified                 uint16 = 0
	ReasonAbstractSyntaxNotSupported   uint16 = 1
	ReasonTransferSyntaxesNotSupported uint16 = 2
	ReasonLocalLimitExceeded           uint16 = 3
)

// Result is p_result_t: the answer to one proposed context, in the order proposed.
type Result struct {
	Result   ResultCode
	Reason   uint16 // provider reason; for negotiate_ack, the accepted feature bits
	Transfer SyntaxID
}

// BindAck is a bind_ack (ptype 12) or, with AlterContextResp set, an alter_context_resp
// (ptype 15).
type BindAck struct {
	CallID           uint32
	Flags            uint8
	AlterContextResp bool
	MaxXmitFrag      uint16
	MaxRecvFrag      uint16
	AssocGroup       uint32
	// SecondaryAddr is the port_spec without its terminating NUL, e.g. `\PIPE\srvsvc` (Windows)
	// or `\pipe\srvsvc` (Samba). Empty encodes as length 0, as Windows does in
	// alter_context_resp.
	SecondaryAddr string
	Results       []Result
}

// Accepted returns the index of the first accepted context, if any.
func (p BindAck) Accepted() (int, bool) {
	for i, r := range p.Results {
		if r.Result == ResultAcceptance {
			return i, true
		}
	}
	return -1, false
}

// secAddrEnd returns the offset (from the PDU start) just past the secondary address and its
// padding: the result list is 4-aligned relative to the start of the PDU.
func secAddrEnd(addrLen int) int {
	end := HeaderSize + 8 + 2 + addrLen
	return (end + 3) &^ 3
}

// DecodeBindAck decodes a bind_ack or alter_context_resp PDU.
func DecodeBindAck(b []byte) (BindAck, error) {
	f, err := decodeFrameOf(b, PTypeBindAck, PTypeAlterContextResp)
	if err != nil {
		return BindAck{}, err
	}
	body := f.Body
	if len(body) < 10 {
		return BindAck{}, truncated("bind_ack body", 10, len(body))
	}
	le := binary.LittleEndian
	p := BindAck{
		CallID:           f.CallID,
		Flags:            f.Flags,
		AlterContextResp: f.Type == PTypeAlterContextResp,
		MaxXmitFrag:      le.Uint16(body[0:2]),
		MaxRecvFrag:      le.Uint16(body[2:4]),
		AssocGroup:       le.Uint32(body[4:8]),
	}
	addrLen := int(le.Uint16(body[8:10]))
	if len(body)-10 < addrLen {
		return BindAck{}, truncated("sec_addr", addrLen, len(body)-10)
	}
	addr := body[10 : 10+addrLen]
	if n := len(addr); n > 0 && addr[n-1] == 0 {
		addr = addr[:n-1]
	}
	p.SecondaryAddr = string(addr)
	off := secAddrEnd(addrLen) - HeaderSize
	if len(body)-off < 4 {
		return BindAck{}, truncated("p_result_list", 4, max(0, len(body)-off))
	}
	nres := int(body[off])
	off += 4
	if len(body)-off < 24*nres {
		return BindAck{}, truncated("p_result_list results", 24*nres, len(body)-off)
	}
	if nres > 0 {
		p.Results = make([]Result, nres)
	}
	for i := range p.Results {
		p.Results[i].Result = ResultCode(le.Uint16(body[off : off+2]))
		p.Results[i].Reason = le.Uint16(body[off+2 : off+4])
		p.Results[i].Transfer, _ = decodeSyntaxID(body[off+4 : off+24])
		off += 24
	}
	return p, nil
}

// Bind rejection reasons (p_reject_reason_t, C706 12.6.3.1 and MS-RPCE 2.2.2.5).
const (
	RejectReasonNotSpecified              uint16 = 0
	RejectTemporaryCongestion             uint16 = 1
	RejectLocalLimitExceeded              uint16 = 2
	RejectCalledPaddrUnknown              uint16 = 3
	RejectProtocolVersionNotSupported     uint16 = 4
	RejectDefaultContextNotSupported      uint16 = 5
	RejectUserDataNotReadable             uint16 = 6
	RejectNoPSAPAvailable                 uint16 = 7
	RejectAuthenticationTypeNotRecognized uint16 = 8
	RejectInvalidChecksum                 uint16 = 9
)

// Version is one p_rt_version_t entry of a bind_nak.
type Version struct{ Major, Minor uint8 }

// BindNak is a bind_nak (ptype 13).
type BindNak struct {
	CallID   uint32
	Flags    uint8
	Reason   uint16 // provider_reject_reason
	Versions []Version
}

// DecodeBindNak decodes a bind_nak. A bind_nak that stops after the reason (some stacks send
// only that) decodes with no versions.
func DecodeBindNak(b []byte) (BindNak, error) {
	f, err := decodeFrameOf(b, PTypeBindNak)
	if err != nil {
		return BindNak{}, err
	}
	body := f.Body
	if len(body) < 2 {
		return BindNak{}, truncated("bind_nak body", 2, len(body))
	}
	p := BindNak{CallID: f.CallID, Flags: f.Flags, Reason: binary.LittleEndian.Uint16(body[0:2])}
	if len(body) < 3 {
		return p, nil
	}
	n := int(body[2])
	if len(body)-3 < 2*n {
		return BindNak{}, truncated("bind_nak versions", 2*n, len(body)-3)
	}
	if n > 0 {
		p.Versions = make([]Version, n)
	}
	for i := range p.Versions {
		p.Versions[i] = Version{Major: body[3+2*i], Minor: body[4+2*i]}
	}
	return p, nil
}
