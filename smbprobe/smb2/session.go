package smb2

import (
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// SESSION_SETUP request Flags and response SessionFlags.
const (
	SessionBinding uint8 = 0x01 // SMB2_SESSION_FLAG_BINDING

	SessionIsGuest     uint16 = 0x0001
	SessionIsNull      uint16 = 0x0002
	SessionEncryptData uint16 = 0x0004
)

// SessionSetupRequest is SMB2 SESSION_SETUP Request (StructureSize 25).
type SessionSetupRequest struct {
	Flags             uint8
	SecurityMode      uint8 // SigningEnabled / SigningRequired, 8-bit here
	Capabilities      uint32
	Channel           uint32
	PreviousSessionID uint64
	SecurityBuffer    []byte // SPNEGO-wrapped or raw NTLMSSP token
}

const sessionSetupReqFixed = 24

// EncodeBody implements Body.
func (r *SessionSetupRequest) EncodeBody() []byte {
	b := make([]byte, sessionSetupReqFixed+len(r.SecurityBuffer))
	le.PutUint16(b[0:2], 25)                                // StructureSize
	b[2] = r.Flags                                          // Flags
	b[3] = r.SecurityMode                                   // SecurityMode
	le.PutUint32(b[4:8], r.Capabilities)                    // Capabilities
	le.PutUint32(b[8:12], r.Channel)                        // Channel
	le.PutUint16(b[12:14], HeaderSize+sessionSetupReqFixed) // SecurityBufferOffset
	le.PutUint16(b[14:16], uint16(len(r.SecurityBuffer)))   // SecurityBufferLength
	le.PutUint64(b[16:24], r.PreviousSessionID)             // PreviousSessionId
	copy(b[24:], r.SecurityBuffer)                          // Buffer
	return b
}

// ProbeSessionSetup is the scanner's first SESSION_SETUP, carrying an NTLMSSP NEGOTIATE
// (token) to make the server reveal its CHALLENGE and OS version.
func ProbeSessionSetup(token []byte) *SessionSetupRequest {
	return &SessionSetupRequest{SecurityMode: uint8(SigningEnabled), SecurityBuffer: token}
}

// SessionSetupResponse is SMB2 SESSION_SETUP Response (StructureSize 9).
type SessionSetupResponse struct {
	SessionFlags   uint16
	SecurityBuffer []byte
}

const sessionSetupRespFixed = 8

// DecodeSessionSetupResponse reads a SESSION_SETUP response body (status SUCCESS or
// MORE_PROCESSING_REQUIRED; other statuses come with an ERROR body).
func DecodeSessionSetupResponse(body []byte) (*SessionSetupResponse, error) {
	if err := checkFixed(body, sessionSetupRespFixed, 9, "SESSION_SETUP response"); err != nil {
		return nil, err
	}
	r := &SessionSetupResponse{SessionFlags: le.Uint16(body[2:4])}
	sb, err := bodyField(body, uint32(le.Uint16(body[4:6])), uint32(le.Uint16(body[6:8])), "SESSION_SETUP SecurityBuffer")
	if err != nil {
		return nil, err
	}
	r.SecurityBuffer = sb
	return r, nil
}

// Empty is the 4-byte body (StructureSize 4, Reserved) shared by LOGOFF,
// TREE_DISCONNECT and ECHO requests and responses (and FLUSH response, CANCEL request).
type Empty struct {
	Reserved uint16
}

// EncodeBody implements Body.
func (r *Empty) EncodeBody() []byte {
	b := make([]byte, 4)
	le.PutUint16(b[0:2], 4)          // StructureSize
	le.PutUint16(b[2:4], r.Reserved) // Reserved
	return b
}

// DecodeEmpty reads a 4-byte body.
func DecodeEmpty(body []byte) (*Empty, error) {
	if err := checkFixed(body, 4, 4, "4-byte body"); err != nil {
		return nil, err
	}
	return &Empty{Reserved: le.Uint16(body[2:4])}, nil
}

// Tree connect share types, share flags and tree capabilities used by the lab.
const (
	ShareTypeDisk  uint8 = 0x01
	ShareTypePipe  uint8 = 0x02
	ShareTypePrint uint8 = 0x03

	ShareFlagNoCaching uint32 = 0x00000030 // SMB2_SHAREFLAG_NO_CACHING (Windows IPC$)

	TreeConnectFlagExtensionPresent uint16 = 0x0004
)

// TreeConnectRequest is SMB2 TREE_CONNECT Request (StructureSize 9).
type TreeConnectRequest struct {
	Flags uint16 // Reserved before 3.1.1
	Path  string // \\server\share
}

const treeConnectReqFixed = 8

// EncodeBody implements Body.
func (r *TreeConnectRequest) EncodeBody() []byte {
	p := utf16le.Encode(r.Path)
	b := make([]byte, treeConnectReqFixed+len(p))
	le.PutUint16(b[0:2], 9)                              // StructureSize
	le.PutUint16(b[2:4], r.Flags)                        // Flags/Reserved
	le.PutUint16(b[4:6], HeaderSize+treeConnectReqFixed) // PathOffset
	le.PutUint16(b[6:8], uint16(len(p)))                 // PathLength
	copy(b[8:], p)                                       // Buffer
	return b
}

// TreeConnectResponse is SMB2 TREE_CONNECT Response (StructureSize 16).
type TreeConnectResponse struct {
	ShareType     uint8
	Reserved      uint8
	ShareFlags    uint32
	Capabilities  uint32
	MaximalAccess uint32
}

// DecodeTreeConnectResponse reads a TREE_CONNECT response body.
func DecodeTreeConnectResponse(body []byte) (*TreeConnectResponse, error) {
	if err := checkFixed(body, 16, 16, "TREE_CONNECT response"); err != nil {
		return nil, err
	}
	return &TreeConnectResponse{
		ShareType:     body[2],
		Reserved:      body[3],
		ShareFlags:    le.Uint32(body[4:8]),
		Capabilities:  le.Uint32(body[8:12]),
		MaximalAccess: le.Uint32(body[12:16]),
	}, nil
}
