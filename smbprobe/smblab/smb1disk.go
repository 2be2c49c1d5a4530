package smblab

import (
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// SMB1 on ADMIN$: TREE_CONNECT_ANDX replies, NT_CREATE_ANDX, READ_ANDX and the two TRANS2
// queries clients send before reading a file (impacket asks QUERY_FILE_INFORMATION for the
// size; Windows Explorer QUERY_PATH_INFORMATION).

// TRANS2 subcommands (MS-CIFS 2.2.6).
const (
	trans2QueryPathInformation = 0x0005
	trans2QueryFileInformation = 0x0007
)

// statusInvalidLevel is STATUS_INVALID_LEVEL (ERRDOS/ERRunknownlevel), the answer to an
// information level the server does not know.
const statusInvalidLevel = ntstatus.Status(0xC0000148)

// adminTreeWords are the TREE_CONNECT_ANDX response words for ADMIN$. The rights are those a
// Windows XP server granted on ADMIN$ in xpsp3-client_xp-server…suricata-verify.pcap
// frame 1334.
func adminTreeWords(reqFlags uint16) []byte {
	w := andxNone()
	w = le.AppendUint16(w, 0x0001) // OptionalSupport: SMB_SUPPORT_SEARCH_BITS
	if reqFlags&0x0008 != 0 {      // TREE_CONNECT_ANDX_EXTENDED_RESPONSE
		w = le.AppendUint32(w, 0x01ff) // MaximalShareAccessRights
		w = le.AppendUint32(w, 0x01ff) // GuestMaximalShareAccessRights
	}
	return w
}

// adminTreeData is Service "A:" (always OEM) and NativeFileSystem "NTFS". With a Unicode
// request the string follows unpadded: the data area starts odd, so after "A:\0" it is even.
func adminTreeData(unicode bool) []byte {
	b := []byte("A:\x00") // Service
	if unicode {
		return append(b, utf16le.EncodeZ("NTFS")...) // NativeFileSystem
	}
	return append(b, "NTFS\x00"...)
}

// smb1CreateName decodes the FileName of an NT_CREATE_ANDX request.
func smb1CreateName(r *smb1Req) string {
	nameLen := int(le.Uint16(r.words[5:])) // NameLength
	i := 0
	if r.unicode() && r.dataOff%2 == 1 {
		i = 1 // Pad to a 16-bit boundary
	}
	raw, ok := span(r.data, i, nameLen)
	if !ok {
		raw = r.data[min(i, len(r.data)):]
	}
	if r.unicode() {
		name, _ := utf16le.DecodeZ(raw)
		return name
	}
	name, _ := decodeASCIIZ(raw)
	return name
}

func (s *session) smb1CreateDisk(r *smb1Req) [][]byte {
	if len(r.words) < 48 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	flags := le.Uint32(r.words[7:])        // Flags
	access := le.Uint32(r.words[15:])      // DesiredAccess
	disposition := le.Uint32(r.words[35:]) // CreateDisposition
	options := le.Uint32(r.words[39:])     // CreateOptions
	fid, d, st := s.openAdmin(uint32(r.tid), smb1CreateName(r), access, disposition, options)
	if st != ntstatus.Success {
		return s.smb1Error(r, st)
	}
	ext := flags&0x10 != 0 // NT_CREATE_REQUEST_EXTENDED_RESPONSE
	ft := adminFileTime()
	w := andxNone()
	w = append(w, 0)                    // OplockLevel: none
	w = le.AppendUint16(w, uint16(fid)) // FID
	w = le.AppendUint32(w, 1)           // CreateDisposition (the action taken): FILE_OPENED
	for j := 0; j < 4; j++ {            // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
		w = le.AppendUint64(w, ft)
	}
	w = le.AppendUint32(w, d.attributes()) // ExtFileAttributes
	w = le.AppendUint64(w, d.allocation()) // AllocationSize
	w = le.AppendUint64(w, d.size())       // EndOfFile
	w = le.AppendUint16(w, 0)              // ResourceType: FileTypeDisk
	if ext {
		w = le.AppendUint16(w, 0x0007) // FileStatusFlags: NO_EAS | NO_SUBSTREAMS | NO_REPARSETAG
	} else {
		w = le.AppendUint16(w, 0) // NMPipeStatus: not a pipe
	}
	if d.dir() { // Directory
		w = append(w, 1)
	} else {
		w = append(w, 0)
	}
	if !ext {
		return [][]byte{s.smb1Reply(r, 0, r.uid, w, nil)}
	}
	w = append(w, make([]byte, 16)...)                          // VolumeGUID
	w = le.AppendUint64(w, 0x0001_0000_0000_0100+uint64(d.obj)) // FileId
	w = le.AppendUint32(w, 0x001f01ff)                          // MaximalAccessRights
	w = le.AppendUint32(w, 0)                                   // GuestMaximalAccessRights
	b := s.smb1Reply(r, 0, r.uid, w, nil)
	b[smb1HeaderLen] = 42 // WordCount: Windows announces 42 although 50 words follow (MS-SMB 2.2.4.9.2)
	return [][]byte{b}
}

// smb1ReadLimit is the most file data one READ_ANDX reply carries: the client's buffer less
// the reply's own 60 bytes, or just under 64 KiB when both sides do CAP_LARGE_READX.
func (s *session) smb1ReadLimit() int {
	if s.clientLargeRead {
		return 0xFF00
	}
	buf := int(s.clientMaxBuf)
	if buf < 1024 {
		buf = 4356 // Windows' default for clients that announce nonsense
	}
	return buf - 60
}

func (s *session) smb1ReadDisk(r *smb1Req) [][]byte {
	if len(r.words) < 20 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	fid := uint64(le.Uint16(r.words[4:])) // FID
	off := uint64(le.Uint32(r.words[6:])) // Offset
	n := int(le.Uint16(r.words[10:]))     // MaxCountOfBytesToReturn
	if hi := le.Uint32(r.words[14:]); s.clientLargeRead && hi != 0xFFFFFFFF {
		n |= int(hi&0xFFFF) << 16 // Timeout doubles as MaxCountHigh with CAP_LARGE_READX
	}
	if len(r.words) >= 24 {
		off |= uint64(le.Uint32(r.words[20:])) << 32 // OffsetHigh
	}
	d, ok := s.diskFile(fid, uint32(r.tid))
	if !ok {
		return s.smb1Error(r, ntstatus.InvalidHandle)
	}
	if d.dir() {
		return s.smb1Error(r, ntstatus.InvalidDeviceRequest)
	}
	// At or past the end of the file: success with no data, as a read that hit EOF.
	out := d.readAt(off, min(n, s.smb1ReadLimit()))
	const dataOff = smb1HeaderLen + 1 + 24 + 2 + 1
	w := andxNone()
	w = le.AppendUint16(w, 0xFFFF)               // Available: -1, not a pipe
	w = le.AppendUint16(w, 0)                    // DataCompactionMode
	w = le.AppendUint16(w, 0)                    // Reserved1
	w = le.AppendUint16(w, uint16(len(out)))     // DataLength
	w = le.AppendUint16(w, dataOff)              // DataOffset
	w = le.AppendUint16(w, uint16(len(out)>>16)) // DataLengthHigh
	w = append(w, make([]byte, 8)...)            // Reserved2
	data := append([]byte{0}, out...)            // Pad to dataOff
	return [][]byte{s.smb1Reply(r, 0, r.uid, w, data)}
}

// smb1Trans2 answers the TRANS2 queries on ADMIN$; everything else is NOT_IMPLEMENTED, as on
// IPC$.
func (s *session) smb1Trans2(r *smb1Req) [][]byte {
	if len(r.words) < 30 {
		return s.smb1Error(r, ntstatus.NotImplemented)
	}
	totalParams := int(le.Uint16(r.words[0:])) // TotalParameterCount
	maxData := int(le.Uint16(r.words[6:]))     // MaxDataCount
	paramCount := int(le.Uint16(r.words[18:])) // ParameterCount
	paramOff := int(le.Uint16(r.words[20:]))   // ParameterOffset
	setupCount := int(r.words[26])             // SetupCount
	setup, ok := span(r.words, 28, 2*setupCount)
	if !ok || setupCount < 1 {
		return s.smb1Error(r, ntstatus.NotImplemented)
	}
	params, ok := span(r.raw, paramOff, paramCount)
	if !ok || totalParams > paramCount {
		// Secondary requests are not needed by any client of the lab.
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	var d *diskOpen
	var level uint16
	switch le.Uint16(setup) {
	case trans2QueryFileInformation:
		if len(params) < 4 {
			return s.smb1Error(r, ntstatus.InvalidParameter)
		}
		fid := uint64(le.Uint16(params)) // FID
		level = le.Uint16(params[2:])    // InformationLevel
		if d, ok = s.diskFile(fid, uint32(r.tid)); !ok {
			return s.smb1Error(r, ntstatus.InvalidHandle)
		}
	case trans2QueryPathInformation:
		if len(params) < 6 {
			return s.smb1Error(r, ntstatus.InvalidParameter)
		}
		level = le.Uint16(params) // InformationLevel; then Reserved (4), FileName
		var name string
		if r.unicode() {
			name, _ = utf16le.DecodeZ(params[6:])
		} else {
			name, _ = decodeASCIIZ(params[6:])
		}
		var st ntstatus.Status
		if d, st = s.lookupAdmin(name); st != ntstatus.Success {
			return s.smb1Error(r, st)
		}
	default:
		return s.smb1Error(r, ntstatus.NotImplemented)
	}
	info, minLen, st := smb1InfoLevel(d, level)
	if st != ntstatus.Success {
		return s.smb1Error(r, st)
	}
	info, st = fitInfo(info, minLen, maxData)
	if info == nil && st != ntstatus.Success {
		return s.smb1Error(r, st)
	}
	return [][]byte{s.transReply(r, st, []byte{0, 0}, info)} // Parameters: EaErrorOffset
}

// lookupAdmin resolves name without opening it, for path queries.
func (s *session) lookupAdmin(name string) (*diskOpen, ntstatus.Status) {
	obj, st := resolveAdminPath(name, s.p.Netapi32 != (netapi.FileVersion{}))
	if st != ntstatus.Success {
		return nil, st
	}
	d := s.newDiskOpen(obj)
	return d, ntstatus.Success
}

// smb1InfoLevel encodes an SMB1 information level: the native SMB_QUERY_FILE_* levels
// (MS-CIFS 2.2.8.3) or, from 1000 on, a pass-through FileInformationClass (MS-SMB 2.2.2.3.5).
func smb1InfoLevel(d *diskOpen, level uint16) ([]byte, int, ntstatus.Status) {
	switch {
	case level == 0x0101: // SMB_QUERY_FILE_BASIC_INFO: FileBasicInformation's layout
		return fileInfo(d, fileBasicInformation)
	case level == 0x0102: // SMB_QUERY_FILE_STANDARD_INFO: FileStandardInformation without Reserved
		b, _, st := fileInfo(d, fileStandardInformation)
		return b[:22], 22, st
	case level == 0x0103: // SMB_QUERY_FILE_EA_INFO
		return fileInfo(d, fileEaInformation)
	case level == 0x0104: // SMB_QUERY_FILE_NAME_INFO
		return fileInfo(d, fileNameInformation)
	case level > 1000 && level < 1256:
		b, n, st := fileInfo(d, byte(level-1000))
		if st == ntstatus.InvalidInfoClass {
			st = statusInvalidLevel
		}
		return b, n, st
	}
	return nil, 0, statusInvalidLevel
}
