package smblab

import (
	"bytes"
)

// DCE/RPC connection-oriented PDU types (MS-RPCE / C706 12.6).
const (
	ptypeRequest      = 0
	ptypeResponse     = 2
	ptypeFault        = 3
	ptypeBind         = 11
	ptypeBindAck      = 12
	ptypeBindNak      = 13
	ptypeAlterContext = 14
	ptypeAlterResp    = 15

	pfcFirstFrag    = 0x01
	pfcLastFrag     = 0x02
	pfcDidNotExec   = 0x20
	pfcObjectUUID   = 0x80
	rpcHeaderLen    = 16
	maxRPCBuffered  = 1 << 18 // bound on a reassembled request, and on queued replies
	defaultMaxFrag  = 4280
	faultOpRngError = 0x1c010002 // nca_s_op_rng_error
	faultProtoError = 0x1c01000b // nca_proto_error
	faultBadStub    = 0x000006f7 // RPC_X_BAD_STUB_DATA
)

var (
	uuidSrvsvc  = []byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}
	uuidNDR     = []byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}
	uuidBTFNPre = []byte{0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45} // bind time feature negotiation
)

// rpcPipe is the server end of a named pipe carrying DCE/RPC: bytes written by the client are
// reassembled into PDUs and answered into a queue of messages the client reads.
type rpcPipe struct {
	s        *session
	name     string
	in       []byte   // partial PDU written so far
	out      [][]byte // reply messages, one per PDU fragment
	ctxs     map[uint16]bool
	maxFrag  int
	reqStub  []byte // request fragments reassembled so far
	reqOpnum uint16
	reqCtx   uint16
}

func newRPCPipe(s *session, name string) *rpcPipe {
	return &rpcPipe{s: s, name: name, ctxs: map[uint16]bool{}, maxFrag: defaultMaxFrag}
}

// available is the number of reply bytes waiting.
func (p *rpcPipe) available() int {
	n := 0
	for _, m := range p.out {
		n += len(m)
	}
	return n
}

// nextLen is the length of the next reply message.
func (p *rpcPipe) nextLen() int {
	if len(p.out) == 0 {
		return 0
	}
	return len(p.out[0])
}

// read returns up to max bytes of the next message; more says the message continues (the
// STATUS_BUFFER_OVERFLOW of a message-mode pipe). nil means the pipe is empty.
func (p *rpcPipe) read(max int) (data []byte, more bool) {
	if len(p.out) == 0 {
		return nil, false
	}
	m := p.out[0]
	if max <= 0 {
		max = 1
	}
	if len(m) > max {
		p.out[0] = m[max:]
		return m[:max], true
	}
	p.out = p.out[1:]
	return m, false
}

// write feeds client bytes to the RPC server. A non-empty result means the emulated host
// crashed on the request it describes.
func (p *rpcPipe) write(b []byte) string {
	p.in = append(p.in, b...)
	for len(p.in) >= rpcHeaderLen {
		fragLen := int(le.Uint16(p.in[8:])) // frag_length
		if p.in[0] != 5 || fragLen < rpcHeaderLen || p.in[4]&0xF0 != 0x10 {
			// Not DCE/RPC v5 little-endian: Windows answers nothing useful; drop the bytes.
			p.in = nil
			return ""
		}
		if len(p.in) < fragLen {
			if len(p.in) > maxRPCBuffered {
				p.in = nil
			}
			return ""
		}
		pdu := p.in[:fragLen]
		p.in = append([]byte(nil), p.in[fragLen:]...)
		if crash := p.pdu(pdu); crash != "" {
			return crash
		}
	}
	return ""
}

func (p *rpcPipe) pdu(pdu []byte) string {
	ptype, flags := pdu[2], pdu[3]
	callID := le.Uint32(pdu[12:])
	switch ptype {
	case ptypeBind, ptypeAlterContext:
		if p.s.observe != nil {
			p.s.observe(Request{Command: "DCE/RPC bind", Pipe: p.name})
		}
		p.bind(pdu, ptype, callID)
	case ptypeRequest:
		if len(pdu) < 24 {
			p.fault(callID, 0, faultProtoError, true)
			return ""
		}
		ctxID := le.Uint16(pdu[20:]) // p_cont_id
		opnum := le.Uint16(pdu[22:]) // opnum
		authLen := int(le.Uint16(pdu[10:]))
		body := pdu[24:]
		if flags&pfcObjectUUID != 0 {
			if len(body) < 16 {
				p.fault(callID, ctxID, faultProtoError, true)
				return ""
			}
			body = body[16:]
		}
		if authLen > 0 {
			// auth_verifier: sec_trailer (8) + auth_len bytes at the end.
			if authLen+8 > len(body) {
				p.fault(callID, ctxID, faultProtoError, true)
				return ""
			}
			body = body[:len(body)-authLen-8]
		}
		if flags&pfcFirstFrag != 0 {
			p.reqStub = p.reqStub[:0]
			p.reqOpnum, p.reqCtx = opnum, ctxID
		}
		if len(p.reqStub)+len(body) > maxRPCBuffered {
			p.reqStub = nil
			p.fault(callID, ctxID, faultProtoError, true)
			return ""
		}
		p.reqStub = append(p.reqStub, body...)
		if flags&pfcLastFrag == 0 {
			return ""
		}
		if p.s.observe != nil {
			p.s.observe(srvsvcRequest(p.name, p.reqOpnum, p.reqStub))
		}
		if !p.ctxs[p.reqCtx] {
			p.fault(callID, p.reqCtx, faultProtoError, true) // nca_proto_error: unknown context
			return ""
		}
		res := p.s.srvsvc(p.reqOpnum, p.reqStub)
		if res.crash != "" {
			return res.crash
		}
		if p.available() > maxRPCBuffered {
			// A client that writes without reading: stop queueing, as a full pipe would.
			p.fault(callID, p.reqCtx, faultProtoError, true)
			return ""
		}
		if res.fault != 0 {
			p.fault(callID, p.reqCtx, res.fault, res.fault == faultOpRngError)
			return ""
		}
		p.respond(callID, p.reqCtx, res.stub)
	}
	return ""
}

func rpcHeader(ptype, flags byte, fragLen, callID uint32) []byte {
	h := []byte{5, 0, ptype, flags, 0x10, 0, 0, 0} // rpc_vers 5, minor 0, PTYPE, pfc_flags, drep LE/ASCII/IEEE
	h = le.AppendUint16(h, uint16(fragLen))        // frag_length
	h = le.AppendUint16(h, 0)                      // auth_length
	return le.AppendUint32(h, callID)              // call_id
}

func (p *rpcPipe) bind(pdu []byte, ptype byte, callID uint32) {
	if len(pdu) < 28 {
		return
	}
	clientMaxRecv := int(le.Uint16(pdu[18:])) // max_recv_frag
	assoc := le.Uint32(pdu[20:])              // assoc_group_id
	n := int(pdu[24])                         // n_context_elem
	if clientMaxRecv >= 1024 {
		p.maxFrag = min(clientMaxRecv, defaultMaxFrag)
	}
	var results []byte
	off := 28
	for i := 0; i < n; i++ {
		hdr, ok := span(pdu, off, 24)
		if !ok {
			break
		}
		ctxID := le.Uint16(hdr)
		nts := int(hdr[2])
		abstract := hdr[4:24]
		off += 24
		accepted := false
		var btfn bool
		for j := 0; j < nts; j++ {
			ts, ok := span(pdu, off, 20)
			if !ok {
				break
			}
			off += 20
			if bytes.Equal(ts[:16], uuidNDR) && le.Uint32(ts[16:]) == 2 {
				accepted = true
			}
			if bytes.Equal(ts[:8], uuidBTFNPre) {
				btfn = true
			}
		}
		isSrvsvc := bytes.Equal(abstract[:16], uuidSrvsvc) && le.Uint16(abstract[16:]) == 3
		switch {
		case isSrvsvc && accepted:
			p.ctxs[ctxID] = true
			results = le.AppendUint16(results, 0) // acceptance
			results = le.AppendUint16(results, 0)
			results = append(results, uuidNDR...)
			results = le.AppendUint32(results, 2)
		case btfn && p.s.p.NTLMVersion.Major >= 6:
			// Bind time feature negotiation exists from NT 6.0; Windows 10 acks with the
			// features security-context multiplexing and keep-connection-on-orphan.
			results = le.AppendUint16(results, 3) // negotiate_ack
			results = le.AppendUint16(results, 3) // bitmask
			results = append(results, make([]byte, 20)...)
		case !isSrvsvc:
			results = le.AppendUint16(results, 2) // provider_rejection
			results = le.AppendUint16(results, 1) // abstract_syntax_not_supported
			results = append(results, make([]byte, 20)...)
		default:
			results = le.AppendUint16(results, 2) // provider_rejection
			results = le.AppendUint16(results, 2) // proposed_transfer_syntaxes_not_supported
			results = append(results, make([]byte, 20)...)
		}
	}
	if assoc == 0 {
		assoc = 0x0000530f
	}
	body := le.AppendUint16(nil, uint16(p.maxFrag)) // max_xmit_frag
	body = le.AppendUint16(body, uint16(p.maxFrag)) // max_recv_frag
	body = le.AppendUint32(body, assoc)             // assoc_group_id
	if ptype == ptypeBind {
		addr := []byte(`\PIPE\` + p.name + "\x00")
		body = le.AppendUint16(body, uint16(len(addr))) // sec_addr.length
		body = append(body, addr...)                    // sec_addr.port_spec
	} else {
		body = le.AppendUint16(body, 0)
	}
	for (rpcHeaderLen+len(body))%4 != 0 {
		body = append(body, 0) // pad to 4
	}
	body = append(body, byte(len(results)/24), 0, 0, 0) // n_results, reserved
	body = append(body, results...)
	rt := byte(ptypeBindAck)
	if ptype == ptypeAlterContext {
		rt = ptypeAlterResp
	}
	p.out = append(p.out, append(rpcHeader(rt, pfcFirstFrag|pfcLastFrag, uint32(rpcHeaderLen+len(body)), callID), body...))
}

// respond queues a response, fragmented to the negotiated size.
func (p *rpcPipe) respond(callID uint32, ctxID uint16, stub []byte) {
	maxStub := p.maxFrag - 24
	first := true
	for {
		chunk := stub
		last := len(chunk) <= maxStub
		if !last {
			chunk = stub[:maxStub]
		}
		var flags byte
		if first {
			flags |= pfcFirstFrag
		}
		if last {
			flags |= pfcLastFrag
		}
		m := rpcHeader(ptypeResponse, flags, uint32(24+len(chunk)), callID)
		m = le.AppendUint32(m, uint32(len(stub))) // alloc_hint
		m = le.AppendUint16(m, ctxID)             // p_cont_id
		m = append(m, 0, 0)                       // cancel_count, reserved
		p.out = append(p.out, append(m, chunk...))
		if last {
			return
		}
		stub = stub[maxStub:]
		first = false
	}
}

func (p *rpcPipe) fault(callID uint32, ctxID uint16, status uint32, didNotExecute bool) {
	flags := byte(pfcFirstFrag | pfcLastFrag)
	if didNotExecute {
		flags |= pfcDidNotExec
	}
	m := rpcHeader(ptypeFault, flags, 32, callID)
	m = le.AppendUint32(m, 0)      // alloc_hint
	m = le.AppendUint16(m, ctxID)  // p_cont_id
	m = append(m, 0, 0)            // cancel_count, reserved
	m = le.AppendUint32(m, status) // status
	m = le.AppendUint32(m, 0)      // reserved
	p.out = append(p.out, m)
}
