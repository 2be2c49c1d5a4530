package smblab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// Request is one client request a host decoded, as Options.Observe reports it: what was asked,
// never acted on beyond the host's normal answer. The sensor (package sensor) reads it.
type Request struct {
	// Command: "SMB1 0x72" style for SMB messages (SMB1/SMB2 and the command code),
	// "DCE/RPC bind", or "srvsvc <call>" for a complete srvsvc request.
	Command string
	Pipe    string // the named pipe of a DCE/RPC request, e.g. "browser"
	Opnum   uint16 // srvsvc opnum
	// Strings are the NDR string arguments of a srvsvc request that carries paths or names,
	// in argument order; Err says why the stub did not decode (then Strings is empty).
	Strings []NDRString
	Err     error
	// Shares are the shares ("ADMIN$", "IPC$") the connection has connected when an SMB
	// request arrives, sorted; what a client still holds, e.g. ADMIN$ when it opens \winreg.
	Shares []string
}

// NDRString is one decoded string argument: its IDL name and value.
type NDRString struct {
	Field string // e.g. "PathName", "Prefix", "PathName1"
	Value string
}

// Names of the srvsvc calls a Request may carry.
const (
	CallPathCanonicalize = "NetprPathCanonicalize"
	CallPathCompare      = "NetprPathCompare"
	CallNameCanonicalize = "NetprNameCanonicalize"
)

// smbCommand names an SMB message by dialect and command code, without parsing the rest.
func smbCommand(msg []byte) string {
	switch {
	case len(msg) >= 5 && msg[0] == 0xFF:
		return fmt.Sprintf("SMB1 0x%02X", msg[4])
	case len(msg) >= 14 && msg[0] == 0xFE:
		return fmt.Sprintf("SMB2 0x%04X", le.Uint16(msg[12:]))
	}
	return "not SMB"
}

// srvsvcRequest decodes a srvsvc stub for Options.Observe: the path and name arguments of the
// calls that reach the MS08-067 routine; other calls carry no strings. Only \srvsvc and its
// alias \browser carry srvsvc: a request on another pipe is reported by opnum alone.
func srvsvcRequest(pipe string, opnum uint16, stub []byte) Request {
	if !strings.EqualFold(pipe, "srvsvc") && !strings.EqualFold(pipe, "browser") {
		return Request{Command: fmt.Sprintf("DCE/RPC opnum %d", opnum), Pipe: pipe, Opnum: opnum}
	}
	r := Request{Command: fmt.Sprintf("srvsvc opnum %d", opnum), Pipe: pipe, Opnum: opnum}
	switch opnum {
	case srvsvc.OpNetprPathCanonicalize:
		r.Command = "srvsvc " + CallPathCanonicalize
		q, err := srvsvc.DecodePathCanonicalizeRequest(stub)
		if r.Err = err; err == nil {
			r.Strings = []NDRString{{"PathName", q.PathName}, {"Prefix", q.Prefix}}
		}
	case srvsvc.OpNetprPathCompare:
		r.Command = "srvsvc " + CallPathCompare
		q, err := srvsvc.DecodePathCompareRequest(stub)
		if r.Err = err; err == nil {
			r.Strings = []NDRString{{"PathName1", q.PathName1}, {"PathName2", q.PathName2}}
		}
	case srvsvc.OpNetprNameCanonicalize:
		r.Command = "srvsvc " + CallNameCanonicalize
		q, err := srvsvc.DecodeNameCanonicalizeRequest(stub)
		if r.Err = err; err == nil {
			r.Strings = []NDRString{{"Name", q.Name}}
		}
	case srvsvc.OpNetrServerGetInfo:
		r.Command = "srvsvc NetrServerGetInfo"
	case srvsvc.OpNetrRemoteTOD:
		r.Command = "srvsvc NetrRemoteTOD"
	}
	return r
}

// SensorPersonality is the host a sensor plays: Windows XP SP3 with KB958644, SMB1 only, a null
// session and both \browser and \srvsvc open to it — the host a Conficker-infected machine
// attacks — so that it sees the whole attack and answers the exploit path with
// WERR_INVALID_NAME, as a patched host does. It never crashes.
func SensorPersonality(computer string) Personality {
	p := xpBase("sensor", "scan445 watch sensor: XP SP3 with KB958644", computer)
	p.Srvsvc = SrvsvcPatched
	p.AnonPipes = pipesAll()
	return p
}

// ServeConn answers one connection a caller accepted on its own listener (the sensor), as
// host p at the connection's local address, until the client leaves, the idle timeout passes
// or ctx ends; nbss says the connection is on the NetBIOS session service port (139). Of opts
// it uses IdleTimeout, Now and Observe. A personality that would crash (SrvsvcUnpatched) is
// served as patched, and a hostile one is refused: a caller's host never goes down.
func ServeConn(ctx context.Context, c net.Conn, p Personality, nbss bool, opts Options) error {
	defer c.Close()
	if p.Hostile != HostileNone {
		return fmt.Errorf("smblab: ServeConn does not play hostile personality %q", p.Name)
	}
	if p.Srvsvc == SrvsvcUnpatched {
		p.Srvsvc = SrvsvcPatched
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	local, _ := ConnEndpoints(c)
	l := &Lab{opts: opts, ctx: ctx}
	h := &host{lab: l, addr: local.Addr(), p: p, nbss: nbss, conns: map[net.Conn]struct{}{}}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	h.serve(c)
	return nil
}

// ConnEndpoints are c's local and remote addresses, unmapped (zero values when not IP).
func ConnEndpoints(c net.Conn) (local, remote netip.AddrPort) {
	if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
		local = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return local, remote
}
