package smblab

import (
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// SMB2 commands (MS-SMB2 2.2.1.2).
const (
	smb2Negotiate      = 0x00
	smb2SessionSetup   = 0x01
	smb2Logoff         = 0x02
	smb2TreeConnect    = 0x03
	smb2TreeDisconnect = 0x04
	smb2Create         = 0x05
	smb2Close          = 0x06
	smb2Read           = 0x08
	smb2Write          = 0x09
	smb2Ioctl          = 0x0B
	smb2Echo           = 0x0D
	smb2QueryInfo      = 0x10

	smb2HeaderLen = 64

	fsctlPipeTransceive        = 0x0011C017
	fsctlValidateNegotiateInfo = 0x00140204
)

type smb2Req struct {
	cmd       uint16
	msgID     uint64
	credits   uint16
	pid       uint32
	treeID    uint32
	sessionID uint64
	body      []byte
	raw       []byte
}

func (s *session) smb2Reply(r *smb2Req, status ntstatus.Status, sessionID uint64, treeID uint32, body []byte) []byte {
	b := make([]byte, smb2HeaderLen, smb2HeaderLen+len(body))
	copy(b, "\xfeSMB")
	le.PutUint16(b[4:], smb2HeaderLen)      // StructureSize
	le.PutUint32(b[8:], uint32(status))     // Status
	le.PutUint16(b[12:], r.cmd)             // Command
	le.PutUint16(b[14:], max(r.credits, 1)) // CreditResponse
	le.PutUint32(b[16:], 0x00000001)        // Flags: SERVER_TO_REDIR
	le.PutUint64(b[24:], r.msgID)           // MessageId
	le.PutUint32(b[32:], r.pid)             // ProcessId (sync)
	le.PutUint32(b[36:], treeID)            // TreeId
	le.PutUint64(b[40:], sessionID)         // SessionId
	return append(b, body...)
}

func (s *session) smb2Error(r *smb2Req, status ntstatus.Status) []byte {
	body := []byte{9, 0, 0, 0, 0, 0, 0, 0, 0} // StructureSize 9, ErrorContextCount, Reserved, ByteCount, ErrorData
	return s.smb2Reply(r, status, r.sessionID, r.treeID, body)
}

func (s *session) handleSMB2(msg []byte) ([][]byte, action) {
	var out [][]byte
	refuse, signed := s.smb2CheckSignature(msg)
	// Compound requests: answer each, send the answers one after another.
	for n := 0; n < 8 && len(msg) > 0; n++ {
		if len(msg) < smb2HeaderLen || string(msg[:4]) != "\xfeSMB" {
			return out, action{close: true}
		}
		next := int(le.Uint32(msg[20:])) // NextCommand
		cur := msg
		if next != 0 {
			if next < smb2HeaderLen || next > len(msg) {
				return out, action{close: true}
			}
			cur, msg = msg[:next], msg[next:]
		} else {
			msg = nil
		}
		r := &smb2Req{
			cmd:       le.Uint16(cur[12:]),
			credits:   le.Uint16(cur[14:]),
			msgID:     le.Uint64(cur[24:]),
			pid:       le.Uint32(cur[32:]),
			treeID:    le.Uint32(cur[36:]),
			sessionID: le.Uint64(cur[40:]),
			body:      cur[smb2HeaderLen:],
			raw:       cur,
		}
		var reply []byte
		var act action
		if refuse != ntstatus.Success {
			reply = s.smb2Error(r, refuse)
		} else {
			reply, act = s.smb2Dispatch(r)
		}
		if reply != nil {
			s.smb2SignReply(reply, signed)
			out = append(out, reply)
		}
		if act.close || act.crash != "" {
			return out, act
		}
	}
	return out, action{}
}

func (s *session) smb2Dispatch(r *smb2Req) ([]byte, action) {
	if r.cmd == smb2Negotiate {
		if (s.smb2 && s.dialect != 0x02FF) || (s.negotiate && !s.smb2) {
			return nil, action{close: true}
		}
		return s.smb2Negotiate(r), action{}
	}
	if !s.smb2 || s.dialect == 0x02FF {
		return nil, action{close: true}
	}
	switch r.cmd {
	case smb2SessionSetup:
		return s.smb2SessionSetup(r), action{}
	case smb2Echo:
		return s.smb2Reply(r, 0, r.sessionID, r.treeID, []byte{4, 0, 0, 0}), action{}
	}
	u, ok := s.users[r.sessionID]
	if !ok || !u.done {
		return s.smb2Error(r, ntstatus.UserSessionDeleted), action{}
	}
	switch r.cmd {
	case smb2Logoff:
		delete(s.users, r.sessionID)
		return s.smb2Reply(r, 0, r.sessionID, 0, []byte{4, 0, 0, 0}), action{}
	case smb2TreeConnect:
		return s.smb2TreeConnect(r, u), action{}
	}
	t, ok := s.trees[r.treeID]
	if !ok || t.uid != r.sessionID {
		return s.smb2Error(r, ntstatus.NetworkNameDeleted), action{}
	}
	switch r.cmd {
	case smb2TreeDisconnect:
		s.disconnectTree(r.treeID)
		return s.smb2Reply(r, 0, r.sessionID, r.treeID, []byte{4, 0, 0, 0}), action{}
	case smb2Create:
		if t.admin {
			return s.smb2CreateDisk(r), action{}
		}
		return s.smb2Create(r, u), action{}
	case smb2Close:
		if len(r.body) < 24 {
			return s.smb2Error(r, ntstatus.InvalidParameter), action{}
		}
		fid := le.Uint64(r.body[8:]) // FileId.Persistent
		p, ok := s.files[fid]
		if !ok {
			return s.smb2Error(r, ntstatus.FileClosed), action{}
		}
		delete(s.files, fid)
		body := make([]byte, 60)
		le.PutUint16(body, 60) // StructureSize
		if d := p.disk; d != nil && le.Uint16(r.body[2:])&0x0001 != 0 {
			// SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB: the final attributes of the file.
			body = smb2CloseAttributes(d)
		}
		return s.smb2Reply(r, 0, r.sessionID, r.treeID, body), action{}
	case smb2Write:
		return s.smb2Write(r)
	case smb2Read:
		if t.admin {
			return s.smb2ReadDisk(r), action{}
		}
		return s.smb2Read(r), action{}
	case smb2QueryInfo:
		return s.smb2QueryInfo(r), action{}
	case smb2Ioctl:
		return s.smb2Ioctl(r)
	}
	return s.smb2Error(r, ntstatus.NotSupported), action{}
}

// smb2FromSMB1 answers a multi-protocol SMB1 NEGOTIATE with an SMB2 NEGOTIATE response when the
// client offers a dialect this personality speaks (MS-SMB2 3.3.5.3.1); nil otherwise.
func (s *session) smb2FromSMB1(dialects []string) []byte {
	if len(s.p.SMB2Dialects) == 0 {
		return nil
	}
	var want uint16
	for _, d := range dialects {
		switch {
		case d == "SMB 2.???" && s.maxDialect() > 0x0202:
			want = 0x02FF
		case d == "SMB 2.002" && want == 0:
			want = 0x0202
		}
	}
	if want == 0 {
		return nil
	}
	s.smb2, s.negotiate, s.dialect = true, true, want
	return s.smb2Reply(&smb2Req{cmd: smb2Negotiate}, 0, 0, 0, s.negotiateBody(want))
}

func (s *session) maxDialect() uint16 {
	var m uint16
	for _, d := range s.p.SMB2Dialects {
		m = max(m, d)
	}
	return m
}

func (s *session) negotiateBody(dialect uint16) []byte {
	secMode := uint16(0x01) // SIGNING_ENABLED
	if s.p.SigningRequired {
		secMode |= 0x02
	}
	caps := uint32(0)
	if dialect >= 0x0210 && dialect != 0x02FF {
		caps |= 0x02 | 0x04 // LEASING, LARGE_MTU
	}
	blob := negTokenInit()
	b := make([]byte, 0, 64+len(blob))
	b = le.AppendUint16(b, 65)                                // StructureSize
	b = le.AppendUint16(b, secMode)                           // SecurityMode
	b = le.AppendUint16(b, dialect)                           // DialectRevision
	b = le.AppendUint16(b, 0)                                 // NegotiateContextCount / Reserved
	b = append(b, s.guid[:]...)                               // ServerGuid
	b = le.AppendUint32(b, caps)                              // Capabilities
	b = le.AppendUint32(b, 0x10000)                           // MaxTransactSize
	b = le.AppendUint32(b, 0x10000)                           // MaxReadSize
	b = le.AppendUint32(b, 0x10000)                           // MaxWriteSize
	b = le.AppendUint64(b, ntlmssp.TimeToFileTime(s.now()))   // SystemTime
	b = le.AppendUint64(b, ntlmssp.TimeToFileTime(s.started)) // ServerStartTime
	b = le.AppendUint16(b, smb2HeaderLen+64)                  // SecurityBufferOffset
	b = le.AppendUint16(b, uint16(len(blob)))                 // SecurityBufferLength
	b = le.AppendUint32(b, 0)                                 // NegotiateContextOffset / Reserved2
	return append(b, blob...)
}

func (s *session) smb2Negotiate(r *smb2Req) []byte {
	if len(r.body) < 36 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	n := int(le.Uint16(r.body[2:])) // DialectCount
	list, ok := span(r.body, 36, 2*n)
	if !ok || n == 0 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	var best uint16
	for i := 0; i < n; i++ {
		d := le.Uint16(list[2*i:])
		for _, mine := range s.p.SMB2Dialects {
			if d == mine {
				best = max(best, d)
			}
		}
	}
	if best == 0 {
		return s.smb2Error(r, ntstatus.NotSupported)
	}
	s.smb2, s.negotiate, s.dialect = true, true, best
	return s.smb2Reply(r, 0, 0, 0, s.negotiateBody(best))
}

func (s *session) smb2SessionSetup(r *smb2Req) []byte {
	if len(r.body) < 24 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	off := int(le.Uint16(r.body[12:])) - smb2HeaderLen // SecurityBufferOffset
	n := int(le.Uint16(r.body[14:]))                   // SecurityBufferLength
	blob, ok := span(r.body, off, n)
	if !ok {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	var u *user
	sid := r.sessionID
	if existing, ok := s.users[sid]; ok && !existing.done {
		u = existing
	}
	out, status, nu := s.authenticate(u, blob)
	if status != ntstatus.Success && status != ntstatus.MoreProcessingRequired {
		if u != nil {
			delete(s.users, sid)
		}
		return s.smb2Error(r, status)
	}
	if u == nil {
		if len(s.users) >= maxUsers {
			return s.smb2Error(r, ntstatus.InsufficientResources)
		}
		sid = uint64(s.newID())<<32 | 0x0015
		s.users[sid] = nu
		u = nu
	}
	var flags uint16
	if status == ntstatus.Success && u.anonymous {
		flags = 0x0002 // SESSION_FLAG_IS_NULL
	}
	if status == ntstatus.Success {
		s.smb2StartSigning(u)
	}
	b := le.AppendUint16(nil, 9)             // StructureSize
	b = le.AppendUint16(b, flags)            // SessionFlags
	b = le.AppendUint16(b, smb2HeaderLen+8)  // SecurityBufferOffset
	b = le.AppendUint16(b, uint16(len(out))) // SecurityBufferLength
	b = append(b, out...)
	return s.smb2Reply(r, status, sid, 0, b)
}

func (s *session) smb2TreeConnect(r *smb2Req, u *user) []byte {
	if len(r.body) < 8 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	off := int(le.Uint16(r.body[4:])) - smb2HeaderLen // PathOffset
	n := int(le.Uint16(r.body[6:]))                   // PathLength
	raw, ok := span(r.body, off, n)
	if !ok {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	path, _ := utf16le.DecodeZ(raw)
	if st := s.treeAccess(u, shareName(path)); st != ntstatus.Success {
		return s.smb2Error(r, st)
	}
	if len(s.trees) >= maxTrees {
		return s.smb2Error(r, ntstatus.InsufficientResources)
	}
	tid := s.newID()
	if shareName(path) == adminShare {
		s.trees[tid] = &tree{uid: r.sessionID, admin: true}
		b := le.AppendUint16(nil, 16)      // StructureSize
		b = append(b, 0x01, 0)             // ShareType: DISK, Reserved
		b = le.AppendUint32(b, 0x00000030) // ShareFlags: NO_CACHING, as administrative shares
		b = le.AppendUint32(b, 0)          // Capabilities
		b = le.AppendUint32(b, 0x001f01ff) // MaximalAccess
		return s.smb2Reply(r, 0, r.sessionID, tid, b)
	}
	s.trees[tid] = &tree{uid: r.sessionID, ipc: true}
	b := le.AppendUint16(nil, 16)      // StructureSize
	b = append(b, 0x02, 0)             // ShareType: PIPE, Reserved
	b = le.AppendUint32(b, 0x00000030) // ShareFlags: NO_CACHING
	b = le.AppendUint32(b, 0)          // Capabilities
	b = le.AppendUint32(b, 0x001f01ff) // MaximalAccess
	return s.smb2Reply(r, 0, r.sessionID, tid, b)
}

func (s *session) smb2Create(r *smb2Req, u *user) []byte {
	if len(r.body) < 56 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	off := int(le.Uint16(r.body[44:])) - smb2HeaderLen // NameOffset
	n := int(le.Uint16(r.body[46:]))                   // NameLength
	raw, ok := span(r.body, off, n)
	if !ok {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	name, _ := utf16le.DecodeZ(raw)
	fid, st := s.openPipe(u, r.treeID, name)
	if st != ntstatus.Success {
		return s.smb2Error(r, st)
	}
	ft := ntlmssp.TimeToFileTime(s.started)
	b := le.AppendUint16(nil, 89) // StructureSize
	b = append(b, 0, 0)           // OplockLevel, Flags
	b = le.AppendUint32(b, 1)     // CreateAction: FILE_OPENED
	for i := 0; i < 4; i++ {      // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
		b = le.AppendUint64(b, ft)
	}
	b = le.AppendUint64(b, 4096) // AllocationSize
	b = le.AppendUint64(b, 0)    // EndofFile
	b = le.AppendUint32(b, 0x80) // FileAttributes: NORMAL
	b = le.AppendUint32(b, 0)    // Reserved2
	b = le.AppendUint64(b, fid)  // FileId.Persistent
	b = le.AppendUint64(b, fid)  // FileId.Volatile
	b = le.AppendUint32(b, 0)    // CreateContextsOffset
	b = le.AppendUint32(b, 0)    // CreateContextsLength
	return s.smb2Reply(r, 0, r.sessionID, r.treeID, b)
}

func (s *session) smb2Write(r *smb2Req) ([]byte, action) {
	if len(r.body) < 48 {
		return s.smb2Error(r, ntstatus.InvalidParameter), action{}
	}
	off := int(le.Uint16(r.body[2:])) - smb2HeaderLen // DataOffset
	n := int(le.Uint32(r.body[4:]))                   // Length
	fid := le.Uint64(r.body[16:])                     // FileId.Persistent
	data, ok := span(r.body, off, n)
	if !ok {
		return s.smb2Error(r, ntstatus.InvalidParameter), action{}
	}
	p, open := s.files[fid]
	if !open {
		return s.smb2Error(r, ntstatus.FileClosed), action{}
	}
	if p.rpc == nil {
		return s.smb2Error(r, ntstatus.AccessDenied), action{} // ADMIN$ is read-only
	}
	if crash := p.rpc.write(data); crash != "" {
		return nil, action{crash: crash}
	}
	b := le.AppendUint16(nil, 17)     // StructureSize
	b = le.AppendUint16(b, 0)         // Reserved
	b = le.AppendUint32(b, uint32(n)) // Count
	b = le.AppendUint32(b, 0)         // Remaining
	b = le.AppendUint32(b, 0)         // WriteChannelInfoOffset, WriteChannelInfoLength
	return s.smb2Reply(r, 0, r.sessionID, r.treeID, b), action{}
}

func (s *session) smb2ReadBody(data []byte) []byte {
	b := le.AppendUint16(nil, 17)             // StructureSize
	b = append(b, smb2HeaderLen+16, 0)        // DataOffset, Reserved
	b = le.AppendUint32(b, uint32(len(data))) // DataLength
	b = le.AppendUint32(b, 0)                 // DataRemaining
	b = le.AppendUint32(b, 0)                 // Reserved2
	return append(b, data...)
}

func (s *session) smb2Read(r *smb2Req) []byte {
	if len(r.body) < 48 {
		return s.smb2Error(r, ntstatus.InvalidParameter)
	}
	n := int(le.Uint32(r.body[4:])) // Length
	fid := le.Uint64(r.body[16:])   // FileId.Persistent
	p, open := s.files[fid]
	if !open || p.rpc == nil {
		return s.smb2Error(r, ntstatus.FileClosed)
	}
	out, more := p.rpc.read(min(n, 0x10000))
	if out == nil {
		return s.smb2Error(r, ntstatus.PipeEmpty)
	}
	st := ntstatus.Success
	if more {
		st = ntstatus.BufferOverflow
	}
	return s.smb2Reply(r, st, r.sessionID, r.treeID, s.smb2ReadBody(out))
}

func (s *session) smb2Ioctl(r *smb2Req) ([]byte, action) {
	if len(r.body) < 56 {
		return s.smb2Error(r, ntstatus.InvalidParameter), action{}
	}
	ctl := le.Uint32(r.body[4:])                         // CtlCode
	fid := le.Uint64(r.body[8:])                         // FileId.Persistent
	inOff := int(le.Uint32(r.body[24:])) - smb2HeaderLen // InputOffset
	inLen := int(le.Uint32(r.body[28:]))                 // InputCount
	maxOut := int(le.Uint32(r.body[44:]))                // MaxOutputResponse
	in, ok := span(r.body, inOff, inLen)
	if !ok {
		return s.smb2Error(r, ntstatus.InvalidParameter), action{}
	}
	var out []byte
	st := ntstatus.Success
	switch ctl {
	case fsctlPipeTransceive:
		p, open := s.files[fid]
		if !open {
			return s.smb2Error(r, ntstatus.FileClosed), action{}
		}
		if p.rpc == nil {
			return s.smb2Error(r, ntstatus.InvalidDeviceRequest), action{}
		}
		if crash := p.rpc.write(in); crash != "" {
			return nil, action{crash: crash}
		}
		var more bool
		out, more = p.rpc.read(min(maxOut, 0x10000))
		if more {
			st = ntstatus.BufferOverflow
		}
	case fsctlValidateNegotiateInfo:
		secMode := uint16(0x01)
		if s.p.SigningRequired {
			secMode |= 0x02
		}
		out = le.AppendUint32(nil, 0)   // Capabilities
		out = append(out, s.guid[:]...) // Guid
		out = le.AppendUint16(out, secMode)
		out = le.AppendUint16(out, s.dialect)
	default:
		return s.smb2Error(r, ntstatus.NotSupported), action{}
	}
	b := le.AppendUint16(nil, 49)            // StructureSize
	b = le.AppendUint16(b, 0)                // Reserved
	b = le.AppendUint32(b, ctl)              // CtlCode
	b = append(b, r.body[8:24]...)           // FileId
	b = le.AppendUint32(b, smb2HeaderLen+48) // InputOffset
	b = le.AppendUint32(b, 0)                // InputCount
	b = le.AppendUint32(b, smb2HeaderLen+48) // OutputOffset
	b = le.AppendUint32(b, uint32(len(out))) // OutputCount
	b = le.AppendUint32(b, 0)                // Flags
	b = le.AppendUint32(b, 0)                // Reserved2
	b = append(b, out...)
	return s.smb2Reply(r, st, r.sessionID, r.treeID, b), action{}
}
