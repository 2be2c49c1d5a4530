package smblab

import (
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/smb2"
)

const (
	flags2Signature = 0x0004     // SMB1 Flags2 SMB_FLAGS2_SMB_SECURITY_SIGNATURE
	capLargeReadX   = 0x00004000 // SMB1 CAP_LARGE_READX
	smb2FlagSigned  = 0x00000008 // SMB2 Flags SMB2_FLAGS_SIGNED
)

// smb1StartSigning turns SMB1 signing on when the named logon u completes with request r: the
// personality requires signing, or enables it and the client signs (MS-CIFS 3.3.5.3). Only the
// first such logon of a connection sets the key.
func (s *session) smb1StartSigning(r *smb1Req, u *user) {
	if s.smb1Key != nil || u.anonymous || u.key == nil {
		return
	}
	if s.p.SigningRequired || (s.p.SigningEnabled && r.flags2&flags2Signature != 0) {
		s.smb1Key = u.key
	}
}

// handleSMB1 checks a request's signature once signing is on, dispatches it and signs the
// reply with the next sequence number. A request with a bad signature is refused with
// STATUS_ACCESS_DENIED, as Windows does, and still consumes its sequence numbers.
func (s *session) handleSMB1(msg []byte) ([][]byte, action) {
	active := s.smb1Key != nil
	seq := s.smb1Seq
	if active {
		s.smb1Seq += 2
		if !smb1.Verify(msg, s.smb1Key, seq) {
			r, err := parseSMB1(msg)
			if err != nil {
				return nil, action{close: true}
			}
			replies := s.smb1Error(r, ntstatus.AccessDenied)
			s.smb1SignReplies(replies, seq+1)
			return replies, action{}
		}
	}
	replies, act := s.dispatchSMB1(msg)
	switch {
	case active:
		s.smb1SignReplies(replies, seq+1)
	case s.smb1Key != nil:
		// This request was the logon that started signing: it was 0, its reply is 1.
		s.smb1SignReplies(replies, 1)
		s.smb1Seq = 2
	}
	return replies, act
}

func (s *session) smb1SignReplies(replies [][]byte, seq uint32) {
	for _, b := range replies {
		if len(b) < smb1HeaderLen || b[0] != 0xFF {
			continue
		}
		le.PutUint16(b[10:], le.Uint16(b[10:])|flags2Signature) // Flags2
		_ = smb1.Sign(b, s.smb1Key, seq)                        // cannot fail: length checked
	}
}

// smb2StartSigning derives the signing key of a named logon that just succeeded (MS-SMB2
// 3.3.5.5.3). The lab never negotiates 3.1.1, so no preauth hash is needed.
func (s *session) smb2StartSigning(u *user) {
	if u.anonymous || u.key == nil {
		return
	}
	if k, err := smb2.SigningKey(u.key, smb2.Dialect(s.dialect), nil); err == nil {
		u.signKey = k
	}
}

// smb2CheckSignature vets a whole request message before any of it is handled: once a
// session has a signing key, a signed message must verify, and with signing required an
// unsigned one is refused (MS-SMB2 3.3.5.2.4). It returns the status to refuse with and
// whether the requests were signed.
func (s *session) smb2CheckSignature(msg []byte) (ntstatus.Status, bool) {
	if len(msg) < smb2HeaderLen {
		return ntstatus.Success, false
	}
	cmd := le.Uint16(msg[12:])                        // Command
	signed := le.Uint32(msg[16:])&smb2FlagSigned != 0 // Flags
	u, ok := s.users[le.Uint64(msg[40:])]             // SessionId
	if !ok || u.signKey == nil {
		return ntstatus.Success, signed
	}
	if !signed {
		if s.p.SigningRequired && cmd != smb2Negotiate && cmd != smb2SessionSetup {
			return ntstatus.AccessDenied, false
		}
		return ntstatus.Success, false
	}
	if err := smb2.Verify(msg, u.signKey, smb2.Dialect(s.dialect)); err != nil {
		return ntstatus.AccessDenied, true
	}
	return ntstatus.Success, true
}

// smb2SignReply signs a reply when its session has a key and the request was signed or the
// personality requires signing. The final SESSION_SETUP response is signed for 3.x and when
// signing is required, as Windows does.
func (s *session) smb2SignReply(reply []byte, reqSigned bool) {
	if len(reply) < smb2HeaderLen {
		return
	}
	u, ok := s.users[le.Uint64(reply[40:])] // SessionId
	if !ok || u.signKey == nil {
		return
	}
	sign := reqSigned || s.p.SigningRequired
	if le.Uint16(reply[12:]) == smb2SessionSetup {
		sign = ntstatus.Status(le.Uint32(reply[8:])) == ntstatus.Success && (s.dialect >= 0x0300 || s.p.SigningRequired)
	}
	if sign {
		_ = smb2.Sign(reply, u.signKey, smb2.Dialect(s.dialect)) // a reply the lab built always parses
	}
}
