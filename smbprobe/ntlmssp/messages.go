package ntlmssp

import (
	"encoding/binary"
	"fmt"
)

// Fixed header sizes, from the start of the message to the first payload byte.
const (
	negotiateMinSize    = 16 // Signature, MessageType, NegotiateFlags
	negotiateFieldsSize = 32 // + DomainNameFields, WorkstationFields
	challengeMinSize    = 32 // Signature .. ServerChallenge
	challengeInfoSize   = 48 // + Reserved, TargetInfoFields
	challengeFullSize   = 56 // + Version
	authMinSize         = 64 // Signature .. NegotiateFlags
	authVersionSize     = 72 // + Version
	authMICSize         = 88 // + MIC
	micOffset           = 72
	micSize             = 16
)

// field is a payload field descriptor: Len, MaxLen, BufferOffset.
type field struct {
	len    uint16
	offset uint32
}

func readField(b []byte, at int) field {
	return field{
		len:    binary.LittleEndian.Uint16(b[at:]),   // Len
		offset: binary.LittleEndian.Uint32(b[at+4:]), // BufferOffset; MaxLen is advisory and ignored
	}
}

// slice returns the bytes the descriptor points at after checking them
// against the message. An empty field's offset is not checked: Windows and
// Samba put arbitrary values (0, or the payload cursor) there.
func (f field) slice(b []byte, headerEnd int, name string) ([]byte, error) {
	if f.len == 0 {
		return nil, nil
	}
	if uint64(f.offset) < uint64(headerEnd) {
		return nil, fmt.Errorf("%w: %s offset %d inside the %d-byte header", ErrMalformed, name, f.offset, headerEnd)
	}
	if uint64(f.offset)+uint64(f.len) > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %s at %d+%d beyond %d-byte message", ErrTruncated, name, f.offset, f.len, len(b))
	}
	return b[f.offset : f.offset+uint32(f.len) : f.offset+uint32(f.len)], nil
}

// payloadStart is where the variable part begins: the lowest offset of a
// non-empty field, or the message end. Optional header parts (Version, MIC)
// exist only if they end at or before it.
func payloadStart(n int, fs ...field) int {
	start := n
	for _, f := range fs {
		if f.len != 0 && uint64(f.offset) < uint64(start) {
			start = int(f.offset)
		}
	}
	return start
}

// checkHeader validates the signature and message type.
func checkHeader(b []byte, want MessageType, minSize int) error {
	if len(b) < 12 {
		return fmt.Errorf("%w: %d bytes, need %d", ErrTruncated, len(b), minSize)
	}
	if string(b[:8]) != Signature {
		return fmt.Errorf("%w: bad signature % x", ErrMalformed, b[:8])
	}
	if t := MessageType(binary.LittleEndian.Uint32(b[8:])); t != want {
		return fmt.Errorf("%w: message type %d, want %d", ErrMalformed, t, want)
	}
	if len(b) < minSize {
		return fmt.Errorf("%w: %d bytes, need %d", ErrTruncated, len(b), minSize)
	}
	return nil
}

// PeekType returns the MessageType of an NTLMSSP message.
func PeekType(b []byte) (MessageType, error) {
	if len(b) < 12 {
		return 0, fmt.Errorf("%w: %d bytes", ErrTruncated, len(b))
	}
	if string(b[:8]) != Signature {
		return 0, fmt.Errorf("%w: bad signature", ErrMalformed)
	}
	return MessageType(binary.LittleEndian.Uint32(b[8:])), nil
}

// writer lays out a message: fixed header first, payload appended in call order.
type writer struct {
	b []byte
}

func newWriter(t MessageType, header int, payload int) *writer {
	w := &writer{b: make([]byte, header, header+payload)}
	copy(w.b[0:8], Signature)                           // Signature
	binary.LittleEndian.PutUint32(w.b[8:12], uint32(t)) // MessageType
	return w
}

// field appends v to the payload and writes its descriptor at at. zeroOffset
// keeps BufferOffset 0 for empty fields, as Windows does in NEGOTIATE.
func (w *writer) field(at int, v []byte, zeroOffset bool) {
	v = v[:min(len(v), 0xFFFF)]
	off := uint32(len(w.b))
	if len(v) == 0 && zeroOffset {
		off = 0
	}
	binary.LittleEndian.PutUint16(w.b[at:], uint16(len(v)))   // Len
	binary.LittleEndian.PutUint16(w.b[at+2:], uint16(len(v))) // MaxLen
	binary.LittleEndian.PutUint32(w.b[at+4:], off)            // BufferOffset
	w.b = append(w.b, v...)
}

// Negotiate is the NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
type Negotiate struct {
	Flags       Flags
	Domain      string  // DomainName, OEM; sent only with FlagOEMDomainSupplied
	Workstation string  // Workstation, OEM; sent only with FlagOEMWorkstationSupplied
	Version     Version // present on the wire when FlagVersion is set
}

// NewNegotiate returns a NEGOTIATE with the given flags and no names.
func NewNegotiate(flags Flags) *Negotiate { return &Negotiate{Flags: flags} }

// Encode encodes the message.
func (m *Negotiate) Encode() []byte {
	header := negotiateFieldsSize
	if m.Flags&FlagVersion != 0 {
		header += versionSize
	}
	w := newWriter(TypeNegotiate, header, len(m.Domain)+len(m.Workstation))
	binary.LittleEndian.PutUint32(w.b[12:16], uint32(m.Flags)) // NegotiateFlags
	w.field(16, []byte(m.Domain), true)                        // DomainNameFields
	w.field(24, []byte(m.Workstation), true)                   // WorkstationFields
	if m.Flags&FlagVersion != 0 {
		m.Version.put(w.b[32:40]) // Version
	}
	return w.b
}

// DecodeNegotiate decodes a NEGOTIATE_MESSAGE. Old clients send the 16-byte
// form without name fields; it is accepted.
func DecodeNegotiate(b []byte) (*Negotiate, error) {
	if err := checkHeader(b, TypeNegotiate, negotiateMinSize); err != nil {
		return nil, err
	}
	m := &Negotiate{Flags: Flags(binary.LittleEndian.Uint32(b[12:]))}
	if len(b) < negotiateFieldsSize {
		return m, nil
	}
	df, wf := readField(b, 16), readField(b, 24)
	d, err := df.slice(b, negotiateFieldsSize, "DomainName")
	if err != nil {
		return nil, err
	}
	ws, err := wf.slice(b, negotiateFieldsSize, "Workstation")
	if err != nil {
		return nil, err
	}
	m.Domain, m.Workstation = string(d), string(ws)
	if m.Flags&FlagVersion != 0 && payloadStart(len(b), df, wf) >= negotiateFieldsSize+versionSize {
		m.Version = parseVersion(b[32:40])
	}
	return m, nil
}

// Challenge is the CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
type Challenge struct {
	Flags           Flags
	TargetName      string // TargetName; UTF-16LE under FlagUnicode, else OEM
	ServerChallenge [8]byte
	TargetInfo      []byte  // TargetInfo, the raw AV_PAIR list; see AvPairs
	Version         Version // zero when the server sent none
}

// AvPairs decodes TargetInfo. It is separate from DecodeChallenge so that a
// broken target info list does not hide the VERSION a scanner fingerprints.
func (m *Challenge) AvPairs() (AvPairs, error) {
	if len(m.TargetInfo) == 0 {
		return nil, nil
	}
	return DecodeAvPairs(m.TargetInfo)
}

// Encode encodes the message with TargetName then TargetInfo in the
// payload, the layout Windows and Samba use.
func (m *Challenge) Encode() []byte {
	header := challengeInfoSize
	if m.Flags&FlagVersion != 0 {
		header = challengeFullSize
	}
	name := encodeString(m.TargetName, m.Flags)
	w := newWriter(TypeChallenge, header, len(name)+len(m.TargetInfo))
	w.field(12, name, false)                                   // TargetNameFields
	binary.LittleEndian.PutUint32(w.b[20:24], uint32(m.Flags)) // NegotiateFlags
	copy(w.b[24:32], m.ServerChallenge[:])                     // ServerChallenge
	// Reserved (8 bytes) stays zero.
	w.field(40, m.TargetInfo, false) // TargetInfoFields
	if m.Flags&FlagVersion != 0 {
		m.Version.put(w.b[48:56]) // Version
	}
	return w.b
}

// DecodeChallenge decodes a CHALLENGE_MESSAGE, including the short 32- and
// 48-byte headers of servers older than Windows Server 2003.
func DecodeChallenge(b []byte) (*Challenge, error) {
	if err := checkHeader(b, TypeChallenge, challengeMinSize); err != nil {
		return nil, err
	}
	m := &Challenge{Flags: Flags(binary.LittleEndian.Uint32(b[20:]))}
	copy(m.ServerChallenge[:], b[24:32])
	nf := readField(b, 12)
	start := payloadStart(len(b), nf)
	var tf field
	headerEnd := challengeMinSize
	if start >= challengeInfoSize {
		tf = readField(b, 40)
		headerEnd = challengeInfoSize
		start = payloadStart(start, tf)
	}
	name, err := nf.slice(b, headerEnd, "TargetName")
	if err != nil {
		return nil, err
	}
	m.TargetName = decodeString(name, m.Flags)
	if m.TargetInfo, err = tf.slice(b, headerEnd, "TargetInfo"); err != nil {
		return nil, err
	}
	if m.Flags&FlagVersion != 0 && start >= challengeFullSize {
		m.Version = parseVersion(b[48:56])
	}
	return m, nil
}

// Authenticate is the AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
type Authenticate struct {
	Flags                     Flags
	LmChallengeResponse       []byte
	NtChallengeResponse       []byte
	DomainName                string // UTF-16LE under FlagUnicode, else OEM
	UserName                  string
	Workstation               string
	EncryptedRandomSessionKey []byte
	Version                   Version
	// MIC is the 16-byte message integrity code, nil when the message has no
	// MIC field (pre-Vista clients, impacket).
	MIC []byte
}

// IsAnonymous applies MS-NLMP 3.2.5.1.2: no user name, no NT response, and an
// LM response that is empty or a single zero byte. Both LM forms are seen in
// practice (Windows and impacket send Z(1)).
func (m *Authenticate) IsAnonymous() bool {
	if m.UserName != "" || len(m.NtChallengeResponse) != 0 {
		return false
	}
	lm := m.LmChallengeResponse
	return len(lm) == 0 || (len(lm) == 1 && lm[0] == 0)
}

// Encode encodes the message. The payload follows Windows' order: domain,
// user, workstation, LM, NT, session key. The VERSION slot is written when
// FlagVersion is set or a MIC is carried (the MIC sits after it).
func (m *Authenticate) Encode() []byte {
	header := authMinSize
	if m.MIC != nil {
		header = authMICSize
	} else if m.Flags&FlagVersion != 0 {
		header = authVersionSize
	}
	dom := encodeString(m.DomainName, m.Flags)
	user := encodeString(m.UserName, m.Flags)
	ws := encodeString(m.Workstation, m.Flags)
	w := newWriter(TypeAuthenticate, header, len(dom)+len(user)+len(ws)+
		len(m.LmChallengeResponse)+len(m.NtChallengeResponse)+len(m.EncryptedRandomSessionKey))
	w.field(28, dom, false)                                    // DomainNameFields
	w.field(36, user, false)                                   // UserNameFields
	w.field(44, ws, false)                                     // WorkstationFields
	w.field(12, m.LmChallengeResponse, false)                  // LmChallengeResponseFields
	w.field(20, m.NtChallengeResponse, false)                  // NtChallengeResponseFields
	w.field(52, m.EncryptedRandomSessionKey, false)            // EncryptedRandomSessionKeyFields
	binary.LittleEndian.PutUint32(w.b[60:64], uint32(m.Flags)) // NegotiateFlags
	if header >= authVersionSize {
		m.Version.put(w.b[64:72]) // Version
	}
	if header >= authMICSize {
		copy(w.b[micOffset:micOffset+micSize], m.MIC) // MIC
	}
	return w.b
}

// DecodeAuthenticate decodes an AUTHENTICATE_MESSAGE.
func DecodeAuthenticate(b []byte) (*Authenticate, error) {
	if err := checkHeader(b, TypeAuthenticate, authMinSize); err != nil {
		return nil, err
	}
	m := &Authenticate{Flags: Flags(binary.LittleEndian.Uint32(b[60:]))}
	lf, nf := readField(b, 12), readField(b, 20)
	df, uf, wf := readField(b, 28), readField(b, 36), readField(b, 44)
	kf := readField(b, 52)
	var err error
	if m.LmChallengeResponse, err = lf.slice(b, authMinSize, "LmChallengeResponse"); err != nil {
		return nil, err
	}
	if m.NtChallengeResponse, err = nf.slice(b, authMinSize, "NtChallengeResponse"); err != nil {
		return nil, err
	}
	if m.EncryptedRandomSessionKey, err = kf.slice(b, authMinSize, "EncryptedRandomSessionKey"); err != nil {
		return nil, err
	}
	strs := []struct {
		f    field
		name string
		dst  *string
	}{{df, "DomainName", &m.DomainName}, {uf, "UserName", &m.UserName}, {wf, "Workstation", &m.Workstation}}
	for _, s := range strs {
		v, err := s.f.slice(b, authMinSize, s.name)
		if err != nil {
			return nil, err
		}
		*s.dst = decodeString(v, m.Flags)
	}
	start := payloadStart(len(b), lf, nf, df, uf, wf, kf)
	// The VERSION slot is only meaningful when announced or when a MIC
	// follows it; otherwise the bytes there are payload or padding.
	if start >= authVersionSize && (m.Flags&FlagVersion != 0 || start >= authMICSize) {
		m.Version = parseVersion(b[64:72])
	}
	if start >= authMICSize {
		m.MIC = append([]byte(nil), b[micOffset:micOffset+micSize]...)
	}
	return m, nil
}
