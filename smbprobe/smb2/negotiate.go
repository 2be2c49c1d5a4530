package smb2

import "fmt"

// Negotiate context types (MS-SMB2 2.2.3.1).
const (
	ContextPreauthIntegrity uint16 = 0x0001
	ContextEncryption       uint16 = 0x0002
	ContextCompression      uint16 = 0x0003
	ContextNetname          uint16 = 0x0005
	ContextTransport        uint16 = 0x0006
	ContextRDMATransform    uint16 = 0x0007
	ContextSigning          uint16 = 0x0008
)

// Hash and cipher ids inside negotiate contexts.
const (
	HashSHA512      uint16 = 0x0001
	CipherAES128CCM uint16 = 0x0001
	CipherAES128GCM uint16 = 0x0002
	CipherAES256CCM uint16 = 0x0003
	CipherAES256GCM uint16 = 0x0004
)

// NegotiateContext is one SMB2_NEGOTIATE_CONTEXT; Data is kept raw so unknown types
// survive a round trip. PreauthContext and EncryptionContext build and read the two
// types that matter here.
type NegotiateContext struct {
	Type uint16
	Data []byte
}

// maxContexts bounds NegotiateContextCount; real peers send at most a handful.
const maxContexts = 32

// encodeContexts appends the list; each context starts 8-aligned relative to the first
// (which the caller places at an 8-aligned header offset).
func encodeContexts(b []byte, ctxs []NegotiateContext) []byte {
	for i, c := range ctxs {
		if i > 0 {
			for len(b)%8 != 0 {
				b = append(b, 0)
			}
		}
		var h [8]byte
		le.PutUint16(h[0:2], c.Type)              // ContextType
		le.PutUint16(h[2:4], uint16(len(c.Data))) // DataLength
		b = append(b, h[:]...)                    // Reserved: 0
		b = append(b, c.Data...)
	}
	return b
}

// decodeContexts reads count contexts from list (starting at an 8-aligned header offset).
func decodeContexts(list []byte, count int) ([]NegotiateContext, error) {
	if count > maxContexts {
		return nil, fmt.Errorf("%w: NegotiateContextCount %d", ErrMalformed, count)
	}
	ctxs := make([]NegotiateContext, 0, count)
	off := 0
	for i := 0; i < count; i++ {
		if i > 0 {
			off = align8(off)
		}
		if off+8 > len(list) {
			return ctxs, fmt.Errorf("%w: negotiate context %d header", ErrTruncated, i)
		}
		typ := le.Uint16(list[off:])
		n := int(le.Uint16(list[off+2:]))
		off += 8
		if off+n > len(list) {
			return ctxs, fmt.Errorf("%w: negotiate context %d data (%d bytes)", ErrTruncated, i, n)
		}
		ctxs = append(ctxs, NegotiateContext{Type: typ, Data: list[off : off+n]})
		off += n
	}
	return ctxs, nil
}

// PreauthContext is SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
type PreauthContext struct {
	HashAlgorithms []uint16
	Salt           []byte
}

// Context encodes p as a negotiate context.
func (p PreauthContext) Context() NegotiateContext {
	d := make([]byte, 4+2*len(p.HashAlgorithms)+len(p.Salt))
	le.PutUint16(d[0:2], uint16(len(p.HashAlgorithms))) // HashAlgorithmCount
	le.PutUint16(d[2:4], uint16(len(p.Salt)))           // SaltLength
	for i, a := range p.HashAlgorithms {
		le.PutUint16(d[4+2*i:], a) // HashAlgorithms
	}
	copy(d[4+2*len(p.HashAlgorithms):], p.Salt) // Salt
	return NegotiateContext{Type: ContextPreauthIntegrity, Data: d}
}

// DecodePreauthContext reads the Data of a preauth integrity context.
func DecodePreauthContext(d []byte) (PreauthContext, error) {
	var p PreauthContext
	if len(d) < 4 {
		return p, fmt.Errorf("%w: preauth context", ErrTruncated)
	}
	nh, ns := int(le.Uint16(d[0:2])), int(le.Uint16(d[2:4]))
	if nh == 0 {
		return p, fmt.Errorf("%w: preauth context without hash algorithms", ErrMalformed)
	}
	if 4+2*nh+ns > len(d) {
		return p, fmt.Errorf("%w: preauth context declares %d hashes and %d salt bytes in %d", ErrTruncated, nh, ns, len(d))
	}
	p.HashAlgorithms = make([]uint16, nh)
	for i := range p.HashAlgorithms {
		p.HashAlgorithms[i] = le.Uint16(d[4+2*i:])
	}
	p.Salt = d[4+2*nh : 4+2*nh+ns]
	return p, nil
}

// EncryptionContext is SMB2_ENCRYPTION_CAPABILITIES.
type EncryptionContext struct {
	Ciphers []uint16
}

// Context encodes e as a negotiate context.
func (e EncryptionContext) Context() NegotiateContext {
	d := make([]byte, 2+2*len(e.Ciphers))
	le.PutUint16(d[0:2], uint16(len(e.Ciphers))) // CipherCount
	for i, c := range e.Ciphers {
		le.PutUint16(d[2+2*i:], c) // Ciphers
	}
	return NegotiateContext{Type: ContextEncryption, Data: d}
}

// DecodeEncryptionContext reads the Data of an encryption capabilities context.
func DecodeEncryptionContext(d []byte) (EncryptionContext, error) {
	var e EncryptionContext
	if len(d) < 2 {
		return e, fmt.Errorf("%w: encryption context", ErrTruncated)
	}
	n := int(le.Uint16(d[0:2]))
	if 2+2*n > len(d) {
		return e, fmt.Errorf("%w: encryption context declares %d ciphers in %d bytes", ErrTruncated, n, len(d))
	}
	e.Ciphers = make([]uint16, n)
	for i := range e.Ciphers {
		e.Ciphers[i] = le.Uint16(d[2+2*i:])
	}
	return e, nil
}

// NegotiateRequest is SMB2 NEGOTIATE Request (StructureSize 36).
type NegotiateRequest struct {
	SecurityMode uint16
	Reserved     uint16
	Capabilities uint32
	ClientGUID   GUID
	Dialects     []Dialect
	// ClientStartTime is the 8 bytes that 3.1.1 requests use for the context offset and
	// count; it is only encoded (and only decoded) when Dialects lacks 3.1.1.
	ClientStartTime uint64
	// Contexts are sent only when Dialects includes 3.1.1.
	Contexts []NegotiateContext
}

const negotiateReqFixed = 36

func offers311(ds []Dialect) bool {
	for _, d := range ds {
		if d == Dialect311 {
			return true
		}
	}
	return false
}

// EncodeBody implements Body.
func (r *NegotiateRequest) EncodeBody() []byte {
	b := make([]byte, negotiateReqFixed, 128)
	le.PutUint16(b[0:2], 36)                      // StructureSize
	le.PutUint16(b[2:4], uint16(len(r.Dialects))) // DialectCount
	le.PutUint16(b[4:6], r.SecurityMode)          // SecurityMode
	le.PutUint16(b[6:8], r.Reserved)              // Reserved
	le.PutUint32(b[8:12], r.Capabilities)         // Capabilities
	copy(b[12:28], r.ClientGUID[:])               // ClientGuid
	for _, d := range r.Dialects {
		b = le.AppendUint16(b, uint16(d)) // Dialects
	}
	if !offers311(r.Dialects) {
		le.PutUint64(b[28:36], r.ClientStartTime) // ClientStartTime
		return b
	}
	for (HeaderSize+len(b))%8 != 0 {
		b = append(b, 0) // Padding
	}
	if len(r.Contexts) > 0 {
		le.PutUint32(b[28:32], uint32(HeaderSize+len(b))) // NegotiateContextOffset
		le.PutUint16(b[32:34], uint16(len(r.Contexts)))   // NegotiateContextCount
		b = encodeContexts(b, r.Contexts)                 // NegotiateContextList
	}
	return b
}

// NegotiateResponse is SMB2 NEGOTIATE Response (StructureSize 65).
type NegotiateResponse struct {
	SecurityMode    uint16
	DialectRevision Dialect
	ServerGUID      GUID
	Capabilities    uint32
	MaxTransactSize uint32
	MaxReadSize     uint32
	MaxWriteSize    uint32
	SystemTime      Filetime
	ServerStartTime Filetime
	SecurityBuffer  []byte // GSS/SPNEGO negTokenInit, may be empty
	// Contexts are encoded (and decoded) only when DialectRevision is 3.1.1.
	Contexts []NegotiateContext
}

const negotiateRespFixed = 64

// DecodeNegotiateResponse reads a NEGOTIATE response body, including the one an SMB2
// server sends to an SMB1 NEGOTIATE that offered "SMB 2.002"/"SMB 2.???".
func DecodeNegotiateResponse(body []byte) (*NegotiateResponse, error) {
	if err := checkFixed(body, negotiateRespFixed, 65, "NEGOTIATE response"); err != nil {
		return nil, err
	}
	r := &NegotiateResponse{
		SecurityMode:    le.Uint16(body[2:4]),
		DialectRevision: Dialect(le.Uint16(body[4:6])),
		Capabilities:    le.Uint32(body[24:28]),
		MaxTransactSize: le.Uint32(body[28:32]),
		MaxReadSize:     le.Uint32(body[32:36]),
		MaxWriteSize:    le.Uint32(body[36:40]),
		SystemTime:      Filetime(le.Uint64(body[40:48])),
		ServerStartTime: Filetime(le.Uint64(body[48:56])),
	}
	copy(r.ServerGUID[:], body[8:24])
	sb, err := bodyField(body, uint32(le.Uint16(body[56:58])), uint32(le.Uint16(body[58:60])), "NEGOTIATE SecurityBuffer")
	if err != nil {
		return nil, err
	}
	r.SecurityBuffer = sb
	if r.DialectRevision != Dialect311 {
		return r, nil
	}
	count, off := int(le.Uint16(body[6:8])), le.Uint32(body[60:64])
	if count == 0 {
		return r, nil
	}
	if off < HeaderSize || uint64(off)-HeaderSize > uint64(len(body)) {
		return nil, fmt.Errorf("%w: NegotiateContextOffset %d", ErrMalformed, off)
	}
	ctxs, err := decodeContexts(body[off-HeaderSize:], count)
	if err != nil {
		return nil, err
	}
	r.Contexts = ctxs
	return r, nil
}

// ProbeNegotiate is the NEGOTIATE the scanner sends: every dialect from 2.0.2 to 3.1.1,
// signing enabled but not required, and the two 3.1.1 contexts Windows insists on
// (SHA-512 preauth integrity, AES-128-GCM/CCM) so a 3.1.1 server answers with its own.
func ProbeNegotiate(clientGUID GUID, salt [32]byte) *NegotiateRequest {
	return &NegotiateRequest{
		SecurityMode: SigningEnabled,
		Capabilities: CapDFS | CapLeasing | CapLargeMTU | CapEncryption,
		ClientGUID:   clientGUID,
		Dialects:     []Dialect{Dialect202, Dialect210, Dialect300, Dialect302, Dialect311},
		Contexts: []NegotiateContext{
			PreauthContext{HashAlgorithms: []uint16{HashSHA512}, Salt: salt[:]}.Context(),
			EncryptionContext{Ciphers: []uint16{CipherAES128GCM, CipherAES128CCM}}.Context(),
		},
	}
}
