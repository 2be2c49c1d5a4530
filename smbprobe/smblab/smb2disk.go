package smblab

import (
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// SMB2 on ADMIN$: CREATE, READ, QUERY_INFO and CLOSE's post-query, what go-smb2's Open, Stat
// and ReadAt and impacket's getFile send.

// smb2MaxRead is the MaxReadSize the lab's NEGOTIATE response announces.
const smb2MaxRead = 0x10000

func (s *session) smb2CreateDisk(r *smb2Req) []byte {
	if len(r.body) < 56 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	access := le.Uint32(r.body[24:])                   // DesiredAccess
	disposition := le.Uint32(r.body[36:])              // CreateDisposition
	options := le.Uint32(r.body[40:])                  // CreateOptions
	off := int(le.Uint16(r.body[44:])) - smb2HeaderLen // NameOffset
	n := int(le.Uint16(r.body[46:]))                   // NameLength
	raw, ok := span(r.body, off, n)
	if n == 0 {
		raw, ok = nil, true // the share root; NameOffset may then point anywhere
	}
	if !ok || n%2 != 0 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	// Create contexts (go-smb2 sends none, Windows clients MxAc, QFid, leases) are checked
	// to lie inside the request and otherwise ignored: no context answer is owed.
	cOff := int(le.Uint32(r.body[48:])) - smb2HeaderLen // CreateContextsOffset
	cLen := int(le.Uint32(r.body[52:]))                 // CreateContextsLength
	if cLen != 0 {
		if _, ok := span(r.body, cOff, cLen); !ok {
			return s.smb2Error(r, ntstatus.InvalidParameter)
		}
	}
	name, _ := utf16le.DecodeZ(raw)
	fid, d, st := s.openAdmin(r.treeID, name, access, disposition, options)
	if st != ntstatus.Success {
		return s.smb2Error(r, st)
	}
	ft := adminFileTime()
	b := le.AppendUint16(nil, 89) // StructureSize
	b = append(b, 0, 0)           // OplockLevel: none, Flags
	b = le.AppendUint32(b, 1)     // CreateAction: FILE_OPENED
	for i := 0; i < 4; i++ {      // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
		b = le.AppendUint64(b, ft)
	}
	b = le.AppendUint64(b, d.allocation()) // AllocationSize
	b = le.AppendUint64(b, d.size())       // EndofFile
	b = le.AppendUint32(b, d.attributes()) // FileAttributes
	b = le.AppendUint32(b, 0)              // Reserved2
	b = le.AppendUint64(b, fid)            // FileId.Persistent
	b = le.AppendUint64(b, fid)            // FileId.Volatile
	b = le.AppendUint32(b, 0)              // CreateContextsOffset
	b = le.AppendUint32(b, 0)              // CreateContextsLength
	return s.smb2Reply(r, 0, r.sessionID, r.treeID, b)
}

func (s *session) smb2ReadDisk(r *smb2Req) []byte {
	if len(r.body) < 48 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	n := int(le.Uint32(r.body[4:]))         // Length
	off := le.Uint64(r.body[8:])            // Offset
	fid := le.Uint64(r.body[16:])           // FileId.Persistent
	minCount := int(le.Uint32(r.body[32:])) // MinimumCount
	d, ok := s.diskFile(fid, r.treeID)
	switch {
	case !ok:
		return s.smb2Error(r, ntstatus.FileClosed)
	case d.dir():
		return s.smb2Error(r, ntstatus.InvalidDeviceRequest)
	case n > smb2MaxRead:
		return s.smb2Error(r, ntstatus.InvalidParameter) // above the negotiated MaxReadSize
	}
	out := d.readAt(off, n)
	if len(out) == 0 && n > 0 || len(out) < minCount {
		return s.smb2Error(r, ntstatus.EndOfFile)
	}
	return s.smb2Reply(r, 0, r.sessionID, r.treeID, s.smb2ReadBody(out))
}

// smb2QueryInfo answers SMB2_0_INFO_FILE classes on an ADMIN$ open; pipes, file systems and
// security descriptors are NOT_SUPPORTED, as before QUERY_INFO was handled at all.
func (s *session) smb2QueryInfo(r *smb2Req) []byte {
	if len(r.body) < 40 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	infoType := r.body[2]                // InfoType
	class := r.body[3]                   // FileInfoClass
	outLen := int(le.Uint32(r.body[4:])) // OutputBufferLength
	fid := le.Uint64(r.body[24:])        // FileId.Persistent
	d, ok := s.diskFile(fid, r.treeID)
	if !ok {
		if _, open := s.files[fid]; open {
			return s.smb2Error(r, ntstatus.NotSupported)
		}
		return s.smb2Error(r, ntstatus.FileClosed)
	}
	if infoType != 0x01 { // SMB2_0_INFO_FILE
		return s.smb2Error(r, ntstatus.NotSupported)
	}
	info, minLen, st := fileInfo(d, class)
	if st != ntstatus.Success {
		return s.smb2Error(r, st)
	}
	info, st = fitInfo(info, minLen, min(outLen, 0x10000))
	if info == nil && st != ntstatus.Success {
		return s.smb2Error(r, st)
	}
	b := le.AppendUint16(nil, 9)              // StructureSize
	b = le.AppendUint16(b, smb2HeaderLen+8)   // OutputBufferOffset
	b = le.AppendUint32(b, uint32(len(info))) // OutputBufferLength
	b = append(b, info...)                    // Buffer
	return s.smb2Reply(r, st, r.sessionID, r.treeID, b)
}

// smb2CloseAttributes is a CLOSE response body with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB.
func smb2CloseAttributes(d *diskOpen) []byte {
	ft := adminFileTime()
	b := le.AppendUint16(nil, 60)  // StructureSize
	b = le.AppendUint16(b, 0x0001) // Flags: POSTQUERY_ATTRIB
	b = le.AppendUint32(b, 0)      // Reserved
	for i := 0; i < 4; i++ {       // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
		b = le.AppendUint64(b, ft)
	}
	b = le.AppendUint64(b, d.allocation()) // AllocationSize
	b = le.AppendUint64(b, d.size())       // EndofFile
	return le.AppendUint32(b, d.attributes())
}
