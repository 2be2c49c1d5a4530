package ntlmssp

import (
	"encoding/binary"
	"fmt"
)

// Signature opens every NTLMSSP message.
const Signature = "NTLMSSP\x00"

// MessageType is the MessageType field following the signature.
type MessageType uint32

// Message types (MS-NLMP 2.2.1).
const (
	TypeNegotiate    MessageType = 1
	TypeChallenge    MessageType = 2
	TypeAuthenticate MessageType = 3
)

// Flags is the NegotiateFlags field (MS-NLMP 2.2.2.5).
type Flags uint32

// Negotiate flags, named after MS-NLMP's NTLMSSP_* constants.
const (
	FlagUnicode                 Flags = 0x00000001 // NTLMSSP_NEGOTIATE_UNICODE (A)
	FlagOEM                     Flags = 0x00000002 // NTLM_NEGOTIATE_OEM (B)
	FlagRequestTarget           Flags = 0x00000004 // NTLMSSP_REQUEST_TARGET (C)
	FlagSign                    Flags = 0x00000010 // NTLMSSP_NEGOTIATE_SIGN (D)
	FlagSeal                    Flags = 0x00000020 // NTLMSSP_NEGOTIATE_SEAL (E)
	FlagDatagram                Flags = 0x00000040 // NTLMSSP_NEGOTIATE_DATAGRAM (F)
	FlagLMKey                   Flags = 0x00000080 // NTLMSSP_NEGOTIATE_LM_KEY (G)
	FlagNTLM                    Flags = 0x00000200 // NTLMSSP_NEGOTIATE_NTLM (H)
	FlagAnonymous               Flags = 0x00000800 // anonymous connection (J)
	FlagOEMDomainSupplied       Flags = 0x00001000 // NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED (K)
	FlagOEMWorkstationSupplied  Flags = 0x00002000 // NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED (L)
	FlagAlwaysSign              Flags = 0x00008000 // NTLMSSP_NEGOTIATE_ALWAYS_SIGN (M)
	FlagTargetTypeDomain        Flags = 0x00010000 // NTLMSSP_TARGET_TYPE_DOMAIN (N)
	FlagTargetTypeServer        Flags = 0x00020000 // NTLMSSP_TARGET_TYPE_SERVER (O)
	FlagExtendedSessionSecurity Flags = 0x00080000 // NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (P)
	FlagIdentify                Flags = 0x00100000 // NTLMSSP_NEGOTIATE_IDENTIFY (Q)
	FlagRequestNonNTSessionKey  Flags = 0x00400000 // NTLMSSP_REQUEST_NON_NT_SESSION_KEY (R)
	FlagTargetInfo              Flags = 0x00800000 // NTLMSSP_NEGOTIATE_TARGET_INFO (S)
	FlagVersion                 Flags = 0x02000000 // NTLMSSP_NEGOTIATE_VERSION (T)
	Flag128                     Flags = 0x20000000 // NTLMSSP_NEGOTIATE_128 (U)
	FlagKeyExchange             Flags = 0x40000000 // NTLMSSP_NEGOTIATE_KEY_EXCH (V)
	Flag56                      Flags = 0x80000000 // NTLMSSP_NEGOTIATE_56 (W)
)

// DefaultClientFlags is what a Windows 10 client sends in its NEGOTIATE
// (0xe2088297); servers answer it with their full CHALLENGE including the
// VERSION and target info the scanner fingerprints.
const DefaultClientFlags = FlagUnicode | FlagOEM | FlagRequestTarget | FlagSign |
	FlagLMKey | FlagNTLM | FlagAlwaysSign | FlagExtendedSessionSecurity |
	FlagVersion | Flag128 | FlagKeyExchange | Flag56

// Has reports whether all bits of g are set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// NTLMRevisionCurrent is NTLMSSP_REVISION_W2K3, the only revision Windows sends.
const NTLMRevisionCurrent = 0x0F

// Version is the 8-byte VERSION structure (MS-NLMP 2.2.2.10): the OS version
// of the sender, meaningful when FlagVersion is negotiated.
type Version struct {
	Major uint8  // ProductMajorVersion
	Minor uint8  // ProductMinorVersion
	Build uint16 // ProductBuild
	// Reserved is kept for byte-exact re-encoding: Windows 7 RTM clients put
	// the revision (0x0F) in its first byte instead of in NTLMRevisionCurrent.
	Reserved [3]byte
	Revision uint8 // NTLMRevisionCurrent
}

const versionSize = 8

// IsZero reports whether v is all zeros (no version supplied).
func (v Version) IsZero() bool { return v == Version{} }

// String is the version as "major.minor.build rev N".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d rev %d", v.Major, v.Minor, v.Build, v.Revision)
}

func (v Version) put(b []byte) {
	b[0] = v.Major                                 // ProductMajorVersion
	b[1] = v.Minor                                 // ProductMinorVersion
	binary.LittleEndian.PutUint16(b[2:4], v.Build) // ProductBuild
	copy(b[4:7], v.Reserved[:])                    // Reserved
	b[7] = v.Revision                              // NTLMRevisionCurrent
}

func parseVersion(b []byte) Version {
	return Version{Major: b[0], Minor: b[1], Build: binary.LittleEndian.Uint16(b[2:4]), Reserved: [3]byte{b[4], b[5], b[6]}, Revision: b[7]}
}
