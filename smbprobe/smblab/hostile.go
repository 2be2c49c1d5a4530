package smblab

import (
	"bytes"
	"math/rand/v2"
	"net"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
)

// serveHostile plays a broken or malicious server. Each one still ends when the client goes
// away, the idle timeout passes or the lab closes (which closes the conn).
func (h *host) serveHostile(c net.Conn) {
	idle := h.lab.opts.IdleTimeout
	c.SetDeadline(time.Now().Add(idle))
	if h.p.Hostile == HostileSilent {
		drain(c)
		return
	}
	_, req, err := netbios.ReadFrame(c, maxFrame)
	if err != nil {
		return
	}
	// A well-formed answer to corrupt or dribble, from an XP personality.
	xp := xpBase("hostile-template", "", "HOSTILE")
	s := newSession(&xp, h.addr, h.lab.opts.Now)
	good, _ := s.handle(req)
	var first []byte
	if len(good) > 0 {
		first = netbios.Frame(good[0])
	} else {
		first = netbios.Frame([]byte("\xffSMBr\x00\x00\x00\x00\x98\x01\xc8"))
	}
	switch h.p.Hostile {
	case HostileTruncated:
		// A complete frame whose SMB message stops inside the header.
		c.Write(netbios.Frame(first[4:min(len(first), 4+20)]))
	case HostileHugeLength:
		c.Write(append([]byte{0x00, 0xFF, 0xFF, 0xFF}, first[4:min(len(first), 4+64)]...))
		drain(c)
	case HostileBadOffsets:
		h.serveCorrupt(c, s, good)
	case HostileTrickle:
		for i := range first {
			if _, err := c.Write(first[i : i+1]); err != nil {
				return
			}
			select {
			case <-h.lab.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		drain(c)
	case HostileReset:
		c.Write(first[:len(first)/2])
		abort(c)
	case HostileGarbage:
		rng := rand.New(rand.NewPCG(445, 1))
		junk := []byte("HTTP/1.1 400 Bad Request\r\nServer: not-smb\r\n\r\n")
		for i := 0; i < 512; i++ {
			junk = append(junk, byte(rng.Uint32()))
		}
		c.Write(junk)
	}
}

// drain reads until the peer leaves or the deadline passes.
func drain(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// serveCorrupt answers like XP but with every count, length and offset pointing past the end.
func (h *host) serveCorrupt(c net.Conn, s *session, replies [][]byte) {
	for {
		for _, r := range replies {
			if _, err := c.Write(netbios.Frame(corrupt(r))); err != nil {
				return
			}
		}
		_, req, err := netbios.ReadFrame(c, maxFrame)
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(h.lab.opts.IdleTimeout))
		var act action
		replies, act = s.handle(req)
		if act.close || act.crash != "" {
			return
		}
	}
}

// corrupt rewrites a valid reply so its internal lengths lie.
func corrupt(b []byte) []byte {
	b = append([]byte(nil), b...)
	if i := bytes.Index(b, []byte("NTLMSSP\x00")); i >= 0 && len(b) >= i+48 {
		le.PutUint32(b[i+16:], 0x7FFFFFF0) // TargetNameFields.BufferOffset
		le.PutUint16(b[i+40:], 0xFFFF)     // TargetInfoFields.Len
		le.PutUint32(b[i+44:], 0xFFFFFF00) // TargetInfoFields.BufferOffset
	}
	switch {
	case len(b) >= smb1HeaderLen+3 && b[0] == 0xFF:
		wc := int(b[32])
		if bc := 33 + 2*wc; bc+2 <= len(b) {
			le.PutUint16(b[bc:], 0xFFFF) // ByteCount
		}
		if b[4] == smbSessionSetup && wc == 4 {
			le.PutUint16(b[33+6:], 0xFFF0) // SecurityBlobLength
		}
		if b[4] == smbTransaction && wc == 10 {
			le.PutUint16(b[33+14:], 0xFFF0) // DataOffset
		}
		if b[4] == smbNegotiate && wc == 17 {
			b[33+33] = 0xFF // ChallengeLength
		}
	case len(b) >= smb2HeaderLen+64 && b[0] == 0xFE && le.Uint16(b[12:]) == smb2Negotiate:
		le.PutUint16(b[smb2HeaderLen+56:], 0xFFF0) // SecurityBufferOffset
	}
	return b
}
