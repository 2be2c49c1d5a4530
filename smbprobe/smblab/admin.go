package smblab

import (
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// ADMIN$ of a credentialed personality is %SystemRoot% reduced to what the credentialed
// MS08-067 check reads: the directory system32 holding netapi32.dll, a generated PE file with
// the personality's version resource. It is read-only: the lab never lets a client change it.

const adminShare = "ADMIN$"

// diskObject names the three objects ADMIN$ holds.
type diskObject uint8

const (
	objRoot diskObject = iota + 1
	objSystem32
	objNetapi
)

// diskOpen is one open of an ADMIN$ object.
type diskOpen struct {
	obj  diskObject
	path string // volume-relative, as FileNameInformation spells it
	data []byte // file contents; nil for a directory
}

func (d *diskOpen) dir() bool { return d.obj != objNetapi }

// attributes are FileAttributes / ExtFileAttributes (MS-FSCC 2.6).
func (d *diskOpen) attributes() uint32 {
	if d.dir() {
		return 0x10 // FILE_ATTRIBUTE_DIRECTORY
	}
	return 0x20 // FILE_ATTRIBUTE_ARCHIVE, as system32 files carry it
}

func (d *diskOpen) size() uint64 { return uint64(len(d.data)) }

// allocation rounds the size up to a 4 KiB NTFS cluster.
func (d *diskOpen) allocation() uint64 { return (d.size() + 4095) &^ 4095 }

// adminFileTime is every timestamp of ADMIN$: the day KB958644 shipped, a plausible write
// time for a system file. Fixed, so transcripts stay stable.
func adminFileTime() uint64 {
	return ntlmssp.TimeToFileTime(time.Date(2008, 10, 23, 17, 0, 0, 0, time.UTC))
}

// Access bits a read-only share refuses: FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA,
// FILE_DELETE_CHILD, FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER, GENERIC_ALL,
// GENERIC_WRITE (MS-SMB2 2.2.13.1.1).
const writeAccess = 0x00000002 | 0x00000004 | 0x00000010 | 0x00000040 | 0x00000100 |
	0x00010000 | 0x00040000 | 0x00080000 | 0x10000000 | 0x40000000

// CreateDisposition values and CreateOptions bits (MS-SMB2 2.2.13, MS-CIFS 2.2.4.64.1).
const (
	fileSupersede    = 0
	fileOpen         = 1
	fileCreate       = 2
	fileOpenIf       = 3
	fileOverwrite    = 4
	fileOverwriteIf  = 5
	optDirectory     = 0x00000001
	optNonDirectory  = 0x00000040
	optDeleteOnClose = 0x00001000
)

// resolveAdminPath finds an ADMIN$ object the way Windows resolves a share-relative name:
// case-insensitively, with `\` or `/` as separators and leading separators ignored. A
// missing last component is OBJECT_NAME_NOT_FOUND, a missing directory on the way
// OBJECT_PATH_NOT_FOUND, and `.`, `..`, empty components, wildcards and stream names are
// OBJECT_NAME_INVALID.
func resolveAdminPath(name string, hasFile bool) (diskObject, ntstatus.Status) {
	name = strings.TrimRight(name, "\x00")
	name = strings.ReplaceAll(name, "/", `\`)
	name = strings.Trim(name, `\`)
	if name == "" {
		return objRoot, ntstatus.Success
	}
	parts := strings.Split(name, `\`)
	if len(parts) > 64 {
		return 0, ntstatus.ObjectNameInvalid
	}
	for _, c := range parts {
		if c == "" || c == "." || c == ".." || len(c) > 255 || strings.ContainsAny(c, "*?\"<>|:") {
			return 0, ntstatus.ObjectNameInvalid
		}
	}
	notFound := func(more bool) (diskObject, ntstatus.Status) {
		if more {
			return 0, ntstatus.ObjectPathNotFound
		}
		return 0, ntstatus.ObjectNameNotFound
	}
	if !strings.EqualFold(parts[0], "system32") {
		return notFound(len(parts) > 1)
	}
	if len(parts) == 1 {
		return objSystem32, ntstatus.Success
	}
	if !hasFile || !strings.EqualFold(parts[1], "netapi32.dll") {
		return notFound(len(parts) > 2)
	}
	if len(parts) == 2 {
		return objNetapi, ntstatus.Success
	}
	return 0, ntstatus.ObjectPathNotFound // a component below a file
}

// systemRoot is %SystemRoot% relative to its volume.
func (s *session) systemRoot() string {
	if s.p.NTLMVersion.Major >= 6 {
		return `\Windows`
	}
	return `\WINDOWS`
}

func (s *session) netapiFile() []byte {
	if s.netapi == nil {
		s.netapi = netapi.BuildTestPE(s.p.Netapi32)
	}
	return s.netapi
}

// openAdmin opens name on the ADMIN$ tree tid for both SMB dialects.
func (s *session) openAdmin(tid uint32, name string, access, disposition, options uint32) (uint64, *diskOpen, ntstatus.Status) {
	obj, st := resolveAdminPath(name, s.p.Netapi32 != (netapi.FileVersion{}))
	if st == ntstatus.ObjectNameNotFound && disposition != fileOpen && disposition != fileOverwrite {
		return 0, nil, ntstatus.AccessDenied // would create a file: the share is read-only
	}
	if st != ntstatus.Success {
		return 0, nil, st
	}
	switch disposition {
	case fileOpen, fileOpenIf:
	case fileCreate:
		return 0, nil, ntstatus.ObjectNameCollision
	case fileSupersede, fileOverwrite, fileOverwriteIf:
		return 0, nil, ntstatus.AccessDenied
	default:
		return 0, nil, ntstatus.InvalidParameter
	}
	d := s.newDiskOpen(obj)
	switch {
	case options&optDirectory != 0 && !d.dir():
		return 0, nil, ntstatus.NotADirectory
	case options&optNonDirectory != 0 && d.dir():
		return 0, nil, ntstatus.FileIsADirectory
	case access&writeAccess != 0 || options&optDeleteOnClose != 0:
		return 0, nil, ntstatus.AccessDenied
	case len(s.files) >= maxFiles:
		return 0, nil, ntstatus.TooManyOpenedFiles
	}
	fid := uint64(s.newID())
	s.files[fid] = &pipe{name: d.path, tid: tid, disk: d}
	return fid, d, ntstatus.Success
}

// newDiskOpen describes obj; the file's bytes are built on first use.
func (s *session) newDiskOpen(obj diskObject) *diskOpen {
	d := &diskOpen{obj: obj, path: s.systemRoot()}
	switch obj {
	case objSystem32:
		d.path += `\system32`
	case objNetapi:
		d.path += `\system32\netapi32.dll`
		d.data = s.netapiFile()
	}
	return d
}

// diskFile returns the open fid when it is an ADMIN$ object opened on tree tid.
func (s *session) diskFile(fid uint64, tid uint32) (*diskOpen, bool) {
	p, ok := s.files[fid]
	if !ok || p.disk == nil || p.tid != tid {
		return nil, false
	}
	return p.disk, true
}

// readAt returns up to n bytes of the file at off; nil at or past the end.
func (d *diskOpen) readAt(off uint64, n int) []byte {
	if off >= d.size() || n <= 0 {
		return nil
	}
	end := min(d.size(), off+uint64(n))
	return d.data[off:end]
}

// FileInformationClass values (MS-FSCC 2.4) the lab answers.
const (
	fileBasicInformation       = 4
	fileStandardInformation    = 5
	fileInternalInformation    = 6
	fileEaInformation          = 7
	fileAccessInformation      = 8
	fileNameInformation        = 9
	filePositionInformation    = 14
	fileModeInformation        = 16
	fileAlignmentInformation   = 17
	fileAllInformation         = 18
	fileNetworkOpenInformation = 34
)

// fileInfo encodes class for d. A buffer shorter than minLen (the fixed part) is
// STATUS_INFO_LENGTH_MISMATCH; a longer one that cuts the name is STATUS_BUFFER_OVERFLOW.
func fileInfo(d *diskOpen, class byte) (b []byte, minLen int, st ntstatus.Status) {
	b, fixed, st := fileInfoBytes(d, class)
	switch {
	case fixed:
		minLen = len(b)
	case class == fileAllInformation:
		minLen = 100
	default:
		minLen = 4
	}
	return b, minLen, st
}

func fileInfoBytes(d *diskOpen, class byte) (b []byte, fixed bool, st ntstatus.Status) {
	ft := adminFileTime()
	basic := func(b []byte) []byte {
		for i := 0; i < 4; i++ { // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
			b = le.AppendUint64(b, ft)
		}
		b = le.AppendUint32(b, d.attributes()) // FileAttributes
		return le.AppendUint32(b, 0)           // Reserved
	}
	standard := func(b []byte) []byte {
		b = le.AppendUint64(b, d.allocation()) // AllocationSize
		b = le.AppendUint64(b, d.size())       // EndOfFile
		b = le.AppendUint32(b, 1)              // NumberOfLinks
		b = append(b, 0)                       // DeletePending
		if d.dir() {                           // Directory
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		return append(b, 0, 0) // Reserved
	}
	name := func(b []byte) []byte {
		n := utf16le.Encode(d.path)
		b = le.AppendUint32(b, uint32(len(n))) // FileNameLength
		return append(b, n...)                 // FileName
	}
	switch class {
	case fileBasicInformation:
		return basic(nil), true, ntstatus.Success
	case fileStandardInformation:
		return standard(nil), true, ntstatus.Success
	case fileInternalInformation:
		return le.AppendUint64(nil, 0x0001_0000_0000_0100+uint64(d.obj)), true, ntstatus.Success // IndexNumber
	case fileEaInformation:
		return le.AppendUint32(nil, 0), true, ntstatus.Success // EaSize
	case fileAccessInformation:
		return le.AppendUint32(nil, 0x00120089), true, ntstatus.Success // AccessFlags: FILE_GENERIC_READ
	case fileNameInformation:
		return name(nil), false, ntstatus.Success
	case filePositionInformation:
		return le.AppendUint64(nil, 0), true, ntstatus.Success // CurrentByteOffset
	case fileModeInformation:
		return le.AppendUint32(nil, 0), true, ntstatus.Success // Mode
	case fileAlignmentInformation:
		return le.AppendUint32(nil, 0), true, ntstatus.Success // AlignmentRequirement: byte
	case fileAllInformation:
		b = basic(nil)
		b = standard(b)
		b = le.AppendUint64(b, 0x0001_0000_0000_0100+uint64(d.obj)) // InternalInformation
		b = le.AppendUint32(b, 0)                                   // EaInformation
		b = le.AppendUint32(b, 0x00120089)                          // AccessInformation
		b = le.AppendUint64(b, 0)                                   // PositionInformation
		b = le.AppendUint32(b, 0)                                   // ModeInformation
		b = le.AppendUint32(b, 0)                                   // AlignmentInformation
		return name(b), false, ntstatus.Success
	case fileNetworkOpenInformation:
		for i := 0; i < 4; i++ { // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
			b = le.AppendUint64(b, ft)
		}
		b = le.AppendUint64(b, d.allocation()) // AllocationSize
		b = le.AppendUint64(b, d.size())       // EndOfFile
		b = le.AppendUint32(b, d.attributes()) // FileAttributes
		return le.AppendUint32(b, 0), true, ntstatus.Success
	}
	return nil, false, ntstatus.InvalidInfoClass
}

// fitInfo applies an output buffer limit to an encoded information class.
func fitInfo(b []byte, minLen, limit int) ([]byte, ntstatus.Status) {
	switch {
	case len(b) <= limit:
		return b, ntstatus.Success
	case limit < minLen:
		return nil, ntstatus.InfoLengthMismatch
	}
	return b[:limit], ntstatus.BufferOverflow
}
