package dcerpc

import (
	"encoding/binary"
	"fmt"
)

// Request is a request PDU (ptype 0): one fragment of a call.
type Request struct {
	CallID    uint32
	Flags     uint8 // FlagObjectUUID is set by Encode when Object is non-nil
	AllocHint uint32
	ContextID uint16
	Opnum     uint16
	Object    *UUID // present on the wire only with PFC_OBJECT_UUID
	Stub      []byte
}

// NewRequest returns a single-fragment request whose alloc_hint is the stub length, as
// Windows and impacket send it.
func NewRequest(callID uint32, contextID, opnum uint16, stub []byte) Request {
	return Request{CallID: callID, Flags: FlagsSingle, AllocHint: uint32(len(stub)), ContextID: contextID, Opnum: opnum, Stub: stub}
}

func (p Request) headerLen() int {
	if p.Object != nil {
		return HeaderSize + 8 + 16
	}
	return HeaderSize + 8
}

// Encode encodes the PDU.
func (p Request) Encode() ([]byte, error) {
	flags := p.Flags &^ FlagObjectUUID
	if p.Object != nil {
		flags |= FlagObjectUUID
	}
	hl := p.headerLen()
	b, err := newPDU(PTypeRequest, flags, p.CallID, hl-HeaderSize+len(p.Stub))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	le.PutUint32(b[16:20], p.AllocHint) // alloc_hint
	le.PutUint16(b[20:22], p.ContextID) // p_cont_id
	le.PutUint16(b[22:24], p.Opnum)     // opnum
	if p.Object != nil {
		p.Object.Encode(b[24:40]) // object
	}
	copy(b[hl:], p.Stub) // stub data
	return b, nil
}

// Response is a response PDU (ptype 2): one fragment of a call's result.
type Response struct {
	CallID      uint32
	Flags       uint8
	AllocHint   uint32
	ContextID   uint16
	CancelCount uint8
	Stub        []byte
}

// DidNotExecute reports PFC_DID_NOT_EXECUTE, which makes the call a failure whatever the stub
// says.
func (p Response) DidNotExecute() bool { return p.Flags&FlagDidNotExecute != 0 }

// DecodeResponse decodes one response fragment. Stub aliases b.
func DecodeResponse(b []byte) (Response, error) {
	f, err := decodeFrameOf(b, PTypeResponse)
	if err != nil {
		return Response{}, err
	}
	body := f.Body
	if len(body) < 8 {
		return Response{}, truncated("response body", 8, len(body))
	}
	le := binary.LittleEndian
	return Response{
		CallID:      f.CallID,
		Flags:       f.Flags,
		AllocHint:   le.Uint32(body[0:4]),
		ContextID:   le.Uint16(body[4:6]),
		CancelCount: body[6],
		Stub:        body[8:],
	}, nil
}

// Fault is a fault PDU (ptype 3).
type Fault struct {
	CallID      uint32
	Flags       uint8
	AllocHint   uint32
	ContextID   uint16
	CancelCount uint8
	Status      FaultStatus
	// Stub is whatever follows the 4 reserved bytes (normally nothing).
	Stub []byte
}

// DidNotExecute reports PFC_DID_NOT_EXECUTE.
func (p Fault) DidNotExecute() bool { return p.Flags&FlagDidNotExecute != 0 }

// Err returns the fault as a *FaultError.
func (p Fault) Err() error {
	return &FaultError{CallID: p.CallID, Status: p.Status, DidNotExecute: p.DidNotExecute()}
}

// DecodeFault decodes a fault PDU. It accepts the 28-byte form without the trailing reserved
// field (impacket's server sends it), since the status is all that matters.
func DecodeFault(b []byte) (Fault, error) {
	f, err := decodeFrameOf(b, PTypeFault)
	if err != nil {
		return Fault{}, err
	}
	body := f.Body
	if len(body) < 12 {
		return Fault{}, truncated("fault body", 12, len(body))
	}
	le := binary.LittleEndian
	p := Fault{
		CallID:      f.CallID,
		Flags:       f.Flags,
		AllocHint:   le.Uint32(body[0:4]),
		ContextID:   le.Uint16(body[4:6]),
		CancelCount: body[6],
		Status:      FaultStatus(le.Uint32(body[8:12])),
	}
	if len(body) > 16 {
		p.Stub = body[16:]
	}
	return p, nil
}

// String names the PDU for logs.
func (p Fault) String() string {
	return fmt.Sprintf("fault call_id=%d status=%s", p.CallID, p.Status)
}
