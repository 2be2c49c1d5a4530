package dcerpc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// UUID holds a DCE UUID in its canonical (string) byte order: the bytes of
// "4b324fc8-1670-01d3-1278-5a47bf6ee188" are 4b 32 4f c8 16 70 …. On the wire the first three
// fields are little-endian (see Encode), which is why the type is not a plain [16]byte copy of
// the wire.
type UUID [16]byte

// ParseUUID parses the 36-character 8-4-4-4-12 hex form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%w: uuid %q: want 8-4-4-4-12 hex", ErrMalformed, s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, fmt.Errorf("%w: uuid %q: %v", ErrMalformed, s, err)
	}
	return u, nil
}

// MustParseUUID is ParseUUID for literals known to be valid; it panics otherwise.
func MustParseUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

// String formats the UUID in lower-case 8-4-4-4-12 form.
func (u UUID) String() string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Encode writes the 16-byte DCE wire form into b[:16]: time_low, time_mid and
// time_hi_and_version little-endian, clock_seq and node as they stand.
func (u UUID) Encode(b []byte) {
	_ = b[15]
	binary.LittleEndian.PutUint32(b[0:4], binary.BigEndian.Uint32(u[0:4])) // time_low
	binary.LittleEndian.PutUint16(b[4:6], binary.BigEndian.Uint16(u[4:6])) // time_mid
	binary.LittleEndian.PutUint16(b[6:8], binary.BigEndian.Uint16(u[6:8])) // time_hi_and_version
	copy(b[8:16], u[8:16])                                                 // clock_seq_hi, clock_seq_low, node[6]
}

// DecodeUUID reads the 16-byte DCE wire form.
func DecodeUUID(b []byte) (UUID, error) {
	var u UUID
	if len(b) < 16 {
		return u, truncated("uuid", 16, len(b))
	}
	binary.BigEndian.PutUint32(u[0:4], binary.LittleEndian.Uint32(b[0:4]))
	binary.BigEndian.PutUint16(u[4:6], binary.LittleEndian.Uint16(b[4:6]))
	binary.BigEndian.PutUint16(u[6:8], binary.LittleEndian.Uint16(b[6:8]))
	copy(u[8:16], b[8:16])
	return u, nil
}

// SyntaxID is p_syntax_id_t: an interface or transfer syntax UUID and its version. On the wire
// the version is one uint32 whose low half is the major and high half the minor version.
type SyntaxID struct {
	UUID         UUID
	Version      uint16 // if_version major
	VersionMinor uint16 // if_version minor
}

const syntaxIDSize = 20

func (s SyntaxID) encode(b []byte) {
	s.UUID.Encode(b[0:16])                                  // if_uuid
	binary.LittleEndian.PutUint16(b[16:18], s.Version)      // if_version (major)
	binary.LittleEndian.PutUint16(b[18:20], s.VersionMinor) // if_version (minor)
}

func decodeSyntaxID(b []byte) (SyntaxID, error) {
	if len(b) < syntaxIDSize {
		return SyntaxID{}, truncated("p_syntax_id_t", syntaxIDSize, len(b))
	}
	u, _ := DecodeUUID(b)
	return SyntaxID{
		UUID:         u,
		Version:      binary.LittleEndian.Uint16(b[16:18]),
		VersionMinor: binary.LittleEndian.Uint16(b[18:20]),
	}, nil
}

// String is the syntax as "uuid vMAJOR.MINOR".
func (s SyntaxID) String() string {
	return fmt.Sprintf("%s v%d.%d", s.UUID, s.Version, s.VersionMinor)
}

// NDR20 returns the NDR 2.0 transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0, the only
// one this project marshals. It is a function, not a variable, so no caller can alter it.
func NDR20() SyntaxID {
	return SyntaxID{UUID: UUID{0x8a, 0x88, 0x5d, 0x04, 0x1c, 0xeb, 0x11, 0xc9, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}, Version: 2}
}

// NDR64 returns the NDR64 transfer syntax 71710533-beba-4937-8319-b5dbef9ccc36 v1.0, which
// Windows 8+ clients offer; a server that only speaks NDR 2.0 rejects it.
func NDR64() SyntaxID {
	return SyntaxID{UUID: UUID{0x71, 0x71, 0x05, 0x33, 0xbe, 0xba, 0x49, 0x37, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36}, Version: 1}
}
