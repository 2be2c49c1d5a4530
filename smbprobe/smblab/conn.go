package smblab

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/samr"
)

// maxFrame bounds a request: the largest SMB2 WRITE we grant (64 KiB) plus headers.
const maxFrame = 0x10000 + 0x200

// Per-connection limits on state a client can make the server hold.
const (
	maxUsers = 16
	maxTrees = 16
	maxFiles = 32
)

// action is what the connection loop does after sending a dispatcher's replies.
type action struct {
	close bool   // drop the connection (as Windows does on protocol violations)
	crash string // the emulated host crashed on this request
}

// session is one TCP connection's protocol state. handle is pure apart from it, so tests and
// the fuzzer drive it without sockets.
type session struct {
	p    *Personality
	addr netip.Addr
	now  func() time.Time
	chal [8]byte
	guid [16]byte

	smb2      bool // the connection switched to SMB2
	negotiate bool // an SMB1 NEGOTIATE was answered
	extSec    bool
	dialect   uint16 // SMB2 dialect in use

	nextID  uint32
	users   map[uint64]*user
	trees   map[uint32]*tree
	files   map[uint64]*pipe
	started time.Time
	observe func(Request) // Options.Observe for this connection; nil: none

	// SMB1 clients' limits from SESSION_SETUP_ANDX, which bound a READ_ANDX reply.
	clientMaxBuf    uint16
	clientLargeRead bool
	// SMB1 signing is per connection: it starts with the first signed named logon and then
	// covers every message, request n and its reply n+1 (MS-CIFS 3.1.4.1).
	smb1Key []byte
	smb1Seq uint32

	netapi []byte // ADMIN$\system32\netapi32.dll, built on first use

	sam        *samState                 // the host's SAM (Personality.SAM), shared by its connections
	samHandles map[samr.Handle]samHandle // open \samr handles of this connection
}

type user struct {
	anonymous bool
	done      bool // authentication finished
	spnego    bool
	negMsg    []byte
	chalMsg   *ntlmssp.Challenge
	// key is the NTLM ExportedSessionKey of a named logon (nil for anonymous): the SMB1 MAC
	// key, and the SMB2 session key signKey derives from.
	key     []byte
	signKey []byte
}

type tree struct {
	uid   uint64
	ipc   bool
	admin bool // ADMIN$, a disk share
}

// share names the tree's share as a client connects it.
func (t *tree) share() string {
	switch {
	case t.admin:
		return adminShare
	case t.ipc:
		return "IPC$"
	}
	return ""
}

// disconnectTree ends the tree tid (SMB1 and SMB2 TREE_DISCONNECT) and, as Windows does, every open on
// it: a later request naming tid, or one of those FIDs, is refused as never granted.
func (s *session) disconnectTree(tid uint32) {
	delete(s.trees, tid)
	for fid, p := range s.files {
		if p.tid == tid {
			delete(s.files, fid)
		}
	}
}

// shares lists the shares connected on this connection, sorted, for Options.Observe.
func (s *session) shares() []string {
	var out []string
	for _, t := range s.trees {
		out = append(out, t.share())
	}
	slices.Sort(out)
	return out
}

// pipe is an open: a named pipe on IPC$ (rpc set) or an object of ADMIN$ (disk set).
type pipe struct {
	name string
	tid  uint32
	rpc  *rpcPipe
	disk *diskOpen
}

func newSession(p *Personality, addr netip.Addr, now func() time.Time) *session {
	s := &session{
		p: p, addr: addr, now: now,
		users: map[uint64]*user{}, trees: map[uint32]*tree{}, files: map[uint64]*pipe{},
		nextID: 0x800, started: now().Add(-72 * time.Hour),
	}
	if _, err := rand.Read(s.chal[:]); err != nil {
		// crypto/rand does not fail on Linux; a fixed challenge is still a working lab.
		copy(s.chal[:], "smblab!!")
	}
	// A stable GUID per host, like a real server's.
	sum := sha256.Sum256([]byte("smblab:" + p.Name + ":" + addr.String()))
	copy(s.guid[:], sum[:16])
	return s
}

func (s *session) newID() uint32 {
	s.nextID++
	if s.nextID > 0xFFF0 {
		s.nextID = 0x801
	}
	return s.nextID
}

// handle answers one NetBIOS session message.
func (s *session) handle(msg []byte) ([][]byte, action) {
	if len(msg) < 4 {
		return nil, action{close: true}
	}
	switch {
	case msg[0] == 0xFF && string(msg[1:4]) == "SMB" && !s.smb2:
		if !s.p.SMB1 && !s.negotiate {
			return s.smb1WithoutSMB1(msg)
		}
		return s.handleSMB1(msg)
	case msg[0] == 0xFE && string(msg[1:4]) == "SMB":
		if len(s.p.SMB2Dialects) == 0 {
			// XP and 2003 do not know the SMB2 header: they drop the connection.
			return nil, action{close: true}
		}
		return s.handleSMB2(msg)
	}
	return nil, action{close: true}
}

// serve runs one connection until the peer leaves, the lab closes or the host crashes.
func (h *host) serve(c net.Conn) {
	if h.p.Hostile != HostileNone {
		h.serveHostile(c)
		return
	}
	s := newSession(&h.p, h.addr, h.lab.opts.Now)
	s.sam = h.sam
	idle := h.lab.opts.IdleTimeout
	if h.nbss && !h.sessionService(c, idle) {
		return
	}
	if ob := h.lab.opts.Observe; ob != nil {
		local, remote := ConnEndpoints(c)
		s.observe = func(r Request) { ob(local, remote, r) }
	}
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		typ, payload, err := netbios.ReadFrame(c, maxFrame)
		if err != nil {
			if errors.Is(err, netbios.ErrFrameTooLarge) {
				abort(c)
			}
			return
		}
		switch typ {
		case 0x00:
		case 0x81: // session request (port 139 style): grant it
			c.SetWriteDeadline(time.Now().Add(idle))
			if _, err := c.Write([]byte{0x82, 0, 0, 0}); err != nil {
				return
			}
			continue
		case 0x85: // keep-alive
			continue
		default:
			return
		}
		if s.observe != nil {
			s.observe(Request{Command: smbCommand(payload), Shares: s.shares()})
		}
		replies, act := s.handle(payload)
		if tr := h.lab.opts.Trace; tr != nil {
			tr(h.addr, payload, replies)
		}
		for _, r := range replies {
			c.SetWriteDeadline(time.Now().Add(idle))
			if err := netbios.WriteFrame(c, r); err != nil {
				return
			}
		}
		if act.crash != "" {
			h.crash(act.crash)
			return
		}
		if act.close {
			return
		}
	}
}

// sessionService answers the SESSION REQUEST a port 139 connection must open with: positive
// for *SMBSERVER or the host's computer name, negative "called name not present" (and close,
// RFC 1002 4.3.4) for any other name, and the connection closed on anything that is not a
// session request, as Windows does.
func (h *host) sessionService(c net.Conn, idle time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(idle))
	typ, payload, err := netbios.ReadFrame(c, maxFrame)
	if err != nil || typ != netbios.TypeSessionRequest {
		return false
	}
	called, _, err := netbios.DecodeSessionRequest(payload)
	c.SetWriteDeadline(time.Now().Add(idle))
	if err != nil {
		c.Write([]byte{netbios.TypeNegativeResponse, 0, 0, 1, netbios.UnspecifiedError})
		return false
	}
	if called != netbios.SMBServerName && !strings.EqualFold(called, h.p.Computer) {
		c.Write([]byte{netbios.TypeNegativeResponse, 0, 0, 1, netbios.CalledNameNotPresent})
		return false
	}
	_, err = c.Write([]byte{netbios.TypePositiveResponse, 0, 0, 0})
	return err == nil
}
