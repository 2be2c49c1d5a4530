package smblab

import (
	"bytes"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// SMB1 commands (MS-CIFS 2.2.2.1).
const (
	smbClose          = 0x04
	smbTransaction    = 0x25
	smbEcho           = 0x2B
	smbReadAndX       = 0x2E
	smbWriteAndX      = 0x2F
	smbTransaction2   = 0x32
	smbTreeDisconnect = 0x71
	smbNegotiate      = 0x72
	smbSessionSetup   = 0x73
	smbLogoffAndX     = 0x74
	smbTreeConnect    = 0x75
	smbNTCreateAndX   = 0xA2
)

// SMB1 Flags2 bits.
const (
	flags2LongNames = 0x0001
	flags2ExtSec    = 0x0800
	flags2NTStatus  = 0x4000
	flags2Unicode   = 0x8000
)

const smb1HeaderLen = 32

// smb1Req is a parsed SMB1 request: header fields, parameter words and data bytes.
type smb1Req struct {
	raw     []byte
	cmd     byte
	flags2  uint16
	pidHigh uint16
	tid     uint16
	pid     uint16
	uid     uint16
	mid     uint16
	words   []byte
	data    []byte
	dataOff int // offset of data from the start of the header (for alignment and offsets)
}

func (r *smb1Req) unicode() bool { return r.flags2&flags2Unicode != 0 }

func parseSMB1(b []byte) (*smb1Req, error) {
	if len(b) < smb1HeaderLen+3 {
		return nil, fmt.Errorf("%w: SMB1 message of %d bytes", ErrTruncated, len(b))
	}
	r := &smb1Req{
		raw:     b,
		cmd:     b[4],
		flags2:  le.Uint16(b[10:]), // Flags2
		pidHigh: le.Uint16(b[12:]), // PIDHigh
		tid:     le.Uint16(b[24:]), // TID
		pid:     le.Uint16(b[26:]), // PIDLow
		uid:     le.Uint16(b[28:]), // UID
		mid:     le.Uint16(b[30:]), // MID
	}
	wc := int(b[32]) // WordCount
	words, ok := span(b, 33, 2*wc)
	if !ok {
		return nil, fmt.Errorf("%w: WordCount %d", ErrTruncated, wc)
	}
	bcb, ok := span(b, 33+2*wc, 2)
	if !ok {
		return nil, fmt.Errorf("%w: ByteCount", ErrTruncated)
	}
	bc := int(le.Uint16(bcb))
	r.dataOff = 35 + 2*wc
	data, ok := span(b, r.dataOff, bc)
	if !ok {
		// Some clients undercount; Windows trusts the frame. Take what is there.
		data = b[r.dataOff:]
	}
	r.words, r.data = words, data
	return r, nil
}

// smb1Reply builds a response to r with the given status, parameter words and data.
func (s *session) smb1Reply(r *smb1Req, status ntstatus.Status, uid uint16, words, data []byte) []byte {
	b := make([]byte, smb1HeaderLen, smb1HeaderLen+3+len(words)+len(data))
	copy(b, "\xffSMB")
	b[4] = r.cmd
	le.PutUint32(b[5:], uint32(status)) // Status
	b[9] = 0x88                         // Flags: REPLY | CASE_INSENSITIVE, as XP sends
	f2 := uint16(flags2LongNames|flags2NTStatus) | r.flags2&flags2Unicode
	if s.extSec {
		f2 |= flags2ExtSec
	}
	le.PutUint16(b[10:], f2)        // Flags2
	le.PutUint16(b[12:], r.pidHigh) // PIDHigh
	le.PutUint16(b[24:], r.tid)     // TID
	le.PutUint16(b[26:], r.pid)     // PIDLow
	le.PutUint16(b[28:], uid)       // UID
	le.PutUint16(b[30:], r.mid)     // MID
	b = append(b, byte(len(words)/2))
	b = append(b, words...)
	b = le.AppendUint16(b, uint16(len(data))) // ByteCount
	return append(b, data...)
}

func (s *session) smb1Error(r *smb1Req, status ntstatus.Status) [][]byte {
	return [][]byte{s.smb1Reply(r, status, r.uid, nil, nil)}
}

// smb1String encodes a string for the data area at absolute offset off: UTF-16 (aligned) when
// the client asked for Unicode, OEM otherwise.
func smb1String(unicode bool, off int, str string) []byte {
	if !unicode {
		return asciiz(str)
	}
	var b []byte
	if off%2 == 1 {
		b = append(b, 0)
	}
	return append(b, utf16le.EncodeZ(str)...)
}

// readSMB1String reads a string from r.data at index i (Unicode strings are aligned relative
// to the header) and returns it and the index after it.
func readSMB1String(r *smb1Req, i int) (string, int) {
	if i > len(r.data) {
		return "", len(r.data)
	}
	if !r.unicode() {
		s, n := decodeASCIIZ(r.data[i:])
		return s, i + n
	}
	if (r.dataOff+i)%2 == 1 && i < len(r.data) {
		i++
	}
	s, n := utf16le.DecodeZ(r.data[i:])
	return s, i + n
}

func (s *session) dispatchSMB1(msg []byte) ([][]byte, action) {
	r, err := parseSMB1(msg)
	if err != nil {
		return nil, action{close: true}
	}
	if r.cmd != smbNegotiate && !s.negotiate {
		return nil, action{close: true}
	}
	switch r.cmd {
	case smbNegotiate:
		return s.smb1Negotiate(r)
	case smbSessionSetup:
		return s.smb1SessionSetup(r), action{}
	case smbLogoffAndX:
		delete(s.users, uint64(r.uid))
		return [][]byte{s.smb1Reply(r, 0, r.uid, andxNone(), nil)}, action{}
	case smbEcho:
		if len(r.words) < 2 {
			return s.smb1Error(r, ntstatus.InvalidParameter), action{}
		}
		return [][]byte{s.smb1Reply(r, 0, r.uid, le.AppendUint16(nil, 1), r.data)}, action{}
	}
	// Everything below needs a logged-on user.
	u, ok := s.users[uint64(r.uid)]
	if !ok || !u.done {
		return s.smb1Error(r, ntstatus.SMBBadUID), action{}
	}
	if r.cmd == smbTreeConnect {
		return s.smb1TreeConnect(r, u), action{}
	}
	t, ok := s.trees[uint32(r.tid)]
	if !ok || t.uid != uint64(r.uid) {
		return s.smb1Error(r, ntstatus.SMBBadTID), action{}
	}
	switch r.cmd {
	case smbTreeDisconnect:
		s.disconnectTree(uint32(r.tid))
		return [][]byte{s.smb1Reply(r, 0, r.uid, nil, nil)}, action{}
	case smbNTCreateAndX:
		if t.admin {
			return s.smb1CreateDisk(r), action{}
		}
		return s.smb1Create(r, u), action{}
	case smbClose:
		if len(r.words) < 2 {
			return s.smb1Error(r, ntstatus.InvalidParameter), action{}
		}
		fid := uint64(le.Uint16(r.words))
		if _, ok := s.files[fid]; !ok {
			return s.smb1Error(r, ntstatus.InvalidHandle), action{}
		}
		delete(s.files, fid)
		return [][]byte{s.smb1Reply(r, 0, r.uid, nil, nil)}, action{}
	case smbTransaction:
		return s.smb1Transaction(r)
	case smbWriteAndX:
		return s.smb1Write(r)
	case smbReadAndX:
		if t.admin {
			return s.smb1ReadDisk(r), action{}
		}
		return s.smb1Read(r), action{}
	case smbTransaction2:
		if t.admin {
			return s.smb1Trans2(r), action{}
		}
		// No TRANS2 on IPC$ here; a clean host also answers DoublePulsar's probe this way.
		return s.smb1Error(r, ntstatus.NotImplemented), action{}
	}
	return s.smb1Error(r, ntstatus.SMBBadCommand), action{}
}

func andxNone() []byte { return []byte{0xFF, 0, 0, 0} } // AndXCommand none, reserved, offset 0

// smb1WithoutSMB1 is an SMB2-only server receiving an SMB1 NEGOTIATE: it answers with SMB2 when
// the client offers an SMB2 dialect and drops the connection otherwise (Windows 8.1+ with
// SMB1 disabled).
func (s *session) smb1WithoutSMB1(msg []byte) ([][]byte, action) {
	r, err := parseSMB1(msg)
	if err != nil || r.cmd != smbNegotiate {
		return nil, action{close: true}
	}
	d := parseDialects(r.data)
	if reply := s.smb2FromSMB1(d); reply != nil {
		return [][]byte{reply}, action{}
	}
	return nil, action{close: true}
}

func parseDialects(b []byte) []string {
	var out []string
	for len(b) > 0 && len(out) < 64 {
		if b[0] != 0x02 { // BufferFormat: dialect string
			break
		}
		str, n := decodeASCIIZ(b[1:])
		out = append(out, str)
		b = b[1+n:]
	}
	return out
}

func (s *session) smb1Negotiate(r *smb1Req) ([][]byte, action) {
	if s.negotiate {
		// A second NEGOTIATE on a connection is a protocol error; Windows disconnects.
		return nil, action{close: true}
	}
	d := parseDialects(r.data)
	if reply := s.smb2FromSMB1(d); reply != nil {
		return [][]byte{reply}, action{}
	}
	idx := -1
	for i, name := range d {
		if name == "NT LM 0.12" {
			idx = i
		}
	}
	s.negotiate = true
	if idx < 0 {
		// No dialect in common: DialectIndex 0xFFFF, WordCount 1.
		return [][]byte{s.smb1Reply(r, 0, 0, []byte{0xFF, 0xFF}, nil)}, action{}
	}
	s.extSec = r.flags2&flags2ExtSec != 0 && !s.p.BasicSecurityOnly
	nt6 := s.p.NTLMVersion.Major >= 6

	secMode := byte(0x03) // NEGOTIATE_USER_SECURITY | NEGOTIATE_ENCRYPT_PASSWORDS
	if s.p.SigningEnabled || s.p.SigningRequired {
		secMode |= 0x04
	}
	if s.p.SigningRequired {
		secMode |= 0x08
	}
	caps := uint32(0x0000e3fd) // XP's capture: UNICODE, LARGE_FILES, NT_SMBS, RPC_REMOTE_APIS, NT_STATUS, ...
	maxMpx, maxBuf := uint16(10), uint32(4356)
	if nt6 {
		caps, maxMpx, maxBuf = 0x0001f3fc, 50, 16644
	}
	if s.extSec {
		caps |= 0x80000000 // CAP_EXTENDED_SECURITY
	}
	w := make([]byte, 0, 34)
	w = le.AppendUint16(w, uint16(idx)) // DialectIndex
	w = append(w, secMode)              // SecurityMode
	w = le.AppendUint16(w, maxMpx)      // MaxMpxCount
	w = le.AppendUint16(w, 1)           // MaxNumberVcs
	w = le.AppendUint32(w, maxBuf)      // MaxBufferSize
	w = le.AppendUint32(w, 65536)       // MaxRawSize
	w = le.AppendUint32(w, 0)           // SessionKey
	w = le.AppendUint32(w, caps)        // Capabilities
	w = le.AppendUint64(w, ntlmssp.TimeToFileTime(s.now()))
	w = le.AppendUint16(w, 0) // ServerTimeZone (UTC)
	var data []byte
	if s.extSec {
		w = append(w, 0) // ChallengeLength
		data = append(data, s.guid[:]...)
		if s.p.NegotiateBlob {
			data = append(data, negTokenInit()...)
		}
	} else {
		w = append(w, 8) // ChallengeLength
		data = append(data, s.chal[:]...)
		// DomainName and ServerName are always Unicode here; nmap decodes them so.
		data = append(data, utf16le.EncodeZ(s.p.Workgroup)...)
		data = append(data, utf16le.EncodeZ(s.p.Computer)...)
	}
	return [][]byte{s.smb1Reply(r, 0, 0, w, data)}, action{}
}

// smb1SessionSetup handles both forms: WordCount 12 (extended security, NTLMSSP) and 13
// (basic security, passwords in the clear structure).
func (s *session) smb1SessionSetup(r *smb1Req) [][]byte {
	switch len(r.words) {
	case 24, 26:
		s.clientMaxBuf = le.Uint16(r.words[4:]) // MaxBufferSize
		capsAt := 20                            // Capabilities, after SecurityBlobLength
		if len(r.words) == 26 {
			capsAt = 22 // after the two password lengths
		}
		s.clientLargeRead = le.Uint32(r.words[capsAt:])&capLargeReadX != 0
	}
	switch len(r.words) {
	case 24:
		if !s.extSec {
			return s.smb1Error(r, ntstatus.LogonFailure)
		}
		return s.smb1SessionSetupExt(r)
	case 26:
		return s.smb1SessionSetupBasic(r)
	}
	return s.smb1Error(r, ntstatus.InvalidParameter)
}

// osStrings is the tail of a SESSION_SETUP_ANDX response: NativeOS, NativeLanMan, PrimaryDomain.
func (s *session) osStrings(r *smb1Req, off int) []byte {
	var b []byte
	for _, str := range []string{s.p.NativeOS, s.p.NativeLANMan, s.p.Workgroup} {
		b = append(b, smb1String(r.unicode(), off+len(b), str)...)
	}
	return b
}

func (s *session) smb1SessionSetupBasic(r *smb1Req) [][]byte {
	oemLen := int(le.Uint16(r.words[14:])) // OEMPasswordLen
	uniLen := int(le.Uint16(r.words[16:])) // UnicodePasswordLen
	if oemLen+uniLen > len(r.data) || oemLen > 24 || uniLen > 1024 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	account, _ := readSMB1String(r, oemLen+uniLen)
	nullPW := uniLen == 0 && (oemLen == 0 || (oemLen == 1 && r.data[0] == 0))
	if account != "" || !nullPW {
		// Only null sessions are offered in basic security: named accounts use NTLMSSP.
		return s.smb1Error(r, ntstatus.LogonFailure)
	}
	if !s.p.NullSession {
		return s.smb1Error(r, ntstatus.AccessDenied)
	}
	if len(s.users) >= maxUsers {
		return s.smb1Error(r, ntstatus.InsufficientResources)
	}
	uid := s.newID()
	s.users[uint64(uid)] = &user{anonymous: true, done: true}
	w := append(andxNone(), 0, 0) // Action
	data := s.osStrings(r, smb1HeaderLen+1+len(w)+2)
	return [][]byte{s.smb1Reply(r, 0, uint16(uid), w, data)}
}

func (s *session) smb1SessionSetupExt(r *smb1Req) [][]byte {
	blobLen := int(le.Uint16(r.words[14:])) // SecurityBlobLength
	blob, ok := span(r.data, 0, blobLen)
	if !ok {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	var u *user
	uid := r.uid
	if existing, ok := s.users[uint64(uid)]; ok && !existing.done {
		u = existing
	}
	out, status, nu := s.authenticate(u, blob)
	if status != ntstatus.Success && status != ntstatus.MoreProcessingRequired {
		if u != nil {
			delete(s.users, uint64(uid))
		}
		return s.smb1Error(r, status)
	}
	if u == nil {
		if len(s.users) >= maxUsers {
			return s.smb1Error(r, ntstatus.InsufficientResources)
		}
		uid = uint16(s.newID())
		s.users[uint64(uid)] = nu
	} else if status == ntstatus.Success {
		s.smb1StartSigning(r, u)
	}
	w := append(andxNone(), 0, 0)            // Action
	w = le.AppendUint16(w, uint16(len(out))) // SecurityBlobLength
	off := smb1HeaderLen + 1 + len(w) + 2 + len(out)
	data := append(append([]byte(nil), out...), s.osStrings(r, off)...)
	return [][]byte{s.smb1Reply(r, status, uid, w, data)}
}

// authenticate runs one NTLMSSP leg for a pending user u (nil: a new logon). It returns the
// security blob to send, the status, and for a first leg the new pending user.
func (s *session) authenticate(u *user, blob []byte) ([]byte, ntstatus.Status, *user) {
	i := bytes.Index(blob, []byte(ntlmssp.Signature))
	if i < 0 {
		return nil, ntstatus.LogonFailure, nil
	}
	spnego := i > 0
	tok := blob[i:]
	typ, err := ntlmssp.PeekType(tok)
	if err != nil {
		return nil, ntstatus.InvalidParameter, nil
	}
	switch {
	case typ == ntlmssp.TypeNegotiate && u == nil:
		neg, err := ntlmssp.DecodeNegotiate(tok)
		if err != nil {
			return nil, ntstatus.InvalidParameter, nil
		}
		info := ntlmssp.ServerInfo{
			NetBIOSComputer: s.p.Computer, NetBIOSDomain: s.p.Workgroup,
			DNSComputer: s.p.DNSComputer, DNSDomain: s.p.DNSDomain,
			Version: s.p.NTLMVersion,
		}
		if s.p.NTLMTimestamp {
			info.Timestamp = s.now()
		}
		ch := ntlmssp.NewChallenge(neg, info, s.chal)
		out := ch.Encode()
		if spnego {
			out = negTokenResp(1, out)
		}
		return out, ntstatus.MoreProcessingRequired, &user{spnego: spnego, negMsg: tok, chalMsg: ch}
	case typ == ntlmssp.TypeAuthenticate && u != nil:
		auth, err := ntlmssp.DecodeAuthenticate(tok)
		if err != nil {
			return nil, ntstatus.InvalidParameter, nil
		}
		var done []byte
		if u.spnego {
			done = negTokenResp(0, nil)
		}
		if auth.IsAnonymous() {
			if !s.p.NullSession {
				return nil, ntstatus.AccessDenied, nil
			}
			u.anonymous, u.done = true, true
			return done, ntstatus.Success, nil
		}
		if s.sam != nil {
			return s.samLogon(u, auth, done) // samr.go: every SAM account, with lockout
		}
		if s.p.Account == nil {
			return nil, ntstatus.LogonFailure, nil
		}
		acct := ntlmssp.Account{User: s.p.Account.User, Domain: s.p.Computer, Hash: ntlmssp.NTHash(s.p.Account.Password)}
		res, err := ntlmssp.VerifyNTLMv2(auth, s.chal, acct)
		if err != nil {
			return nil, ntstatus.LogonFailure, nil
		}
		u.done = true
		u.key = append([]byte(nil), res.ExportedSessionKey[:]...)
		return done, ntstatus.Success, nil
	}
	return nil, ntstatus.LogonFailure, nil
}

func (s *session) smb1TreeConnect(r *smb1Req, u *user) [][]byte {
	if len(r.words) < 8 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	flags := le.Uint16(r.words[4:])      // Flags
	pwLen := int(le.Uint16(r.words[6:])) // PasswordLength
	if pwLen > len(r.data) {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	path, next := readSMB1String(r, pwLen)
	share := shareName(path)
	status := s.treeAccess(u, share)
	if status != ntstatus.Success {
		return s.smb1Error(r, status)
	}
	if share == adminShare {
		// Service is always OEM: "A:" for a disk, "?????" for any.
		if svc, _ := decodeASCIIZ(r.data[min(next, len(r.data)):]); svc != "A:" && svc != "?????" {
			return s.smb1Error(r, ntstatus.BadDeviceType)
		}
	}
	if len(s.trees) >= maxTrees {
		return s.smb1Error(r, ntstatus.InsufficientResources)
	}
	tid := s.newID()
	if share == adminShare {
		s.trees[tid] = &tree{uid: uint64(r.uid), admin: true}
		rr := *r
		rr.tid = uint16(tid)
		return [][]byte{s.smb1Reply(&rr, 0, r.uid, adminTreeWords(flags), adminTreeData(r.unicode()))}
	}
	s.trees[tid] = &tree{uid: uint64(r.uid), ipc: true}
	w := append(andxNone(), 0, 0) // OptionalSupport
	if flags&0x0008 != 0 {        // TREE_CONNECT_ANDX_EXTENDED_RESPONSE
		w = le.AppendUint32(w, 0x001f01ff) // MaximalShareAccessRights
		w = le.AppendUint32(w, 0)          // GuestMaximalShareAccessRights
	}
	data := []byte("IPC\x00")
	if r.unicode() {
		data = append(data, 0, 0) // NativeFileSystem ""
	} else {
		data = append(data, 0)
	}
	rr := *r
	rr.tid = uint16(tid)
	return [][]byte{s.smb1Reply(&rr, 0, r.uid, w, data)}
}

// treeAccess decides a TREE_CONNECT: IPC$, and ADMIN$ for a personality's administrator.
func (s *session) treeAccess(u *user, share string) ntstatus.Status {
	if share != "IPC$" {
		switch {
		case u.anonymous:
			return ntstatus.AccessDenied
		case share == adminShare && s.p.Account != nil:
			return ntstatus.Success // only Account can log on by name
		}
		return ntstatus.BadNetworkName
	}
	if u.anonymous && !s.p.AnonIPC {
		return ntstatus.AccessDenied
	}
	return ntstatus.Success
}

// pipeAccess decides an open of a named pipe on IPC$.
func (s *session) pipeAccess(u *user, name string) ntstatus.Status {
	switch name {
	case "browser":
		if s.p.BrowserDisabled {
			return ntstatus.ObjectNameNotFound
		}
	case "srvsvc":
	case "winreg":
		if s.p.Registry == nil || s.p.Registry.Off {
			return ntstatus.ObjectNameNotFound // the Remote Registry service is not running
		}
	case "samr":
		if s.sam == nil {
			return ntstatus.ObjectNameNotFound
		}
	default:
		return ntstatus.ObjectNameNotFound
	}
	if !u.anonymous {
		return ntstatus.Success
	}
	if st, ok := s.p.AnonPipes[name]; ok {
		return st
	}
	return ntstatus.AccessDenied
}

func (s *session) openPipe(u *user, tid uint32, name string) (uint64, ntstatus.Status) {
	name = pipeName(name)
	if st := s.pipeAccess(u, name); st != ntstatus.Success {
		return 0, st
	}
	if len(s.files) >= maxFiles {
		return 0, ntstatus.TooManyOpenedFiles
	}
	fid := uint64(s.newID())
	s.files[fid] = &pipe{name: name, tid: tid, rpc: newRPCPipe(s, name)}
	return fid, ntstatus.Success
}

func (s *session) smb1Create(r *smb1Req, u *user) [][]byte {
	if len(r.words) < 48 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	fid, st := s.openPipe(u, uint32(r.tid), smb1CreateName(r))
	if st != ntstatus.Success {
		return s.smb1Error(r, st)
	}
	ft := ntlmssp.TimeToFileTime(s.started)
	w := andxNone()
	w = append(w, 0)                    // OplockLevel
	w = le.AppendUint16(w, uint16(fid)) // FID
	w = le.AppendUint32(w, 1)           // CreateDisposition: FILE_OPEN
	for j := 0; j < 4; j++ {            // CreationTime, LastAccessTime, LastWriteTime, ChangeTime
		w = le.AppendUint64(w, ft)
	}
	w = le.AppendUint32(w, 0x80)   // ExtFileAttributes: NORMAL
	w = le.AppendUint64(w, 4096)   // AllocationSize
	w = le.AppendUint64(w, 0)      // EndOfFile
	w = le.AppendUint16(w, 2)      // ResourceType: FileTypeMessageModePipe
	w = le.AppendUint16(w, 0x05ff) // NMPipeStatus: message type, message read mode, ICount 255
	w = append(w, 0)               // Directory
	return [][]byte{s.smb1Reply(r, 0, r.uid, w, nil)}
}

// Named pipe transaction subcommands (MS-CIFS 2.2.5).
const (
	transPeekNmPipe     = 0x0023
	transTransactNmPipe = 0x0026
)

func (s *session) smb1Transaction(r *smb1Req) ([][]byte, action) {
	if len(r.words) < 28 {
		return s.smb1Error(r, ntstatus.InvalidParameter), action{}
	}
	maxData := int(le.Uint16(r.words[6:]))    // MaxDataCount
	dataCount := int(le.Uint16(r.words[22:])) // DataCount
	dataOff := int(le.Uint16(r.words[24:]))   // DataOffset
	totalData := int(le.Uint16(r.words[2:]))  // TotalDataCount
	setupCount := int(r.words[26])            // SetupCount
	setup, ok := span(r.words, 28, 2*setupCount)
	if !ok || setupCount < 2 {
		return s.smb1Error(r, ntstatus.NotImplemented), action{}
	}
	data, ok := span(r.raw, dataOff, dataCount)
	if !ok || totalData > dataCount {
		// Secondary transactions are not needed by any client of the lab.
		return s.smb1Error(r, ntstatus.InvalidParameter), action{}
	}
	fn, fid := le.Uint16(setup), uint64(le.Uint16(setup[2:]))
	p, open := s.files[fid]
	open = open && p.rpc != nil // a file on ADMIN$ is no pipe
	switch fn {
	case transPeekNmPipe:
		if !open {
			if fid == 0 && s.p.MS17010 != 0 {
				// The MS17-010 tell: unpatched srv.sys answers FID 0 with 0xC0000205.
				return s.smb1Error(r, s.p.MS17010), action{}
			}
			return s.smb1Error(r, ntstatus.InvalidHandle), action{}
		}
		params := le.AppendUint16(nil, uint16(min(p.rpc.available(), 0xFFFF))) // ReadDataAvailable
		params = le.AppendUint16(params, uint16(min(p.rpc.nextLen(), 0xFFFF))) // MessageBytesLength
		params = le.AppendUint16(params, 3)                                    // NamedPipeState: connected
		return [][]byte{s.transReply(r, 0, params, nil)}, action{}
	case transTransactNmPipe:
		if !open {
			return s.smb1Error(r, ntstatus.InvalidHandle), action{}
		}
		if crash := p.rpc.write(data); crash != "" {
			return nil, action{crash: crash}
		}
		out, more := p.rpc.read(maxData)
		st := ntstatus.Success
		if more {
			st = ntstatus.BufferOverflow
		}
		return [][]byte{s.transReply(r, st, nil, out)}, action{}
	}
	return s.smb1Error(r, ntstatus.NotImplemented), action{}
}

func (s *session) transReply(r *smb1Req, st ntstatus.Status, params, data []byte) []byte {
	const wordsLen = 20
	start := smb1HeaderLen + 1 + wordsLen + 2
	pOff := align(start, 4)
	dOff := align(pOff+len(params), 4)
	w := make([]byte, 0, wordsLen)
	w = le.AppendUint16(w, uint16(len(params))) // TotalParameterCount
	w = le.AppendUint16(w, uint16(len(data)))   // TotalDataCount
	w = le.AppendUint16(w, 0)                   // Reserved1
	w = le.AppendUint16(w, uint16(len(params))) // ParameterCount
	w = le.AppendUint16(w, uint16(pOff))        // ParameterOffset
	w = le.AppendUint16(w, 0)                   // ParameterDisplacement
	w = le.AppendUint16(w, uint16(len(data)))   // DataCount
	w = le.AppendUint16(w, uint16(dOff))        // DataOffset
	w = le.AppendUint16(w, 0)                   // DataDisplacement
	w = append(w, 0, 0)                         // SetupCount, Reserved2
	b := make([]byte, dOff-start+len(data))
	copy(b[pOff-start:], params)
	copy(b[dOff-start:], data)
	return s.smb1Reply(r, st, r.uid, w, b)
}

func align(n, a int) int { return (n + a - 1) / a * a }

func (s *session) smb1Write(r *smb1Req) ([][]byte, action) {
	if len(r.words) < 24 {
		return s.smb1Error(r, ntstatus.InvalidParameter), action{}
	}
	fid := uint64(le.Uint16(r.words[4:]))   // FID
	mode := le.Uint16(r.words[14:])         // WriteMode
	n := int(le.Uint16(r.words[20:]))       // DataLength
	n |= int(le.Uint16(r.words[18:])) << 16 // DataLengthHigh
	off := int(le.Uint16(r.words[22:]))     // DataOffset
	data, ok := span(r.raw, off, n)
	if !ok {
		return s.smb1Error(r, ntstatus.InvalidParameter), action{}
	}
	p, open := s.files[fid]
	if !open {
		return s.smb1Error(r, ntstatus.InvalidHandle), action{}
	}
	if p.rpc == nil {
		return s.smb1Error(r, ntstatus.AccessDenied), action{} // ADMIN$ is read-only
	}
	if mode&0x000C == 0x000C && len(data) >= 2 {
		// RAW_MODE | MSG_START: the first two bytes are the message length.
		data = data[2:]
	}
	if crash := p.rpc.write(data); crash != "" {
		return nil, action{crash: crash}
	}
	w := andxNone()
	w = le.AppendUint16(w, uint16(n))     // Count
	w = le.AppendUint16(w, 0xFFFF)        // Available: pipe
	w = le.AppendUint16(w, uint16(n>>16)) // CountHigh
	w = le.AppendUint16(w, 0)             // Reserved
	return [][]byte{s.smb1Reply(r, 0, r.uid, w, nil)}, action{}
}

func (s *session) smb1Read(r *smb1Req) [][]byte {
	if len(r.words) < 20 {
		return s.smb1Error(r, ntstatus.InvalidParameter)
	}
	fid := uint64(le.Uint16(r.words[4:])) // FID
	max := int(le.Uint16(r.words[10:]))   // MaxCountOfBytesToReturn
	p, open := s.files[fid]
	if !open || p.rpc == nil {
		return s.smb1Error(r, ntstatus.InvalidHandle)
	}
	if max == 0 {
		max = 0xFFFF
	}
	out, more := p.rpc.read(min(max, 0xFF00))
	if out == nil {
		return s.smb1Error(r, ntstatus.PipeEmpty)
	}
	st := ntstatus.Success
	if more {
		st = ntstatus.BufferOverflow
	}
	const dataOff = smb1HeaderLen + 1 + 24 + 2 + 1
	w := andxNone()
	w = le.AppendUint16(w, 0)                // Available
	w = le.AppendUint16(w, 0)                // DataCompactionMode
	w = le.AppendUint16(w, 0)                // Reserved1
	w = le.AppendUint16(w, uint16(len(out))) // DataLength
	w = le.AppendUint16(w, dataOff)          // DataOffset
	w = le.AppendUint16(w, 0)                // DataLengthHigh
	w = append(w, make([]byte, 8)...)        // Reserved2
	return [][]byte{s.smb1Reply(r, st, r.uid, w, append([]byte{0}, out...))}
}
