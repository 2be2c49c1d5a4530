package dcerpc

import (
	"encoding/binary"
	"fmt"
)

// The server direction of the codec: bind and request decoders, bind_ack/bind_nak, response
// and fault encoders, response fragmentation. scan445 only binds, calls and reads the
// answers, and the lab builds and parses its PDUs with its own code on purpose (an independent
// oracle of these encoders), so nothing outside the tests needs this half. It lives here for
// the round-trip tests, the golden PDUs of real captures and the fuzz targets' seeds.

// DecodeBind decodes a bind or alter_context PDU.
func DecodeBind(b []byte) (Bind, error) {
	f, err := decodeFrameOf(b, PTypeBind, PTypeAlterContext)
	if err != nil {
		return Bind{}, err
	}
	body := f.Body
	if len(body) < 12 {
		return Bind{}, truncated("bind body", 12, len(body))
	}
	le := binary.LittleEndian
	p := Bind{
		CallID:       f.CallID,
		Flags:        f.Flags,
		AlterContext: f.Type == PTypeAlterContext,
		MaxXmitFrag:  le.Uint16(body[0:2]),
		MaxRecvFrag:  le.Uint16(body[2:4]),
		AssocGroup:   le.Uint32(body[4:8]),
	}
	nctx := int(body[8])
	off := 12
	if nctx > 0 {
		p.Contexts = make([]Context, 0, min(nctx, (len(body)-off)/24))
	}
	for i := 0; i < nctx; i++ {
		if len(body)-off < 24 {
			return Bind{}, truncated(fmt.Sprintf("context %d", i), 24, len(body)-off)
		}
		c := Context{ID: le.Uint16(body[off : off+2])}
		nts := int(body[off+2])
		c.Abstract, _ = decodeSyntaxID(body[off+4 : off+24])
		off += 24
		if len(body)-off < nts*syntaxIDSize {
			return Bind{}, truncated(fmt.Sprintf("context %d transfer syntaxes", i), nts*syntaxIDSize, len(body)-off)
		}
		if nts > 0 {
			c.Transfer = make([]SyntaxID, nts)
		}
		for j := range c.Transfer {
			c.Transfer[j], _ = decodeSyntaxID(body[off : off+syntaxIDSize])
			off += syntaxIDSize
		}
		p.Contexts = append(p.Contexts, c)
	}
	return p, nil
}

// Encode encodes the PDU.
func (p BindAck) Encode() ([]byte, error) {
	addrLen := 0
	if p.SecondaryAddr != "" {
		addrLen = len(p.SecondaryAddr) + 1
	}
	if addrLen > 0xFFFF || len(p.Results) > 0xFF {
		return nil, fmt.Errorf("%w: secondary address or result list too long", ErrTooLarge)
	}
	resOff := secAddrEnd(addrLen)
	b, err := newPDU(p.ptype(), p.Flags, p.CallID, resOff+4+24*len(p.Results)-HeaderSize)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	le.PutUint16(b[16:18], p.MaxXmitFrag)   // max_xmit_frag
	le.PutUint16(b[18:20], p.MaxRecvFrag)   // max_recv_frag
	le.PutUint32(b[20:24], p.AssocGroup)    // assoc_group_id
	le.PutUint16(b[24:26], uint16(addrLen)) // sec_addr.length (NUL included)
	copy(b[26:], p.SecondaryAddr)           // sec_addr.port_spec; NUL and align pad stay 0
	b[resOff] = byte(len(p.Results))        // p_result_list.n_results; reserved, reserved2 stay 0
	off := resOff + 4
	for _, r := range p.Results {
		le.PutUint16(b[off:off+2], uint16(r.Result)) // result
		le.PutUint16(b[off+2:off+4], r.Reason)       // reason
		r.Transfer.encode(b[off+4 : off+24])         // transfer_syntax
		off += 24
	}
	return b, nil
}

// Encode encodes the PDU, zero-padded to a multiple of 4 bytes.
func (p BindNak) Encode() ([]byte, error) {
	if len(p.Versions) > 0xFF {
		return nil, fmt.Errorf("%w: %d versions", ErrTooLarge, len(p.Versions))
	}
	n := (2 + 1 + 2*len(p.Versions) + 3) &^ 3
	b, err := newPDU(PTypeBindNak, p.Flags, p.CallID, n)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint16(b[16:18], p.Reason) // provider_reject_reason
	b[18] = byte(len(p.Versions))                     // versions.n_protocols
	for i, v := range p.Versions {
		b[19+2*i] = v.Major // p_protocols[i].major
		b[20+2*i] = v.Minor // p_protocols[i].minor
	}
	return b, nil
}

// DecodeRequest decodes one request fragment. Stub aliases b.
func DecodeRequest(b []byte) (Request, error) {
	f, err := decodeFrameOf(b, PTypeRequest)
	if err != nil {
		return Request{}, err
	}
	body := f.Body
	if len(body) < 8 {
		return Request{}, truncated("request body", 8, len(body))
	}
	le := binary.LittleEndian
	p := Request{
		CallID:    f.CallID,
		Flags:     f.Flags,
		AllocHint: le.Uint32(body[0:4]),
		ContextID: le.Uint16(body[4:6]),
		Opnum:     le.Uint16(body[6:8]),
	}
	body = body[8:]
	if f.Flags&FlagObjectUUID != 0 {
		u, err := DecodeUUID(body)
		if err != nil {
			return Request{}, err
		}
		p.Object = &u
		body = body[16:]
	}
	p.Stub = body
	return p, nil
}

// NewResponse returns a single-fragment response whose alloc_hint is the stub length.
func NewResponse(callID uint32, contextID uint16, stub []byte) Response {
	return Response{CallID: callID, Flags: FlagsSingle, AllocHint: uint32(len(stub)), ContextID: contextID, Stub: stub}
}

// Encode encodes the PDU.
func (p Response) Encode() ([]byte, error) {
	b, err := newPDU(PTypeResponse, p.Flags, p.CallID, 8+len(p.Stub))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	le.PutUint32(b[16:20], p.AllocHint) // alloc_hint
	le.PutUint16(b[20:22], p.ContextID) // p_cont_id
	b[22] = p.CancelCount               // cancel_count; reserved stays 0
	copy(b[24:], p.Stub)                // stub data
	return b, nil
}

// NewFault returns a single-fragment fault as Windows sends it for a call it refused before
// running it (nca_s_op_rng_error, nca_s_unk_if, …): 32 bytes, PFC_DID_NOT_EXECUTE set.
func NewFault(callID uint32, contextID uint16, status FaultStatus) Fault {
	return Fault{CallID: callID, Flags: FlagsSingle | FlagDidNotExecute, ContextID: contextID, Status: status}
}

// Encode encodes the PDU.
func (p Fault) Encode() ([]byte, error) {
	b, err := newPDU(PTypeFault, p.Flags, p.CallID, 16+len(p.Stub))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	le.PutUint32(b[16:20], p.AllocHint)      // alloc_hint
	le.PutUint16(b[20:22], p.ContextID)      // p_cont_id
	b[22] = p.CancelCount                    // cancel_count; reserved stays 0
	le.PutUint32(b[24:28], uint32(p.Status)) // status
	copy(b[32:], p.Stub)                     // after reserved2 (4 bytes, 0)
	return b, nil
}

// Fragments encodes the response as PDUs of at most maxFrag bytes (the client's
// max_recv_frag). alloc_hint in each fragment is the stub bytes still to come, as Windows sets
// it; the Flags field contributes every bit except FIRST/LAST.
func (p Response) Fragments(maxFrag int) ([][]byte, error) {
	chunk, err := fragmentChunk(maxFrag, HeaderSize+8)
	if err != nil {
		return nil, err
	}
	parts := splitStub(p.Stub, chunk)
	out := make([][]byte, len(parts))
	remaining := len(p.Stub)
	for i, part := range parts {
		q := p
		q.Flags = fragFlags(p.Flags, i, len(parts))
		q.AllocHint = uint32(remaining)
		q.Stub = part
		if out[i], err = q.Encode(); err != nil {
			return nil, err
		}
		remaining -= len(part)
	}
	return out, nil
}

// reassembleRequest joins the fragments of one request, as a server would: the test oracle of
// Request.Fragments.
func reassembleRequest(pdus [][]byte) (Request, error) {
	var out Request
	for i, p := range pdus {
		q, err := DecodeRequest(p)
		if err != nil {
			return Request{}, err
		}
		first, last := q.Flags&FlagFirstFrag != 0, q.Flags&FlagLastFrag != 0
		if first != (i == 0) || last != (i == len(pdus)-1) {
			return Request{}, fmt.Errorf("%w: fragment %d flags %#x", ErrFragmentOrder, i, q.Flags)
		}
		if i > 0 && (q.ContextID != out.ContextID || q.Opnum != out.Opnum || q.CallID != out.CallID) {
			return Request{}, fmt.Errorf("%w: fragment %d changes context/opnum/call", ErrMalformed, i)
		}
		stub := append(out.Stub, q.Stub...)
		if i == 0 {
			out = q
		}
		out.Stub = stub
	}
	return out, nil
}

func (p BindAck) ptype() PacketType {
	if p.AlterContextResp {
		return PTypeAlterContextResp
	}
	return PTypeBindAck
}
