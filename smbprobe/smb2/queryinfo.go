package smb2

import (
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// QUERY_INFO InfoType and the file information classes go-smb2 and Windows ask for.
const (
	InfoFile       uint8 = 0x01
	InfoFilesystem uint8 = 0x02
	InfoSecurity   uint8 = 0x03
	InfoQuota      uint8 = 0x04

	FileBasicInformation    uint8 = 4
	FileStandardInformation uint8 = 5 // Windows asks this of a pipe before binding
	FileAllInformation      uint8 = 18
)

// QueryInfoRequest is SMB2 QUERY_INFO Request (StructureSize 41).
type QueryInfoRequest struct {
	InfoType              uint8
	FileInfoClass         uint8
	OutputBufferLength    uint32
	Reserved              uint16
	AdditionalInformation uint32
	Flags                 uint32
	FileID                FileID
	Input                 []byte
}

const queryInfoReqFixed = 40

// EncodeBody implements Body.
func (r *QueryInfoRequest) EncodeBody() []byte {
	b := make([]byte, queryInfoReqFixed, queryInfoReqFixed+1+len(r.Input))
	le.PutUint16(b[0:2], 41)                        // StructureSize
	b[2] = r.InfoType                               // InfoType
	b[3] = r.FileInfoClass                          // FileInfoClass
	le.PutUint32(b[4:8], r.OutputBufferLength)      // OutputBufferLength
	le.PutUint16(b[10:12], r.Reserved)              // Reserved
	le.PutUint32(b[16:20], r.AdditionalInformation) // AdditionalInformation
	le.PutUint32(b[20:24], r.Flags)                 // Flags
	r.FileID.put(b[24:40])                          // FileId
	// Windows points even an empty input buffer at the end of the fixed part and, unlike
	// READ, sends no padding byte for an empty variable part.
	le.PutUint16(b[8:10], HeaderSize+queryInfoReqFixed) // InputBufferOffset
	le.PutUint32(b[12:16], uint32(len(r.Input)))        // InputBufferLength
	return append(b, r.Input...)
}

// QueryInfoResponse is SMB2 QUERY_INFO Response (StructureSize 9). Its StructureSize is
// the same as the ERROR response's: tell them apart by the header Status.
type QueryInfoResponse struct {
	OutputBuffer []byte
}

const queryInfoRespFixed = 8

// DecodeQueryInfoResponse reads a QUERY_INFO response body.
func DecodeQueryInfoResponse(body []byte) (*QueryInfoResponse, error) {
	if err := checkFixed(body, queryInfoRespFixed, 9, "QUERY_INFO response"); err != nil {
		return nil, err
	}
	out, err := bodyField(body, uint32(le.Uint16(body[2:4])), le.Uint32(body[4:8]), "QUERY_INFO OutputBuffer")
	if err != nil {
		return nil, err
	}
	return &QueryInfoResponse{OutputBuffer: out}, nil
}

// FileBasicInfo is FILE_BASIC_INFORMATION (MS-FSCC 2.4.7), 40 bytes.
type FileBasicInfo struct {
	CreationTime   Filetime
	LastAccessTime Filetime
	LastWriteTime  Filetime
	ChangeTime     Filetime
	FileAttributes uint32
}

// Encode returns the 40 bytes (4 reserved at the end).
func (f *FileBasicInfo) Encode() []byte {
	b := make([]byte, 40)
	le.PutUint64(b[0:8], uint64(f.CreationTime))    // CreationTime
	le.PutUint64(b[8:16], uint64(f.LastAccessTime)) // LastAccessTime
	le.PutUint64(b[16:24], uint64(f.LastWriteTime)) // LastWriteTime
	le.PutUint64(b[24:32], uint64(f.ChangeTime))    // ChangeTime
	le.PutUint32(b[32:36], f.FileAttributes)        // FileAttributes
	return b                                        // Reserved
}

// DecodeFileBasicInfo reads FILE_BASIC_INFORMATION.
func DecodeFileBasicInfo(b []byte) (*FileBasicInfo, error) {
	if len(b) < 36 {
		return nil, fmt.Errorf("%w: FILE_BASIC_INFORMATION is %d bytes", ErrTruncated, len(b))
	}
	return &FileBasicInfo{
		CreationTime:   Filetime(le.Uint64(b[0:8])),
		LastAccessTime: Filetime(le.Uint64(b[8:16])),
		LastWriteTime:  Filetime(le.Uint64(b[16:24])),
		ChangeTime:     Filetime(le.Uint64(b[24:32])),
		FileAttributes: le.Uint32(b[32:36]),
	}, nil
}

// FileStandardInfo is FILE_STANDARD_INFORMATION (MS-FSCC 2.4.41), 24 bytes.
type FileStandardInfo struct {
	AllocationSize uint64
	EndOfFile      uint64
	NumberOfLinks  uint32
	DeletePending  bool
	Directory      bool
}

// Encode returns the 24 bytes (2 reserved at the end).
func (f *FileStandardInfo) Encode() []byte {
	b := make([]byte, 24)
	le.PutUint64(b[0:8], f.AllocationSize)  // AllocationSize
	le.PutUint64(b[8:16], f.EndOfFile)      // EndOfFile
	le.PutUint32(b[16:20], f.NumberOfLinks) // NumberOfLinks
	if f.DeletePending {
		b[20] = 1 // DeletePending
	}
	if f.Directory {
		b[21] = 1 // Directory
	}
	return b // Reserved
}

// DecodeFileStandardInfo reads FILE_STANDARD_INFORMATION.
func DecodeFileStandardInfo(b []byte) (*FileStandardInfo, error) {
	if len(b) < 22 {
		return nil, fmt.Errorf("%w: FILE_STANDARD_INFORMATION is %d bytes", ErrTruncated, len(b))
	}
	return &FileStandardInfo{
		AllocationSize: le.Uint64(b[0:8]),
		EndOfFile:      le.Uint64(b[8:16]),
		NumberOfLinks:  le.Uint32(b[16:20]),
		DeletePending:  b[20] != 0,
		Directory:      b[21] != 0,
	}, nil
}

// FileAllInfo is FILE_ALL_INFORMATION (MS-FSCC 2.4.2), which go-smb2's File.Stat asks for.
type FileAllInfo struct {
	Basic                FileBasicInfo
	Standard             FileStandardInfo
	IndexNumber          uint64
	EASize               uint32
	AccessFlags          uint32
	CurrentByteOffset    uint64
	Mode                 uint32
	AlignmentRequirement uint32
	Name                 string
}

const fileAllFixed = 100 // through FileNameLength

// Encode returns the structure with Name in UTF-16LE.
func (f *FileAllInfo) Encode() []byte {
	name := utf16le.Encode(f.Name)
	b := make([]byte, fileAllFixed, fileAllFixed+len(name))
	copy(b[0:40], f.Basic.Encode())                // BasicInformation
	copy(b[40:64], f.Standard.Encode())            // StandardInformation
	le.PutUint64(b[64:72], f.IndexNumber)          // InternalInformation
	le.PutUint32(b[72:76], f.EASize)               // EaInformation
	le.PutUint32(b[76:80], f.AccessFlags)          // AccessInformation
	le.PutUint64(b[80:88], f.CurrentByteOffset)    // PositionInformation
	le.PutUint32(b[88:92], f.Mode)                 // ModeInformation
	le.PutUint32(b[92:96], f.AlignmentRequirement) // AlignmentInformation
	le.PutUint32(b[96:100], uint32(len(name)))     // NameInformation.FileNameLength
	return append(b, name...)                      // NameInformation.FileName
}

// DecodeFileAllInfo reads FILE_ALL_INFORMATION.
func DecodeFileAllInfo(b []byte) (*FileAllInfo, error) {
	if len(b) < fileAllFixed {
		return nil, fmt.Errorf("%w: FILE_ALL_INFORMATION is %d bytes", ErrTruncated, len(b))
	}
	basic, _ := DecodeFileBasicInfo(b[0:40])
	std, _ := DecodeFileStandardInfo(b[40:64])
	f := &FileAllInfo{
		Basic:                *basic,
		Standard:             *std,
		IndexNumber:          le.Uint64(b[64:72]),
		EASize:               le.Uint32(b[72:76]),
		AccessFlags:          le.Uint32(b[76:80]),
		CurrentByteOffset:    le.Uint64(b[80:88]),
		Mode:                 le.Uint32(b[88:92]),
		AlignmentRequirement: le.Uint32(b[92:96]),
	}
	n := le.Uint32(b[96:100])
	if uint64(n) > uint64(len(b)-fileAllFixed) {
		return nil, fmt.Errorf("%w: FILE_ALL_INFORMATION name of %d bytes in %d", ErrTruncated, n, len(b)-fileAllFixed)
	}
	f.Name = utf16le.DecodeToNUL(b[fileAllFixed : fileAllFixed+int(n)])
	return f, nil
}
