package smb2

import "fmt"

// FSCTL codes handled here, and the IOCTL Flags bit that marks an FSCTL.
const (
	FsctlPipeTransceive        uint32 = 0x0011C017
	FsctlValidateNegotiateInfo uint32 = 0x00140204
	FsctlQueryNetworkInterface uint32 = 0x001401FC // Windows clients send it after TREE_CONNECT
	FsctlDfsGetReferrals       uint32 = 0x00060194

	IoctlIsFsctl uint32 = 0x00000001
)

// IoctlRequest is SMB2 IOCTL Request (StructureSize 57).
type IoctlRequest struct {
	Reserved          uint16
	CtlCode           uint32
	FileID            FileID
	MaxInputResponse  uint32
	MaxOutputResponse uint32
	Flags             uint32
	Reserved2         uint32
	Input             []byte
	Output            []byte // requests normally carry none
}

const ioctlReqFixed = 56

// EncodeBody implements Body. Input follows the fixed part, Output follows Input; an
// empty buffer points at the start of the buffer area, as Windows does.
func (r *IoctlRequest) EncodeBody() []byte {
	b := make([]byte, ioctlReqFixed+len(r.Input)+len(r.Output))
	inOff := HeaderSize + ioctlReqFixed
	outOff := inOff
	if len(r.Output) > 0 {
		outOff += len(r.Input)
	}
	le.PutUint16(b[0:2], 57)                      // StructureSize
	le.PutUint16(b[2:4], r.Reserved)              // Reserved
	le.PutUint32(b[4:8], r.CtlCode)               // CtlCode
	r.FileID.put(b[8:24])                         // FileId
	le.PutUint32(b[24:28], uint32(inOff))         // InputOffset
	le.PutUint32(b[28:32], uint32(len(r.Input)))  // InputCount
	le.PutUint32(b[32:36], r.MaxInputResponse)    // MaxInputResponse
	le.PutUint32(b[36:40], uint32(outOff))        // OutputOffset
	le.PutUint32(b[40:44], uint32(len(r.Output))) // OutputCount
	le.PutUint32(b[44:48], r.MaxOutputResponse)   // MaxOutputResponse
	le.PutUint32(b[48:52], r.Flags)               // Flags
	le.PutUint32(b[52:56], r.Reserved2)           // Reserved2
	copy(b[56:], r.Input)
	copy(b[56+len(r.Input):], r.Output)
	return b
}

// IoctlResponse is SMB2 IOCTL Response (StructureSize 49).
type IoctlResponse struct {
	Reserved  uint16
	CtlCode   uint32
	FileID    FileID
	Flags     uint32
	Reserved2 uint32
	Input     []byte // servers normally echo none
	Output    []byte
}

const ioctlRespFixed = 48

// DecodeIoctlResponse reads an IOCTL response body (status SUCCESS, or BUFFER_OVERFLOW
// for a pipe transceive whose answer did not fit).
func DecodeIoctlResponse(body []byte) (*IoctlResponse, error) {
	if err := checkFixed(body, ioctlRespFixed, 49, "IOCTL response"); err != nil {
		return nil, err
	}
	r := &IoctlResponse{
		Reserved:  le.Uint16(body[2:4]),
		CtlCode:   le.Uint32(body[4:8]),
		FileID:    getFileID(body[8:24]),
		Flags:     le.Uint32(body[40:44]),
		Reserved2: le.Uint32(body[44:48]),
	}
	var err error
	if r.Input, err = bodyField(body, le.Uint32(body[24:28]), le.Uint32(body[28:32]), "IOCTL response Input"); err != nil {
		return nil, err
	}
	if r.Output, err = bodyField(body, le.Uint32(body[32:36]), le.Uint32(body[36:40]), "IOCTL response Output"); err != nil {
		return nil, err
	}
	return r, nil
}

// ValidateNegotiateInfoRequest is VALIDATE_NEGOTIATE_INFO's input: what the client sent
// in NEGOTIATE, for the server to compare.
type ValidateNegotiateInfoRequest struct {
	Capabilities uint32
	GUID         GUID
	SecurityMode uint16
	Dialects     []Dialect
}

// Encode returns the IOCTL input bytes.
func (v *ValidateNegotiateInfoRequest) Encode() []byte {
	b := make([]byte, 24+2*len(v.Dialects))
	le.PutUint32(b[0:4], v.Capabilities)            // Capabilities
	copy(b[4:20], v.GUID[:])                        // Guid
	le.PutUint16(b[20:22], v.SecurityMode)          // SecurityMode
	le.PutUint16(b[22:24], uint16(len(v.Dialects))) // DialectCount
	for i, d := range v.Dialects {
		le.PutUint16(b[24+2*i:], uint16(d)) // Dialects
	}
	return b
}

// ValidateNegotiateInfoResponse is the IOCTL output: what the server chose.
type ValidateNegotiateInfoResponse struct {
	Capabilities uint32
	GUID         GUID
	SecurityMode uint16
	Dialect      Dialect
}

// DecodeValidateNegotiateInfoResponse reads the IOCTL output.
func DecodeValidateNegotiateInfoResponse(b []byte) (*ValidateNegotiateInfoResponse, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: VALIDATE_NEGOTIATE_INFO response is %d bytes", ErrTruncated, len(b))
	}
	v := &ValidateNegotiateInfoResponse{
		Capabilities: le.Uint32(b[0:4]),
		SecurityMode: le.Uint16(b[20:22]),
		Dialect:      Dialect(le.Uint16(b[22:24])),
	}
	copy(v.GUID[:], b[4:20])
	return v, nil
}
