package smblab

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/scan445/scan445/internal/ms08model"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// rpcResult is a srvsvc call's outcome: a response stub, a DCE/RPC fault, or a crash.
type rpcResult struct {
	stub  []byte
	fault uint32
	crash string
}

const (
	maxOutbuf = 64000 // [range(0, 64000)] on OutbufLen from XP SP2 on
	// maxOutbufLegacy bounds what a pre-SP2 personality allocates: Metasploit's fingerprint
	// needs 64001 to pass, and no client needs more; beyond it the lab answers as an NDR
	// allocation failure instead of allocating what the wire asks.
	maxOutbufLegacy = 0x10000
)

// outbufOK applies the OutbufLen range rule of the personality.
func (s *session) outbufOK(n uint32) bool {
	if s.p.NameCanonLegacy {
		return n <= maxOutbufLegacy
	}
	return n <= maxOutbuf
}

func (s *session) srvsvc(opnum uint16, stub []byte) rpcResult {
	switch opnum {
	case srvsvc.OpNetrServerGetInfo:
		req, err := srvsvc.DecodeServerGetInfoRequest(stub)
		if err != nil {
			return rpcResult{fault: faultBadStub}
		}
		resp := srvsvc.ServerGetInfoResponse{Level: req.Level, Status: srvsvc.WerrInvalidLevel}
		if req.Level == 101 {
			si := s.p.ServerInfo
			resp.Info101 = &srvsvc.ServerInfo101{
				PlatformID: si.PlatformID, Name: si.Name, VersionMajor: si.Major,
				VersionMinor: si.Minor, Type: si.Type, Comment: si.Comment,
			}
			resp.Status = srvsvc.WerrOK
		}
		return marshal(resp)
	case srvsvc.OpNetrRemoteTOD:
		if _, err := srvsvc.DecodeRemoteTODRequest(stub); err != nil {
			return rpcResult{fault: faultBadStub}
		}
		t := s.now().UTC()
		return marshal(srvsvc.RemoteTODResponse{
			Referent: s.p.TODReferent,
			Info: &srvsvc.TimeOfDayInfo{
				Elapsedt: uint32(t.Unix()), Msecs: uint32(t.Sub(s.started).Milliseconds()),
				Hours: uint32(t.Hour()), Mins: uint32(t.Minute()), Secs: uint32(t.Second()),
				Hunds: uint32(t.Nanosecond() / 1e7), Timezone: 0, Tinterval: 310,
				Day: uint32(t.Day()), Month: uint32(t.Month()), Year: uint32(t.Year()),
				Weekday: uint32(t.Weekday()),
			},
		})
	case srvsvc.OpNetprPathCanonicalize:
		req, err := srvsvc.DecodePathCanonicalizeRequest(stub)
		if err != nil {
			return rpcResult{fault: faultBadStub}
		}
		return s.pathCanonicalize(req)
	case srvsvc.OpNetprPathCompare:
		req, err := srvsvc.DecodePathCompareRequest(stub)
		if err != nil {
			return rpcResult{fault: faultBadStub}
		}
		return s.pathCompare(req)
	case srvsvc.OpNetprNameCanonicalize:
		req, err := srvsvc.DecodeNameCanonicalizeRequest(stub)
		if err != nil {
			return rpcResult{fault: faultBadStub}
		}
		return s.nameCanonicalize(req)
	}
	return rpcResult{fault: faultOpRngError}
}

func marshal(m interface{ MarshalBinary() ([]byte, error) }) rpcResult {
	b, err := m.MarshalBinary()
	if err != nil {
		return rpcResult{fault: faultBadStub}
	}
	return rpcResult{stub: b}
}

// crashDesc renders a request for the CRASH log line: printable, quoted, bounded.
func crashDesc(call string, fields ...string) string {
	var b strings.Builder
	b.WriteString(call)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, " %s=\"%s\"", fields[i], printable(fields[i+1]))
	}
	return b.String()
}

func printable(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 200 {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hooked reports whether Conficker's hook rejects path (it refuses any `\..\`).
func hooked(path string) bool {
	return strings.Contains(strings.ReplaceAll(path, "/", `\`), `\..\`)
}

func (s *session) infected() bool {
	return s.p.Srvsvc == SrvsvcConfickerABC || s.p.Srvsvc == SrvsvcConfickerDE
}

// overflowVerdict turns the MS08-067 model's answer for a request (reaches: the unpatched
// routine would read before its buffer) into the personality's behaviour: crash (unpatched),
// WERR_INVALID_NAME (patched, honeypot) or nothing. The model is internal/ms08model, written
// apart from the scanner's safety gate (srvsvc.PathReachesOverflow), so that the lab's crashes
// do not share the gate's assumptions.
func (s *session) overflowVerdict(reaches bool) (bool, srvsvc.WERROR) {
	switch {
	case !reaches:
		return false, 0
	case s.p.Srvsvc == SrvsvcUnpatched:
		return true, 0
	}
	return false, srvsvc.WerrInvalidName
}

func (s *session) pathCanonicalize(req srvsvc.PathCanonicalizeRequest) rpcResult {
	if !s.outbufOK(req.OutbufLen) {
		return rpcResult{fault: faultBadStub}
	}
	resp := srvsvc.PathCanonicalizeResponse{Outbuf: make([]byte, req.OutbufLen), PathType: req.PathType}
	if s.infected() {
		if hooked(req.PathName) || hooked(req.Prefix) {
			resp.Status = srvsvc.WerrInvalidParameter
			return marshal(resp)
		}
		if s.p.Srvsvc == SrvsvcConfickerDE && req.PathName == `\` && req.OutbufLen == 2 {
			// D/E's hook leaves `45 5c` in the NDR padding after the 2-byte Outbuf.
			stub := le.AppendUint32(nil, 2)
			stub = append(stub, 0x5c, 0x00, 0x45, 0x5c)
			stub = le.AppendUint32(stub, req.PathType)
			stub = le.AppendUint32(stub, 0)
			return rpcResult{stub: stub}
		}
	}
	if crash, werr := s.overflowVerdict(ms08model.PathCanonicalizeReaches(req.Prefix, req.PathName)); crash {
		return rpcResult{crash: crashDesc("NetprPathCanonicalize", "path", req.PathName, "prefix", req.Prefix)}
	} else if werr != 0 {
		resp.Status = werr
		return marshal(resp)
	}
	canon, werr := canonicalizePath(req.Prefix, req.PathName)
	if werr != 0 {
		resp.Status = werr
		return marshal(resp)
	}
	out := utf16le(canon)
	need := len(out)
	if s.p.CanonCountsNUL {
		need += 2
	}
	if need > len(resp.Outbuf) {
		resp.Status = srvsvc.WerrNerrBufTooSmall
		return marshal(resp)
	}
	copy(resp.Outbuf, out)
	return marshal(resp)
}

func (s *session) pathCompare(req srvsvc.PathCompareRequest) rpcResult {
	if s.p.Srvsvc == SrvsvcHoneypot {
		return marshal(srvsvc.PathCompareResponse{Status: 0})
	}
	if s.infected() && (hooked(req.PathName1) || hooked(req.PathName2)) {
		return marshal(srvsvc.PathCompareResponse{Status: srvsvc.WerrInvalidParameter})
	}
	for i, p := range []string{req.PathName1, req.PathName2} {
		if crash, werr := s.overflowVerdict(ms08model.ReachesOverflow(p)); crash {
			return rpcResult{crash: crashDesc("NetprPathCompare", fmt.Sprintf("path%d", i+1), p)}
		} else if werr != 0 {
			return marshal(srvsvc.PathCompareResponse{Status: werr})
		}
	}
	a, werr := canonicalizePath("", req.PathName1)
	if werr == 0 {
		var b string
		b, werr = canonicalizePath("", req.PathName2)
		if werr == 0 {
			switch c := strings.Compare(strings.ToUpper(a), strings.ToUpper(b)); {
			case c < 0:
				werr = 0xFFFFFFFF
			case c > 0:
				werr = 1
			}
		}
	}
	return marshal(srvsvc.PathCompareResponse{Status: werr})
}

func (s *session) nameCanonicalize(req srvsvc.NameCanonicalizeRequest) rpcResult {
	if !s.outbufOK(req.OutbufLen) {
		return rpcResult{fault: faultBadStub} // the range check of XP SP2+
	}
	resp := srvsvc.NameCanonicalizeResponse{Outbuf: make([]uint16, req.OutbufLen/2)}
	if crash, werr := s.overflowVerdict(ms08model.ReachesOverflow(req.Name)); crash {
		return rpcResult{crash: crashDesc("NetprNameCanonicalize", "name", req.Name)}
	} else if werr != 0 {
		resp.Status = werr
		return marshal(resp)
	}
	name := req.Name
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "\\/:*?\"<>|") {
		resp.Status = srvsvc.WerrInvalidName
		return marshal(resp)
	}
	u := utf16le(strings.ToUpper(name))
	if len(u)/2+1 > len(resp.Outbuf) {
		resp.Status = srvsvc.WerrNerrBufTooSmall
		return marshal(resp)
	}
	for i := 0; i < len(u)/2; i++ {
		resp.Outbuf[i] = le.Uint16(u[2*i:])
	}
	return marshal(resp)
}

// canonicalizePath is the patched routine on safe input: `/` → `\`, `.` dropped, `..` collapsed
// within the path; a `..` with nothing to remove is WERR_INVALID_NAME, as is a NUL or an
// over-long path. A relative path is joined to prefix.
func canonicalizePath(prefix, path string) (string, srvsvc.WERROR) {
	path = strings.ReplaceAll(path, "/", `\`)
	if path != "" && path[0] != '\\' && prefix != "" {
		path = strings.TrimRight(strings.ReplaceAll(prefix, "/", `\`), `\`) + `\` + path
	}
	if strings.ContainsRune(path, 0) || len(path) > 260 {
		return "", srvsvc.WerrInvalidName
	}
	rooted := strings.HasPrefix(path, `\`)
	parts := strings.Split(strings.TrimPrefix(path, `\`), `\`)
	var out []string
	for i, c := range parts {
		switch c {
		case ".":
			continue
		case "..":
			if len(out) == 0 {
				return "", srvsvc.WerrInvalidName
			}
			out = out[:len(out)-1]
			continue
		case "":
			if i == len(parts)-1 {
				continue // a trailing separator
			}
			if i > 0 {
				return "", srvsvc.WerrInvalidName // `\\` inside a path
			}
		}
		out = append(out, c)
	}
	res := strings.Join(out, `\`)
	if rooted {
		res = `\` + res
	}
	if strings.HasSuffix(path, `\`) && res != `\` {
		res += `\`
	}
	return res, 0
}
