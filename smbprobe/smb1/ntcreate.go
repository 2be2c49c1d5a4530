package smb1

import (
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// Values for opening a named pipe (MS-CIFS 2.2.4.64.1, MS-SMB 2.2.4.9.1).
const (
	AccessGenericRead  uint32 = 0x80000000
	AccessGenericWrite uint32 = 0x40000000
	AccessReadData     uint32 = 0x00000001
	AccessWriteData    uint32 = 0x00000002
	AccessReadControl  uint32 = 0x00020000

	ShareRead   uint32 = 0x00000001
	ShareWrite  uint32 = 0x00000002
	ShareDelete uint32 = 0x00000004

	DispositionOpen uint32 = 0x00000001 // FILE_OPEN

	ImpersonationAnonymous      uint32 = 0
	ImpersonationIdentification uint32 = 1
	ImpersonationImpersonation  uint32 = 2
	ImpersonationDelegation     uint32 = 3

	AttrNormal uint32 = 0x00000080

	// ResourceType values of the response.
	FileTypeDisk            uint16 = 0x0000
	FileTypeByteModePipe    uint16 = 0x0001
	FileTypeMessageModePipe uint16 = 0x0002
)

const (
	ntCreateReqWC      = 24
	ntCreateRespWC     = 34
	ntCreateRespExtWC  = 42
	ntCreateRespLen    = 2 * ntCreateRespWC
	ntCreateRespExtLen = 100
)

// NTCreateRequest is SMB_COM_NT_CREATE_ANDX (MS-CIFS 2.2.4.64.1). FileName is e.g. `\browser`.
type NTCreateRequest struct {
	Flags              uint32
	RootDirectoryFID   uint32
	DesiredAccess      uint32
	AllocationSize     uint64
	ExtFileAttributes  uint32
	ShareAccess        uint32
	CreateDisposition  uint32
	CreateOptions      uint32
	ImpersonationLevel uint32
	SecurityFlags      uint8
	FileName           string
}

// Encode returns the request with h (Command is set here). Like Windows XP, NameLength does not
// count the terminating NUL that follows the name.
func (r NTCreateRequest) Encode(h Header) []byte {
	w := make([]byte, 2*ntCreateReqWC)
	var name []byte
	nul := 1
	if h.Unicode() {
		name, nul = utf16le.EncodeZ(r.FileName), 2
	} else {
		name = append([]byte(r.FileName), 0)
	}
	w[4] = 0                                     // Reserved
	le.PutUint16(w[5:7], uint16(len(name)-nul))  // NameLength
	le.PutUint32(w[7:11], r.Flags)               // Flags
	le.PutUint32(w[11:15], r.RootDirectoryFID)   // RootDirectoryFID
	le.PutUint32(w[15:19], r.DesiredAccess)      // DesiredAccess
	le.PutUint64(w[19:27], r.AllocationSize)     // AllocationSize
	le.PutUint32(w[27:31], r.ExtFileAttributes)  // ExtFileAttributes
	le.PutUint32(w[31:35], r.ShareAccess)        // ShareAccess
	le.PutUint32(w[35:39], r.CreateDisposition)  // CreateDisposition
	le.PutUint32(w[39:43], r.CreateOptions)      // CreateOptions
	le.PutUint32(w[43:47], r.ImpersonationLevel) // ImpersonationLevel
	w[47] = r.SecurityFlags                      // SecurityFlags
	d := newBuilder(len(w))
	if h.Unicode() {
		d.pad(2) // Pad
	}
	d.raw(name) // FileName
	return encodeAndX(h, CmdNTCreateAndX, w, d.b)
}

// NTCreateResponse is the NT_CREATE_ANDX response: WordCount 34 (MS-CIFS 2.2.4.64.2) or, with
// Extended, the MS-SMB 2.2.4.9.2 form. Windows announces the extended form as WordCount 42
// but sends 100 bytes of words (50 words) followed by ByteCount 0; Encode reproduces that
// byte for byte, and DecodeMessage knows to look for the ByteCount after the 100 bytes.
type NTCreateResponse struct {
	OplockLevel       uint8
	FID               uint16
	CreateAction      uint32 // CreateDisposition in MS-CIFS
	CreateTime        uint64 // FILETIME
	LastAccessTime    uint64
	LastWriteTime     uint64
	LastChangeTime    uint64
	ExtFileAttributes uint32
	AllocationSize    uint64
	EndOfFile         uint64
	ResourceType      uint16
	NMPipeStatus      uint16
	Directory         uint8

	Extended                 bool
	VolumeGUID               [16]byte
	FileID                   uint64
	MaximalAccessRights      uint32
	GuestMaximalAccessRights uint32
}

// DecodeNTCreateResponse decodes either form.
func DecodeNTCreateResponse(m Message) (NTCreateResponse, error) {
	if err := m.expect(CmdNTCreateAndX, "nt create response", ntCreateRespWC, ntCreateRespExtWC); err != nil {
		return NTCreateResponse{}, err
	}
	if _, err := m.AndX(); err != nil {
		return NTCreateResponse{}, err
	}
	w := m.Words
	if m.WordCount == ntCreateRespExtWC && len(w) < ntCreateRespExtLen {
		return NTCreateResponse{}, fmt.Errorf("%w: extended nt create response: %d bytes of words, want %d",
			ErrTruncated, len(w), ntCreateRespExtLen)
	}
	r := NTCreateResponse{
		OplockLevel:       w[4],
		FID:               le.Uint16(w[5:7]),
		CreateAction:      le.Uint32(w[7:11]),
		CreateTime:        le.Uint64(w[11:19]),
		LastAccessTime:    le.Uint64(w[19:27]),
		LastWriteTime:     le.Uint64(w[27:35]),
		LastChangeTime:    le.Uint64(w[35:43]),
		ExtFileAttributes: le.Uint32(w[43:47]),
		AllocationSize:    le.Uint64(w[47:55]),
		EndOfFile:         le.Uint64(w[55:63]),
		ResourceType:      le.Uint16(w[63:65]),
		NMPipeStatus:      le.Uint16(w[65:67]),
		Directory:         w[67],
	}
	if m.WordCount == ntCreateRespExtWC {
		r.Extended = true
		copy(r.VolumeGUID[:], w[68:84])
		r.FileID = le.Uint64(w[84:92])
		r.MaximalAccessRights = le.Uint32(w[92:96])
		r.GuestMaximalAccessRights = le.Uint32(w[96:100])
	}
	return r, nil
}
