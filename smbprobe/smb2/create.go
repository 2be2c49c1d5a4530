package smb2

import (
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// Values used in CREATE by the scanner and the lab (MS-SMB2 2.2.13).
const (
	ImpersonationImpersonation uint32 = 0x00000002

	FileShareRead   uint32 = 0x00000001
	FileShareWrite  uint32 = 0x00000002
	FileShareDelete uint32 = 0x00000004

	FileOpen   uint32 = 0x00000001 // CreateDisposition FILE_OPEN
	FileOpenIf uint32 = 0x00000003

	FileNonDirectoryFile      uint32 = 0x00000040
	FileSynchronousIONonAlert uint32 = 0x00000020

	FileActionOpened uint32 = 0x00000001 // CreateAction FILE_OPENED

	FileAttributeNormal    uint32 = 0x00000080
	FileAttributeDirectory uint32 = 0x00000010
	FileAttributeArchive   uint32 = 0x00000020
)

// CreateRequest is SMB2 CREATE Request (StructureSize 57).
type CreateRequest struct {
	SecurityFlags        uint8
	RequestedOplockLevel uint8
	ImpersonationLevel   uint32
	SmbCreateFlags       uint64
	Reserved             uint64
	DesiredAccess        uint32
	FileAttributes       uint32
	ShareAccess          uint32
	CreateDisposition    uint32
	CreateOptions        uint32
	Name                 string // relative to the share, no leading backslash
	// CreateContexts is the raw SMB2_CREATE_CONTEXT chain. The lab ignores contexts; they
	// are kept so a decoded request re-encodes unchanged.
	CreateContexts []byte
}

const createReqFixed = 56

// EncodeBody implements Body.
func (r *CreateRequest) EncodeBody() []byte {
	name := utf16le.Encode(r.Name)
	b := make([]byte, createReqFixed, createReqFixed+len(name)+8+len(r.CreateContexts))
	le.PutUint16(b[0:2], 57)                          // StructureSize
	b[2] = r.SecurityFlags                            // SecurityFlags
	b[3] = r.RequestedOplockLevel                     // RequestedOplockLevel
	le.PutUint32(b[4:8], r.ImpersonationLevel)        // ImpersonationLevel
	le.PutUint64(b[8:16], r.SmbCreateFlags)           // SmbCreateFlags
	le.PutUint64(b[16:24], r.Reserved)                // Reserved
	le.PutUint32(b[24:28], r.DesiredAccess)           // DesiredAccess
	le.PutUint32(b[28:32], r.FileAttributes)          // FileAttributes
	le.PutUint32(b[32:36], r.ShareAccess)             // ShareAccess
	le.PutUint32(b[36:40], r.CreateDisposition)       // CreateDisposition
	le.PutUint32(b[40:44], r.CreateOptions)           // CreateOptions
	le.PutUint16(b[44:46], HeaderSize+createReqFixed) // NameOffset
	le.PutUint16(b[46:48], uint16(len(name)))         // NameLength
	b = append(b, name...)
	if len(r.CreateContexts) > 0 {
		for (HeaderSize+len(b))%8 != 0 {
			b = append(b, 0)
		}
		le.PutUint32(b[48:52], uint32(HeaderSize+len(b)))     // CreateContextsOffset
		le.PutUint32(b[52:56], uint32(len(r.CreateContexts))) // CreateContextsLength
		b = append(b, r.CreateContexts...)
	} else if len(name) == 0 {
		b = append(b, 0) // the Buffer is at least one byte
	}
	return b
}

// CreateContext is one SMB2_CREATE_CONTEXT, its name and data as raw bytes.
type CreateContext struct {
	Name []byte
	Data []byte
}

// maxCreateContexts bounds the walk over a hostile chain.
const maxCreateContexts = 64

// DecodeCreateContexts walks a CREATE context chain. The lab only needs to know which
// contexts came (to skip them safely); nothing here interprets their data.
func DecodeCreateContexts(b []byte) ([]CreateContext, error) {
	var out []CreateContext
	if len(b) == 0 {
		return nil, nil
	}
	for off := 0; ; {
		if len(out) == maxCreateContexts {
			return out, fmt.Errorf("%w: more than %d create contexts", ErrMalformed, maxCreateContexts)
		}
		c := b[off:]
		if len(c) < 16 {
			return out, fmt.Errorf("%w: create context %d header", ErrTruncated, len(out))
		}
		next := le.Uint32(c[0:4])
		nameOff, nameLen := uint32(le.Uint16(c[4:6])), uint32(le.Uint16(c[6:8]))
		dataOff, dataLen := uint32(le.Uint16(c[10:12])), le.Uint32(c[12:16])
		limit := uint64(len(c))
		if next != 0 {
			if next < 16 || next%8 != 0 || uint64(next) > limit {
				return out, fmt.Errorf("%w: create context %d Next %d", ErrMalformed, len(out), next)
			}
			limit = uint64(next)
		}
		if uint64(nameOff)+uint64(nameLen) > limit || uint64(dataOff)+uint64(dataLen) > limit {
			return out, fmt.Errorf("%w: create context %d name/data outside it", ErrTruncated, len(out))
		}
		out = append(out, CreateContext{Name: c[nameOff : nameOff+nameLen], Data: c[dataOff : uint64(dataOff)+uint64(dataLen)]})
		if next == 0 {
			return out, nil
		}
		off += int(next)
	}
}

// CreateResponse is SMB2 CREATE Response (StructureSize 89).
type CreateResponse struct {
	OplockLevel    uint8
	Flags          uint8
	CreateAction   uint32
	CreationTime   Filetime
	LastAccessTime Filetime
	LastWriteTime  Filetime
	ChangeTime     Filetime
	AllocationSize uint64
	EndOfFile      uint64
	FileAttributes uint32
	Reserved2      uint32
	FileID         FileID
	CreateContexts []byte // raw chain; the lab sends none
}

const createRespFixed = 88

// DecodeCreateResponse reads a CREATE response body.
func DecodeCreateResponse(body []byte) (*CreateResponse, error) {
	if err := checkFixed(body, createRespFixed, 89, "CREATE response"); err != nil {
		return nil, err
	}
	r := &CreateResponse{
		OplockLevel:    body[2],
		Flags:          body[3],
		CreateAction:   le.Uint32(body[4:8]),
		CreationTime:   Filetime(le.Uint64(body[8:16])),
		LastAccessTime: Filetime(le.Uint64(body[16:24])),
		LastWriteTime:  Filetime(le.Uint64(body[24:32])),
		ChangeTime:     Filetime(le.Uint64(body[32:40])),
		AllocationSize: le.Uint64(body[40:48]),
		EndOfFile:      le.Uint64(body[48:56]),
		FileAttributes: le.Uint32(body[56:60]),
		Reserved2:      le.Uint32(body[60:64]),
		FileID:         getFileID(body[64:80]),
	}
	ctxs, err := bodyField(body, le.Uint32(body[80:84]), le.Uint32(body[84:88]), "CREATE response CreateContexts")
	if err != nil {
		return nil, err
	}
	r.CreateContexts = ctxs
	return r, nil
}

// CloseFlagPostQueryAttrib asks the server to fill in the attributes in the CLOSE reply.
const CloseFlagPostQueryAttrib uint16 = 0x0001

// CloseRequest is SMB2 CLOSE Request (StructureSize 24).
type CloseRequest struct {
	Flags    uint16
	Reserved uint32
	FileID   FileID
}

// EncodeBody implements Body.
func (r *CloseRequest) EncodeBody() []byte {
	b := make([]byte, 24)
	le.PutUint16(b[0:2], 24)         // StructureSize
	le.PutUint16(b[2:4], r.Flags)    // Flags
	le.PutUint32(b[4:8], r.Reserved) // Reserved
	r.FileID.put(b[8:24])            // FileId
	return b
}

// CloseResponse is SMB2 CLOSE Response (StructureSize 60).
type CloseResponse struct {
	Flags          uint16
	Reserved       uint32
	CreationTime   Filetime
	LastAccessTime Filetime
	LastWriteTime  Filetime
	ChangeTime     Filetime
	AllocationSize uint64
	EndOfFile      uint64
	FileAttributes uint32
}

// DecodeCloseResponse reads a CLOSE response body.
func DecodeCloseResponse(body []byte) (*CloseResponse, error) {
	if err := checkFixed(body, 60, 60, "CLOSE response"); err != nil {
		return nil, err
	}
	return &CloseResponse{
		Flags:          le.Uint16(body[2:4]),
		Reserved:       le.Uint32(body[4:8]),
		CreationTime:   Filetime(le.Uint64(body[8:16])),
		LastAccessTime: Filetime(le.Uint64(body[16:24])),
		LastWriteTime:  Filetime(le.Uint64(body[24:32])),
		ChangeTime:     Filetime(le.Uint64(body[32:40])),
		AllocationSize: le.Uint64(body[40:48]),
		EndOfFile:      le.Uint64(body[48:56]),
		FileAttributes: le.Uint32(body[56:60]),
	}, nil
}
