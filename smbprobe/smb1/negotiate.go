package smb1

import (
	"fmt"
	"time"
)

// Dialect strings scan445 offers (docs/checks.md §1). Offering the SMB2 ones as well tells us
// in one round trip whether the host speaks SMB2.
const (
	DialectNTLM012  = "NT LM 0.12"
	DialectSMB2002  = "SMB 2.002"
	DialectSMB2Wild = "SMB 2.???"
)

// NoDialect is the DialectIndex of a server that accepts none of the offered dialects.
const NoDialect uint16 = 0xFFFF

// SecurityMode bits of the NEGOTIATE response (MS-CIFS 2.2.4.52.2).
const (
	SecurityModeUserSecurity       uint8 = 0x01
	SecurityModeEncryptPasswords   uint8 = 0x02
	SecurityModeSignaturesEnabled  uint8 = 0x04
	SecurityModeSignaturesRequired uint8 = 0x08
)

// Capabilities bits (MS-CIFS 2.2.4.52.2, MS-SMB 2.2.4.5.2).
const (
	CapRawMode           uint32 = 0x00000001
	CapMpxMode           uint32 = 0x00000002
	CapUnicode           uint32 = 0x00000004
	CapLargeFiles        uint32 = 0x00000008
	CapNTSMBs            uint32 = 0x00000010
	CapRPCRemoteAPIs     uint32 = 0x00000020
	CapStatus32          uint32 = 0x00000040
	CapLevelIIOplocks    uint32 = 0x00000080
	CapLockAndRead       uint32 = 0x00000100
	CapNTFind            uint32 = 0x00000200
	CapDFS               uint32 = 0x00001000
	CapInfoLevelPassthru uint32 = 0x00002000
	CapLargeReadX        uint32 = 0x00004000
	CapLargeWriteX       uint32 = 0x00008000
	CapLWIO              uint32 = 0x00010000
	CapUnix              uint32 = 0x00800000
	CapCompressedData    uint32 = 0x02000000
	CapDynamicReauth     uint32 = 0x20000000
	CapPersistentHandles uint32 = 0x40000000
	CapExtendedSecurity  uint32 = 0x80000000
)

// dialectBufferFormat precedes every dialect string (MS-CIFS 2.2.4.52.1).
const dialectBufferFormat = 0x02

// NegotiateRequest is SMB_COM_NEGOTIATE from the client (MS-CIFS 2.2.4.52.1).
type NegotiateRequest struct {
	Dialects []string
}

// Encode returns the request with h (Command is set here).
func (r NegotiateRequest) Encode(h Header) []byte {
	var data []byte
	for _, d := range r.Dialects {
		data = append(data, dialectBufferFormat) // BufferFormat
		data = append(data, d...)                // DialectString (OEM)
		data = append(data, 0)                   // NUL
	}
	return encodePlain(h, CmdNegotiate, nil, data)
}

// NegotiateResponse is the NT LM 0.12 SMB_COM_NEGOTIATE response (MS-CIFS 2.2.4.52.2,
// MS-SMB 2.2.4.5.2), or the short "no dialect" form when DialectIndex is NoDialect.
//
// With CapExtendedSecurity in Capabilities the data block carries ServerGUID and
// SecurityBlob; without it, Challenge, DomainName and ServerName (Unicode when the header
// says so, never padded).
type NegotiateResponse struct {
	DialectIndex   uint16
	SecurityMode   uint8
	MaxMpxCount    uint16
	MaxNumberVcs   uint16
	MaxBufferSize  uint32
	MaxRawSize     uint32
	SessionKey     uint32
	Capabilities   uint32
	SystemTime     uint64 // FILETIME, see Time
	ServerTimeZone int16  // minutes west of UTC

	ServerGUID   [16]byte
	SecurityBlob []byte

	Challenge  []byte
	DomainName string
	ServerName string
}

// ExtendedSecurity reports CAP_EXTENDED_SECURITY.
func (r NegotiateResponse) ExtendedSecurity() bool {
	return r.Capabilities&CapExtendedSecurity != 0
}

// negotiateUnicode tells how the names of a non-extended response are encoded. Samba 4.7
// clears SMB_FLAGS2_UNICODE in this reply yet sends UTF-16 names, following CAP_UNICODE.
func negotiateUnicode(h Header, caps uint32) bool {
	return h.Unicode() || caps&CapUnicode != 0
}

// Time is SystemTime as a time.Time.
func (r NegotiateResponse) Time() time.Time { return FiletimeToTime(r.SystemTime) }

// DecodeNegotiateResponse decodes the NT LM 0.12 or the no-dialect form. A ServerName that a
// server leaves out decodes as "".
func DecodeNegotiateResponse(m Message) (NegotiateResponse, error) {
	if err := m.expect(CmdNegotiate, "negotiate response", 17, 1); err != nil {
		return NegotiateResponse{}, err
	}
	w := m.Words
	var r NegotiateResponse
	r.DialectIndex = le.Uint16(w[0:2])
	if m.WordCount == 1 {
		if r.DialectIndex != NoDialect {
			return NegotiateResponse{}, fmt.Errorf("%w: negotiate response: core-dialect reply (index %d)", ErrMalformed, r.DialectIndex)
		}
		return r, nil
	}
	r.SecurityMode = w[2]
	r.MaxMpxCount = le.Uint16(w[3:5])
	r.MaxNumberVcs = le.Uint16(w[5:7])
	r.MaxBufferSize = le.Uint32(w[7:11])
	r.MaxRawSize = le.Uint32(w[11:15])
	r.SessionKey = le.Uint32(w[15:19])
	r.Capabilities = le.Uint32(w[19:23])
	r.SystemTime = le.Uint64(w[23:31])
	r.ServerTimeZone = int16(le.Uint16(w[31:33]))
	challengeLen := int(w[33])
	d := newBytesReader(m)
	if r.ExtendedSecurity() {
		g, err := d.take(16, "negotiate response ServerGUID")
		if err != nil {
			return NegotiateResponse{}, err
		}
		copy(r.ServerGUID[:], g)
		r.SecurityBlob = orNil(d.b[d.off:])
		return r, nil
	}
	c, err := d.take(challengeLen, "negotiate response Challenge")
	if err != nil {
		return NegotiateResponse{}, err
	}
	r.Challenge = orNil(c)
	u := negotiateUnicode(m.Header, r.Capabilities)
	r.DomainName = d.str(u, false)
	r.ServerName = d.str(u, false)
	return r, nil
}
