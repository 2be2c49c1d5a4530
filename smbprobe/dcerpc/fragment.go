package dcerpc

import (
	"errors"
	"fmt"
)

const (
	// DefaultMaxStub bounds a reassembled stub: srvsvc answers are a few KiB, and a hostile
	// server must not make us buffer without limit.
	DefaultMaxStub = 1 << 20
	// maxFragments bounds the fragment count, since empty fragments add no bytes.
	maxFragments = 4096
)

// fragmentChunk returns the stub bytes per fragment for PDUs of at most maxFrag bytes with
// hdr bytes of headers. Every fragment but the last carries a multiple of 8 stub bytes so that
// NDR alignment stays intact across the split.
func fragmentChunk(maxFrag, hdr int) (int, error) {
	if maxFrag > maxFragLength {
		maxFrag = maxFragLength
	}
	chunk := (maxFrag - hdr) &^ 7
	if chunk < 8 {
		return 0, fmt.Errorf("%w: max fragment %d leaves no room for stub data", ErrMalformed, maxFrag)
	}
	return chunk, nil
}

// splitStub cuts stub into chunk-sized pieces; an empty stub gives one empty piece.
func splitStub(stub []byte, chunk int) [][]byte {
	var parts [][]byte
	for {
		if len(stub) <= chunk {
			return append(parts, stub)
		}
		parts = append(parts, stub[:chunk])
		stub = stub[chunk:]
	}
}

// fragFlags sets FIRST/LAST for fragment i of n, keeping the caller's other flag bits.
func fragFlags(base uint8, i, n int) uint8 {
	f := base &^ FlagsSingle
	if i == 0 {
		f |= FlagFirstFrag
	}
	if i == n-1 {
		f |= FlagLastFrag
	}
	return f
}

// Fragments encodes the request as PDUs of at most maxFrag bytes (the server's max_recv_frag).
func (p Request) Fragments(maxFrag int) ([][]byte, error) {
	chunk, err := fragmentChunk(maxFrag, p.headerLen())
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

// ErrDidNotExecute reports a response flagged PFC_DID_NOT_EXECUTE: the server says the call
// was not run, so its result must not be trusted.
var ErrDidNotExecute = errors.New("dcerpc: response flagged did-not-execute")

// Reassembler collects the response fragments of one call into one stub. The first fragment
// fixes the context id; later fragments must agree. It is not safe for concurrent use.
type Reassembler struct {
	callID  uint32
	maxStub int

	n     int // fragments accepted
	done  bool
	ptype PacketType
	resp  Response
	stub  []byte
}

// NewReassembler expects fragments of call callID and refuses stubs above maxStub bytes
// (DefaultMaxStub when maxStub <= 0).
func NewReassembler(callID uint32, maxStub int) *Reassembler {
	if maxStub <= 0 {
		maxStub = DefaultMaxStub
	}
	return &Reassembler{callID: callID, maxStub: maxStub}
}

// Add consumes one PDU. It returns done once PFC_LAST_FRAG has been seen. A fault PDU ends the
// call at once with a *FaultError (errors.Is(err, ErrFault)); a response carrying
// PFC_DID_NOT_EXECUTE ends it with done and ErrDidNotExecute, the stub still available.
func (r *Reassembler) Add(pdu []byte) (done bool, err error) {
	if r.done {
		return true, fmt.Errorf("%w: PDU after the last fragment", ErrFragmentOrder)
	}
	h, err := DecodeHeader(pdu)
	if err != nil {
		return false, err
	}
	if h.CallID != r.callID {
		return false, fmt.Errorf("%w: got %d, want %d", ErrCallIDMismatch, h.CallID, r.callID)
	}
	switch h.Type {
	case PTypeFault:
		f, err := DecodeFault(pdu)
		if err != nil {
			return false, err
		}
		r.done = true
		return true, f.Err()
	case PTypeResponse:
	default:
		return false, fmt.Errorf("%w: %s in a call", ErrUnexpectedType, h.Type)
	}
	if r.n == 0 {
		if h.Flags&FlagFirstFrag == 0 {
			return false, fmt.Errorf("%w: first PDU lacks PFC_FIRST_FRAG", ErrFragmentOrder)
		}
		r.ptype = h.Type
	} else {
		if h.Type != r.ptype {
			return false, fmt.Errorf("%w: %s fragment in a %s", ErrUnexpectedType, h.Type, r.ptype)
		}
		if h.Flags&FlagFirstFrag != 0 {
			return false, fmt.Errorf("%w: PFC_FIRST_FRAG on fragment %d", ErrFragmentOrder, r.n+1)
		}
	}
	if r.n >= maxFragments {
		return false, fmt.Errorf("%w: more than %d fragments", ErrTooLarge, maxFragments)
	}
	q, err := DecodeResponse(pdu)
	if err != nil {
		return false, err
	}
	if r.n == 0 {
		r.resp = q
	} else if q.ContextID != r.resp.ContextID {
		return false, fmt.Errorf("%w: fragment changes context %d to %d", ErrMalformed, r.resp.ContextID, q.ContextID)
	}
	r.resp.Flags |= q.Flags
	stub := q.Stub
	if len(stub) > r.maxStub-len(r.stub) {
		return false, fmt.Errorf("%w: stub exceeds %d bytes", ErrTooLarge, r.maxStub)
	}
	r.stub = append(r.stub, stub...)
	r.n++
	if h.Flags&FlagLastFrag == 0 {
		return false, nil
	}
	r.done = true
	if h.Type == PTypeResponse && r.resp.DidNotExecute() {
		return true, ErrDidNotExecute
	}
	return true, nil
}

// Response returns the reassembled response: flags are the union of the fragments' (so FIRST
// and LAST are both set once done), alloc_hint is the stub length.
func (r *Reassembler) Response() Response {
	p := r.resp
	p.AllocHint = uint32(len(r.stub))
	p.Stub = r.stub
	return p
}

// Reassemble reads the response to call callID from data, the concatenated PDUs as read from
// the pipe, bounding the stub at DefaultMaxStub. Bytes after the last fragment are an error.
func Reassemble(callID uint32, data []byte) (Response, error) {
	r := NewReassembler(callID, DefaultMaxStub)
	for {
		pdu, rest, err := SplitPDU(data)
		if err != nil {
			return Response{}, err
		}
		if h, _ := DecodeHeader(pdu); h.Type == PTypeRequest {
			return Response{}, fmt.Errorf("%w: request PDU where a response was expected", ErrUnexpectedType)
		}
		done, err := r.Add(pdu)
		if err != nil {
			return r.Response(), err
		}
		data = rest
		if done {
			break
		}
	}
	if len(data) != 0 {
		return Response{}, fmt.Errorf("%w: %d bytes after the last fragment", ErrMalformed, len(data))
	}
	return r.Response(), nil
}
