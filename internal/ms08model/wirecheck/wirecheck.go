// Package wirecheck reads the bytes a client wrote to SMB servers — NetBIOS frames, SMB1 or
// SMB2 messages, named-pipe writes, DCE/RPC request PDUs — and checks every NDR string in
// every request with the independent MS08-067 model (package ms08model).
//
// It is the wire-level half of scan445's safety oracle: it looks at what actually went out, not
// at the request plan, so a request built outside the plan is caught too. It is written apart
// from the project's smb1, smb2 and dcerpc packages on purpose (sharing their decoders would
// share their bugs), decodes only the few structures it needs, bounds-checks every offset, and
// reports anything it cannot read as a problem instead of skipping it: a caller that wants a
// proof treats a problem as a failure.
package wirecheck

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/scan445/scan445/internal/ms08model"
)

// SrvsvcUUID is the srvsvc interface (MS-SRVS), as bind PDUs carry it, in text form.
const SrvsvcUUID = "4b324fc8-1670-01d3-1278-5a47bf6ee188"

// Stream is the client-to-server bytes of one TCP connection to an SMB port.
type Stream struct {
	Label string
	Data  []byte
}

// Request is one reassembled DCE/RPC request.
type Request struct {
	Stream    string // Stream.Label and the pipe's file id
	Interface string // the abstract syntax bound to its context id; "" if no bind was seen
	Opnum     uint16
	CallID    uint32
	Stub      []byte
	Strings   []string // every NDR conformant-varying UTF-16 string found in the stub
	// Reaching lists each string, or prefix/path join of two of them, that makes the model leave
	// its buffer.
	Reaching []string
}

// Srvsvc reports whether the request went to the srvsvc interface.
func (r Request) Srvsvc() bool { return r.Interface == SrvsvcUUID }

// Report is what Check found.
type Report struct {
	Frames   int // NetBIOS session messages
	Requests []Request
	// Problems lists everything that could not be decoded or inspected: with any of them the
	// report proves nothing about the bytes concerned.
	Problems []string
}

// Reaching returns the requests with at least one reaching string.
func (r Report) Reaching() []Request {
	var out []Request
	for _, q := range r.Requests {
		if len(q.Reaching) > 0 {
			out = append(out, q)
		}
	}
	return out
}

// SrvsvcRequests counts the requests to srvsvc, by opnum.
func (r Report) SrvsvcRequests() map[uint16]int {
	out := map[uint16]int{}
	for _, q := range r.Requests {
		if q.Srvsvc() {
			out[q.Opnum]++
		}
	}
	return out
}

// Check decodes every stream and checks every request found.
func Check(streams []Stream) Report {
	c := &checker{pipes: map[string]*pipe{}, lastFID: map[string]string{}}
	for _, s := range streams {
		c.stream(s.Label, s.Data)
	}
	keys := make([]string, 0, len(c.pipes))
	for k := range c.pipes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := c.pipes[k]
		if len(p.buf) > 0 {
			c.problem(k, "%d bytes of an incomplete DCE/RPC PDU at the end", len(p.buf))
		}
		for id := range p.frags {
			c.problem(k, "call %d: fragments without a last fragment", id)
		}
	}
	return c.rep
}

type checker struct {
	rep     Report
	pipes   map[string]*pipe
	lastFID map[string]string // per stream: the FID of the last primary transaction
}

func (c *checker) problem(where, format string, args ...any) {
	c.rep.Problems = append(c.rep.Problems, where+": "+fmt.Sprintf(format, args...))
}

// pipe is the byte stream written to one named pipe and its DCE/RPC state.
type pipe struct {
	buf      []byte
	contexts map[uint16]string // context id → abstract syntax UUID
	frags    map[uint32]*Request
}

func (c *checker) pipe(key string) *pipe {
	p := c.pipes[key]
	if p == nil {
		p = &pipe{contexts: map[uint16]string{}, frags: map[uint32]*Request{}}
		c.pipes[key] = p
	}
	return p
}

var le = binary.LittleEndian

// span returns b[off:off+n] when it lies inside b.
func span(b []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(b) || n > len(b)-off {
		return nil, false
	}
	return b[off : off+n], true
}

func u16at(b []byte, off int) (uint16, bool) {
	s, ok := span(b, off, 2)
	if !ok {
		return 0, false
	}
	return le.Uint16(s), true
}

func u32at(b []byte, off int) (uint32, bool) {
	s, ok := span(b, off, 4)
	if !ok {
		return 0, false
	}
	return le.Uint32(s), true
}

// stream splits one connection's bytes into NetBIOS session messages (RFC 1002 over TCP/445:
// type byte, 24-bit big-endian length).
func (c *checker) stream(label string, b []byte) {
	for len(b) > 0 {
		if len(b) < 4 {
			c.problem(label, "%d trailing bytes, not a NetBIOS header", len(b))
			return
		}
		typ, n := b[0], int(b[1])<<16|int(b[2])<<8|int(b[3])
		if n > len(b)-4 {
			c.problem(label, "NetBIOS frame of %d bytes, only %d written", n, len(b)-4)
			return
		}
		msg := b[4 : 4+n]
		b = b[4+n:]
		switch typ {
		case 0x00:
			c.rep.Frames++
			c.message(label, msg)
		case 0x85: // keep-alive
		default:
			c.problem(label, "NetBIOS frame type 0x%02x", typ)
		}
	}
}

func (c *checker) message(label string, m []byte) {
	switch {
	case len(m) >= 4 && m[0] == 0xFF && string(m[1:4]) == "SMB":
		c.smb1(label, m)
	case len(m) >= 4 && m[0] == 0xFE && string(m[1:4]) == "SMB":
		c.smb2(label, m)
	case len(m) >= 4 && m[0] == 0xFD && string(m[1:4]) == "SMB":
		c.problem(label, "an encrypted SMB3 message cannot be inspected")
	default:
		c.problem(label, "a %d-byte message that is neither SMB1 nor SMB2", len(m))
	}
}

// SMB1 commands that carry no pipe data (MS-CIFS / MS-SMB command codes); anything not here
// and not decoded below is a problem.
var smb1NoData = map[byte]bool{
	0x04: true, // CLOSE
	0x2B: true, // ECHO
	0x2E: true, // READ_ANDX
	0x32: true, // TRANSACTION2 (queries; its data is not a pipe's)
	0x71: true, // TREE_DISCONNECT
	0x72: true, // NEGOTIATE
	0x73: true, // SESSION_SETUP_ANDX
	0x74: true, // LOGOFF_ANDX
	0x75: true, // TREE_CONNECT_ANDX
	0xA2: true, // NT_CREATE_ANDX
	0xA4: true, // NT_CANCEL
}

// smb1AndX lists the AndX commands whose chains are followed.
var smb1AndX = map[byte]bool{0x2E: true, 0x2F: true, 0x73: true, 0x74: true, 0x75: true, 0xA2: true}

func (c *checker) smb1(label string, m []byte) {
	const hdr = 32
	if len(m) < hdr+1 {
		c.problem(label, "SMB1 message of %d bytes", len(m))
		return
	}
	cmd, off := m[4], hdr
	for hops := 0; ; hops++ {
		if hops > 8 {
			c.problem(label, "SMB1 AndX chain longer than 8")
			return
		}
		wc, ok := span(m, off, 1)
		if !ok {
			c.problem(label, "SMB1 command 0x%02x: block at %d outside the message", cmd, off)
			return
		}
		words, ok := span(m, off+1, 2*int(wc[0]))
		if !ok {
			c.problem(label, "SMB1 command 0x%02x: %d parameter words outside the message", cmd, wc[0])
			return
		}
		switch {
		case cmd == 0x25 || cmd == 0x26:
			c.smb1Trans(label, m, cmd, words)
		case cmd == 0x2F:
			c.smb1Write(label, m, words)
		case smb1NoData[cmd]:
		default:
			c.problem(label, "SMB1 command 0x%02x not inspected", cmd)
		}
		if !smb1AndX[cmd] || len(words) < 4 || words[0] == 0xFF {
			return
		}
		next := int(le.Uint16(words[2:]))
		if next <= off {
			c.problem(label, "SMB1 AndX offset %d does not move forward", next)
			return
		}
		cmd, off = words[0], next
	}
}

// smb1Trans takes the data of a TRANSACTION (0x25) or TRANSACTION_SECONDARY (0x26): for a
// named-pipe transaction setup[1] is the FID.
func (c *checker) smb1Trans(label string, m []byte, cmd byte, w []byte) {
	countAt, offAt := 22, 24 // DataCount and DataOffset, in bytes into the parameter words
	if cmd == 0x26 {
		countAt, offAt = 10, 12
	}
	n, ok1 := u16at(w, countAt)
	off, ok2 := u16at(w, offAt)
	if !ok1 || !ok2 {
		c.problem(label, "SMB1 transaction: %d parameter bytes", len(w))
		return
	}
	if n == 0 {
		return
	}
	data, ok := span(m, int(off), int(n))
	if !ok {
		c.problem(label, "SMB1 transaction data %d+%d outside the message", off, n)
		return
	}
	// A secondary continues the last primary's data; a primary without a FID (setup[1]) still
	// gets its own pipe, so that its bytes are decoded too.
	fid := c.lastFID[label]
	if cmd == 0x25 {
		fid = "fid ?"
		if setupCount, ok := span(w, 26, 1); ok && setupCount[0] >= 2 {
			if f, ok := u16at(w, 30); ok {
				fid = fmt.Sprintf("fid %#04x", f)
			}
		}
		c.lastFID[label] = fid
	}
	if fid == "" {
		c.problem(label, "SMB1 TRANSACTION_SECONDARY without a primary")
		return
	}
	c.pipeData(label+" "+fid, data)
}

// smb1Write takes the data of a WRITE_ANDX (0x2F).
func (c *checker) smb1Write(label string, m []byte, w []byte) {
	fid, ok1 := u16at(w, 4)
	hi, ok2 := u16at(w, 18)
	lo, ok3 := u16at(w, 20)
	off, ok4 := u16at(w, 22)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		c.problem(label, "SMB1 WRITE_ANDX: %d parameter bytes", len(w))
		return
	}
	data, ok := span(m, int(off), int(hi)<<16|int(lo))
	if !ok {
		c.problem(label, "SMB1 WRITE_ANDX data %d+%d outside the message", off, int(hi)<<16|int(lo))
		return
	}
	c.pipeData(fmt.Sprintf("%s fid %#04x", label, fid), data)
}

// SMB2 commands that carry no pipe data (MS-SMB2 2.2.1).
var smb2NoData = map[uint16]bool{
	0x00: true, 0x01: true, 0x02: true, 0x03: true, 0x04: true, // NEGOTIATE … TREE_DISCONNECT
	0x05: true, 0x06: true, 0x07: true, 0x08: true, // CREATE, CLOSE, FLUSH, READ
	0x0C: true, 0x0D: true, 0x0E: true, 0x0F: true, 0x10: true, // CANCEL, ECHO, QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO
}

const (
	fsctlPipeTransceive        = 0x0011C017
	fsctlPipeWait              = 0x00110018
	fsctlValidateNegotiateInfo = 0x00140204
)

func (c *checker) smb2(label string, m []byte) {
	const hdr = 64
	for hops := 0; ; hops++ {
		if hops > 16 {
			c.problem(label, "SMB2 compound longer than 16")
			return
		}
		if len(m) < hdr || m[0] != 0xFE || string(m[1:4]) != "SMB" {
			c.problem(label, "SMB2 message of %d bytes without a header", len(m))
			return
		}
		cmd := le.Uint16(m[12:])
		next := int(le.Uint32(m[20:]))
		one := m
		if next != 0 {
			if next < hdr || next > len(m) {
				c.problem(label, "SMB2 NextCommand %d outside the message", next)
				return
			}
			one = m[:next]
		}
		body := one[hdr:]
		switch {
		case cmd == 0x09: // WRITE
			off, ok1 := u16at(body, 2)
			n, ok2 := u32at(body, 4)
			fileID, ok3 := span(body, 16, 16)
			if !ok1 || !ok2 || !ok3 {
				c.problem(label, "SMB2 WRITE body of %d bytes", len(body))
				break
			}
			data, ok := span(one, int(off), int(n))
			if !ok {
				c.problem(label, "SMB2 WRITE data %d+%d outside the message", off, n)
				break
			}
			c.pipeData(label+" file "+hex.EncodeToString(fileID), data)
		case cmd == 0x0B: // IOCTL
			ctl, ok1 := u32at(body, 4)
			fileID, ok2 := span(body, 8, 16)
			off, ok3 := u32at(body, 24)
			n, ok4 := u32at(body, 28)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				c.problem(label, "SMB2 IOCTL body of %d bytes", len(body))
				break
			}
			switch ctl {
			case fsctlPipeTransceive:
				data, ok := span(one, int(off), int(n))
				if !ok {
					c.problem(label, "SMB2 IOCTL input %d+%d outside the message", off, n)
					break
				}
				c.pipeData(label+" file "+hex.EncodeToString(fileID), data)
			case fsctlPipeWait, fsctlValidateNegotiateInfo:
			default:
				c.problem(label, "SMB2 IOCTL %#08x not inspected", ctl)
			}
		case smb2NoData[cmd]:
		default:
			c.problem(label, "SMB2 command 0x%02x not inspected", cmd)
		}
		if next == 0 {
			return
		}
		m = m[next:]
	}
}

// DCE/RPC connection-oriented PDU types a client sends (MS-RPCE / C706 ch. 12).
const (
	ptypeRequest      = 0
	ptypeBind         = 11
	ptypeAlterContext = 14
	ptypeAuth3        = 16
	ptypeCancel       = 18
	ptypeOrphaned     = 19

	pfcFirstFrag  = 0x01
	pfcLastFrag   = 0x02
	pfcObjectUUID = 0x80
)

// pipeData appends bytes written to a pipe and takes every complete PDU off the front.
func (c *checker) pipeData(key string, data []byte) {
	p := c.pipe(key)
	p.buf = append(p.buf, data...)
	for len(p.buf) >= 16 {
		if p.buf[0] != 5 || p.buf[1] != 0 {
			c.problem(key, "not a DCE/RPC v5.0 PDU (version %d.%d)", p.buf[0], p.buf[1])
			p.buf = nil
			return
		}
		if p.buf[4]&0xF0 != 0x10 {
			c.problem(key, "DCE/RPC data representation %x is not little-endian", p.buf[4:8])
			p.buf = nil
			return
		}
		n := int(le.Uint16(p.buf[8:]))
		if n < 16 {
			c.problem(key, "DCE/RPC frag_length %d", n)
			p.buf = nil
			return
		}
		if len(p.buf) < n {
			return
		}
		pdu := p.buf[:n]
		p.buf = p.buf[n:]
		c.pdu(key, p, pdu)
	}
}

func (c *checker) pdu(key string, p *pipe, pdu []byte) {
	ptype, flags := pdu[2], pdu[3]
	authLen := int(le.Uint16(pdu[10:]))
	callID := le.Uint32(pdu[12:])
	switch ptype {
	case ptypeBind, ptypeAlterContext:
		c.bind(key, p, pdu)
	case ptypeAuth3, ptypeCancel, ptypeOrphaned:
	case ptypeRequest:
		if len(pdu) < 24 {
			c.problem(key, "request PDU of %d bytes", len(pdu))
			return
		}
		ctxID, opnum := le.Uint16(pdu[20:]), le.Uint16(pdu[22:])
		start := 24
		if flags&pfcObjectUUID != 0 {
			start += 16
		}
		end := len(pdu)
		if authLen > 0 {
			end -= authLen + 8 // the auth verifier and its 8-byte sec_trailer
		}
		if end < start {
			c.problem(key, "call %d: request header and auth trailer overlap", callID)
			return
		}
		frag := pdu[start:end]
		r := p.frags[callID]
		if flags&pfcFirstFrag != 0 || r == nil {
			if r != nil {
				c.problem(key, "call %d: a first fragment before the last one", callID)
			}
			if flags&pfcFirstFrag == 0 {
				c.problem(key, "call %d: a fragment without its first", callID)
			}
			r = &Request{Stream: key, Interface: p.contexts[ctxID], Opnum: opnum, CallID: callID}
			p.frags[callID] = r
		}
		r.Stub = append(r.Stub, frag...)
		if flags&pfcLastFrag != 0 {
			delete(p.frags, callID)
			c.request(r)
		}
	default:
		c.problem(key, "DCE/RPC PDU type %d from the client", ptype)
	}
}

// bind records each presentation context's abstract syntax.
func (c *checker) bind(key string, p *pipe, pdu []byte) {
	n, ok := span(pdu, 24, 1)
	if !ok {
		c.problem(key, "bind PDU of %d bytes", len(pdu))
		return
	}
	off := 28
	for i := 0; i < int(n[0]); i++ {
		id, ok1 := u16at(pdu, off)
		ntrans, ok2 := span(pdu, off+2, 1)
		uuid, ok3 := span(pdu, off+4, 16)
		if !ok1 || !ok2 || !ok3 {
			c.problem(key, "bind context %d outside the PDU", i)
			return
		}
		p.contexts[id] = uuidString(uuid)
		off += 4 + 20 + 20*int(ntrans[0])
	}
}

// uuidString formats a UUID in its NDR (little-endian fields) encoding.
func uuidString(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// request finds the stub's strings and checks them: each one alone, and each ordered pair
// joined as a prefix and a path (ms08model.Readings), since NetprPathCanonicalize joins two of
// its strings before the routine runs and a generic scan does not know which two.
func (c *checker) request(r *Request) {
	strs := ndrStrings(r.Stub)
	reaching := map[string]bool{}
	for i, a := range strs {
		r.Strings = append(r.Strings, show(a))
		if ms08model.Reaches(a) {
			reaching[fmt.Sprintf("%q", show(a))] = true
		}
		for j, b := range strs {
			if i == j {
				continue
			}
			for _, joined := range ms08model.Readings(a, b) {
				if ms08model.Reaches(joined) {
					reaching[fmt.Sprintf("%q (prefix %q, path %q)", show(joined), show(a), show(b))] = true
				}
			}
		}
	}
	for s := range reaching {
		r.Reaching = append(r.Reaching, s)
	}
	sort.Strings(r.Reaching)
	c.rep.Requests = append(c.rep.Requests, *r)
}

// show is u as text without the NUL that ends an NDR string (other NULs stay visible).
func show(u []uint16) string {
	if n := len(u); n > 0 && u[n-1] == 0 {
		u = u[:n-1]
	}
	return string(utf16.Decode(u))
}

// ndrStrings finds every NDR conformant-varying string of UTF-16 units in stub: at every
// 4-aligned offset, a MaxCount, an Offset and an ActualCount that fit each other and the stub,
// then ActualCount units. It decodes no structure, so it finds the strings of any opnum and
// also some that are not strings; checking those too costs nothing.
func ndrStrings(stub []byte) [][]uint16 {
	var out [][]uint16
	for i := 0; i+12 <= len(stub); i += 4 {
		maxCount := uint64(le.Uint32(stub[i:]))
		offset := uint64(le.Uint32(stub[i+4:]))
		actual := uint64(le.Uint32(stub[i+8:]))
		if actual == 0 || actual > maxCount || offset > maxCount-actual || actual > uint64(len(stub)-i-12)/2 {
			continue
		}
		u := make([]uint16, actual)
		for k := range u {
			u[k] = le.Uint16(stub[i+12+2*k:])
		}
		out = append(out, u)
	}
	return out
}

// String summarises the report for a test log.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d NetBIOS messages, %d DCE/RPC requests (srvsvc by opnum: %v), %d problems", r.Frames, len(r.Requests), r.SrvsvcRequests(), len(r.Problems))
	return b.String()
}
