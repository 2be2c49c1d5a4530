package srvsvc

import (
	"encoding/binary"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"strings"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/internal/ndr"
)

// srvsvc opnums (MS-SRVS 3.1.4).
const (
	OpNetrServerGetInfo     uint16 = 21 // 0x15
	OpNetrRemoteTOD         uint16 = 28 // 0x1c
	OpNetprPathCanonicalize uint16 = 31 // 0x1f
	OpNetprPathCompare      uint16 = 32 // 0x20
	OpNetprNameCanonicalize uint16 = 34 // 0x22
)

// Interface returns the srvsvc abstract syntax 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0.
func Interface() dcerpc.SyntaxID {
	return dcerpc.SyntaxID{UUID: dcerpc.UUID{0x4b, 0x32, 0x4f, 0xc8, 0x16, 0x70, 0x01, 0xd3, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}, Version: 3}
}

// StringPtr returns &s, for the [unique] ServerName fields.
func StringPtr(s string) *string { return &s }

// Request is any srvsvc request stub.
type Request interface {
	Opnum() uint16
	Encode() ([]byte, error) // the NDR stub
}

// DecodeRequest decodes the stub of a request by opnum — what a server does after reading the
// DCE/RPC request header.
func DecodeRequest(opnum uint16, stub []byte) (Request, error) {
	switch opnum {
	case OpNetrServerGetInfo:
		return DecodeServerGetInfoRequest(stub)
	case OpNetrRemoteTOD:
		return DecodeRemoteTODRequest(stub)
	case OpNetprPathCanonicalize:
		return DecodePathCanonicalizeRequest(stub)
	case OpNetprPathCompare:
		return DecodePathCompareRequest(stub)
	case OpNetprNameCanonicalize:
		return DecodeNameCanonicalizeRequest(stub)
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownOpnum, opnum)
}

func finish[T any](v T, d decoder, what string) (T, error) {
	if err := d.Err(); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// ---- NetrServerGetInfo (21) ----

// ServerGetInfoRequest: [in, string, unique] SRVSVC_HANDLE ServerName, [in] DWORD Level.
type ServerGetInfoRequest struct {
	ServerName *string
	Level      uint32
}

// Opnum is the operation number of NetrServerGetInfo.
func (ServerGetInfoRequest) Opnum() uint16 { return OpNetrServerGetInfo }

// Encode encodes the NetrServerGetInfo request stub (NDR, little-endian).
func (r ServerGetInfoRequest) Encode() ([]byte, error) {
	e := newEncoder()
	if err := e.uniqueWString(r.ServerName); err != nil { // ServerName
		return nil, err
	}
	e.U32(r.Level) // Level
	return e.B, nil
}

// DecodeServerGetInfoRequest decodes a NetrServerGetInfo request stub, bounds-checking every
// count and pointer against it.
func DecodeServerGetInfoRequest(stub []byte) (ServerGetInfoRequest, error) {
	d := newDecoder(stub)
	r := ServerGetInfoRequest{ServerName: d.uniqueWString("ServerName"), Level: d.U32("Level")}
	return finish(r, d, "NetrServerGetInfo request")
}

// ServerInfo101 is SERVER_INFO_101. A NULL name or comment pointer decodes as "" and an empty
// string encodes as a non-NULL empty string, as Windows sends the comment.
type ServerInfo101 struct {
	PlatformID   uint32 // sv101_platform_id: 500 for NT
	Name         string // sv101_name
	VersionMajor uint32 // sv101_version_major
	VersionMinor uint32 // sv101_version_minor
	Type         uint32 // sv101_type: SV_TYPE_* bits
	Comment      string // sv101_comment
}

// ServerGetInfoResponse: [out, switch_is(Level)] LPSERVER_INFO InfoStruct, WERROR. Only level
// 101 is marshalled; any level with a NULL info pointer (the error case) round-trips.
type ServerGetInfoResponse struct {
	Level   uint32
	Info101 *ServerInfo101
	Status  WERROR
}

// Encode encodes the NetrServerGetInfo response stub (NDR, little-endian).
func (r ServerGetInfoResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.U32(r.Level) // InfoStruct union discriminant
	if r.Info101 != nil && r.Level != 101 {
		return nil, fmt.Errorf("%w: %d with level-101 data", ErrUnsupportedLevel, r.Level)
	}
	e.Pointer(r.Info101 != nil) // ServerInfo101 referent
	if i := r.Info101; i != nil {
		e.U32(i.PlatformID)                       // sv101_platform_id
		e.Pointer(true)                           // sv101_name referent
		e.U32(i.VersionMajor)                     // sv101_version_major
		e.U32(i.VersionMinor)                     // sv101_version_minor
		e.U32(i.Type)                             // sv101_type
		e.Pointer(true)                           // sv101_comment referent
		if err := e.wstring(i.Name); err != nil { // deferred sv101_name
			return nil, err
		}
		if err := e.wstring(i.Comment); err != nil { // deferred sv101_comment
			return nil, err
		}
	}
	e.U32(uint32(r.Status)) // return value
	return e.B, nil
}

// DecodeServerGetInfoResponse decodes a NetrServerGetInfo response stub, bounds-checking every
// count and pointer against it.
func DecodeServerGetInfoResponse(stub []byte) (ServerGetInfoResponse, error) {
	d := newDecoder(stub)
	r := ServerGetInfoResponse{Level: d.U32("InfoStruct level")}
	if ref := d.U32("InfoStruct referent"); ref != 0 && d.Err() == nil {
		if r.Level != 101 {
			return ServerGetInfoResponse{}, fmt.Errorf("NetrServerGetInfo response: %w: %d", ErrUnsupportedLevel, r.Level)
		}
		i := &ServerInfo101{PlatformID: d.U32("sv101_platform_id")}
		nameRef := d.U32("sv101_name referent")
		i.VersionMajor = d.U32("sv101_version_major")
		i.VersionMinor = d.U32("sv101_version_minor")
		i.Type = d.U32("sv101_type")
		commentRef := d.U32("sv101_comment referent")
		if nameRef != 0 {
			i.Name = d.WStringZ("sv101_name")
		}
		if commentRef != 0 {
			i.Comment = d.WStringZ("sv101_comment")
		}
		r.Info101 = i
	}
	r.Status = WERROR(d.U32("return value"))
	return finish(r, d, "NetrServerGetInfo response")
}

// ---- NetrRemoteTOD (28) ----

// RemoteTODRequest: [in, string, unique] SRVSVC_HANDLE ServerName.
type RemoteTODRequest struct{ ServerName *string }

// Opnum is the operation number of NetrRemoteTOD.
func (RemoteTODRequest) Opnum() uint16 { return OpNetrRemoteTOD }

// Encode encodes the NetrRemoteTOD request stub (NDR, little-endian).
func (r RemoteTODRequest) Encode() ([]byte, error) {
	e := newEncoder()
	if err := e.uniqueWString(r.ServerName); err != nil { // ServerName
		return nil, err
	}
	return e.B, nil
}

// DecodeRemoteTODRequest decodes a NetrRemoteTOD request stub, bounds-checking every
// count and pointer against it.
func DecodeRemoteTODRequest(stub []byte) (RemoteTODRequest, error) {
	d := newDecoder(stub)
	r := RemoteTODRequest{ServerName: d.uniqueWString("ServerName")}
	return finish(r, d, "NetrRemoteTOD request")
}

// TimeOfDayInfo is TIME_OF_DAY_INFO.
type TimeOfDayInfo struct {
	Elapsedt  uint32 // tod_elapsedt: seconds since 1970-01-01 UTC
	Msecs     uint32 // tod_msecs
	Hours     uint32 // tod_hours
	Mins      uint32 // tod_mins
	Secs      uint32 // tod_secs
	Hunds     uint32 // tod_hunds
	Timezone  int32  // tod_timezone: minutes from UTC, -1 if unknown
	Tinterval uint32 // tod_tinterval: 0.0001 s units
	Day       uint32 // tod_day
	Month     uint32 // tod_month
	Year      uint32 // tod_year
	Weekday   uint32 // tod_weekday
}

// RemoteTODResponse: [out] LPTIME_OF_DAY_INFO* BufferPtr, WERROR. Referent is the id of the
// BufferPtr pointee as sent; it is kept because it fingerprints the server (Metasploit reads
// 0x00020000 as XP SP3). Encoding uses it when non-zero, else 0x00020000.
type RemoteTODResponse struct {
	Referent uint32
	Info     *TimeOfDayInfo
	Status   WERROR
}

// Encode encodes the NetrRemoteTOD response stub (NDR, little-endian).
func (r RemoteTODResponse) Encode() ([]byte, error) {
	e := newEncoder()
	if r.Info == nil {
		e.U32(0) // BufferPtr: NULL
	} else {
		ref := r.Referent
		if ref == 0 {
			ref = ndr.FirstReferent
		}
		i := r.Info
		e.U32(ref) // BufferPtr referent
		for _, v := range []uint32{i.Elapsedt, i.Msecs, i.Hours, i.Mins, i.Secs, i.Hunds, uint32(i.Timezone), i.Tinterval, i.Day, i.Month, i.Year, i.Weekday} {
			e.U32(v) // TIME_OF_DAY_INFO fields in declaration order
		}
	}
	e.U32(uint32(r.Status)) // return value
	return e.B, nil
}

// DecodeRemoteTODResponse decodes a NetrRemoteTOD response stub, bounds-checking every
// count and pointer against it.
func DecodeRemoteTODResponse(stub []byte) (RemoteTODResponse, error) {
	d := newDecoder(stub)
	r := RemoteTODResponse{Referent: d.U32("BufferPtr referent")}
	if r.Referent != 0 && d.Err() == nil {
		var f [12]uint32
		for k := range f {
			f[k] = d.U32("TIME_OF_DAY_INFO")
		}
		r.Info = &TimeOfDayInfo{f[0], f[1], f[2], f[3], f[4], f[5], int32(f[6]), f[7], f[8], f[9], f[10], f[11]}
	}
	r.Status = WERROR(d.U32("return value"))
	return finish(r, d, "NetrRemoteTOD response")
}

// ---- NetprPathCanonicalize (31) ----

// PathCanonicalizeRequest: [in, string, unique] ServerName, [in, string] PathName,
// [in, range(0,64000)] OutbufLen, [in, string] Prefix, [in, out] PathType, [in] Flags.
type PathCanonicalizeRequest struct {
	ServerName *string
	PathName   string
	OutbufLen  uint32
	Prefix     string
	PathType   uint32
	Flags      uint32
}

// Opnum is the operation number of NetprPathCanonicalize.
func (PathCanonicalizeRequest) Opnum() uint16 { return OpNetprPathCanonicalize }

// Paths lists every string of the request that the server may canonicalise: PathName, Prefix,
// and the joined forms netapi32 may build from them (prefix + path, with and without a
// separator, and with the path's leading separator dropped). Listing more than the server
// uses errs on the safe side for PathReachesOverflow.
func (r PathCanonicalizeRequest) Paths() []string {
	return joinedPaths(r.PathName, r.Prefix)
}

func joinedPaths(path, prefix string) []string {
	// The server's wcscpy/wcscat take each string up to its first NUL before joining them.
	path, prefix = cutAtNUL(path), cutAtNUL(prefix)
	c := []string{path, prefix, prefix + path, prefix + `\` + path}
	if len(path) > 0 && (path[0] == '\\' || path[0] == '/') {
		// The caller skips the path's own separator after the prefix and its added `\`.
		c = append(c, prefix+path[1:], prefix+`\`+path[1:])
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range c {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Encode encodes the NetprPathCanonicalize request stub (NDR, little-endian).
func (r PathCanonicalizeRequest) Encode() ([]byte, error) {
	e := newEncoder()
	if err := e.uniqueWString(r.ServerName); err != nil { // ServerName
		return nil, err
	}
	if err := e.wstring(r.PathName); err != nil { // PathName
		return nil, err
	}
	e.U32(r.OutbufLen)                          // OutbufLen
	if err := e.wstring(r.Prefix); err != nil { // Prefix
		return nil, err
	}
	e.U32(r.PathType) // PathType
	e.U32(r.Flags)    // Flags
	return e.B, nil
}

// DecodePathCanonicalizeRequest decodes a NetprPathCanonicalize request stub, bounds-checking every
// count and pointer against it.
func DecodePathCanonicalizeRequest(stub []byte) (PathCanonicalizeRequest, error) {
	d := newDecoder(stub)
	r := PathCanonicalizeRequest{ServerName: d.uniqueWString("ServerName")}
	r.PathName = d.WStringZ("PathName")
	r.OutbufLen = d.U32("OutbufLen")
	r.Prefix = d.WStringZ("Prefix")
	r.PathType = d.U32("PathType")
	r.Flags = d.U32("Flags")
	return finish(r, d, "NetprPathCanonicalize request")
}

// PathCanonicalizeResponse: [out, size_is(OutbufLen)] unsigned char* Outbuf, [in, out] PathType,
// WERROR. Outbuf holds the canonical path in UTF-16LE (see Path).
type PathCanonicalizeResponse struct {
	Outbuf   []byte
	PathType uint32
	Status   WERROR
}

// Path decodes Outbuf as UTF-16LE up to its first NUL.
func (r PathCanonicalizeResponse) Path() string { return utf16le.DecodeToNUL(r.Outbuf) }

// Encode encodes the NetprPathCanonicalize response stub (NDR, little-endian).
func (r PathCanonicalizeResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.ConformantBytes(r.Outbuf) // Outbuf
	e.U32(r.PathType)           // PathType
	e.U32(uint32(r.Status))     // return value
	return e.B, nil
}

// DecodePathCanonicalizeResponse decodes a NetprPathCanonicalize response stub, bounds-checking every
// count and pointer against it.
func DecodePathCanonicalizeResponse(stub []byte) (PathCanonicalizeResponse, error) {
	d := newDecoder(stub)
	r := PathCanonicalizeResponse{Outbuf: d.ConformantBytes("Outbuf")}
	r.PathType = d.U32("PathType")
	r.Status = WERROR(d.U32("return value"))
	return finish(r, d, "NetprPathCanonicalize response")
}

// PathCanonicalizeWords is the Conficker-probe reading of a 16-byte NetprPathCanonicalize
// response (OutbufLen 2) as four little-endian uint32. CanPath is the 2 Outbuf bytes followed by
// the 2 NDR padding bytes: Conficker's hook leaves data in the padding, so it is kept.
type PathCanonicalizeWords struct {
	MaxCount uint32
	CanPath  uint32
	PathType uint32
	Status   WERROR
}

// DecodePathCanonicalizeWords reads a stub of exactly 16 bytes as four uint32.
func DecodePathCanonicalizeWords(stub []byte) (PathCanonicalizeWords, error) {
	if len(stub) != 16 {
		return PathCanonicalizeWords{}, fmt.Errorf("%w: four-word response needs exactly 16 bytes, have %d", ErrMalformed, len(stub))
	}
	le := binary.LittleEndian
	return PathCanonicalizeWords{
		MaxCount: le.Uint32(stub[0:4]),
		CanPath:  le.Uint32(stub[4:8]),
		PathType: le.Uint32(stub[8:12]),
		Status:   WERROR(le.Uint32(stub[12:16])),
	}, nil
}

// ---- NetprPathCompare (32) ----

// PathCompareRequest: [in, string, unique] ServerName, [in, string] PathName1,
// [in, string] PathName2, [in] PathType, [in] Flags.
type PathCompareRequest struct {
	ServerName *string
	PathName1  string
	PathName2  string
	PathType   uint32
	Flags      uint32
}

// Opnum is the operation number of NetprPathCompare.
func (PathCompareRequest) Opnum() uint16 { return OpNetprPathCompare }

// Paths lists both paths: with Flags 0 the server canonicalises each.
func (r PathCompareRequest) Paths() []string { return []string{r.PathName1, r.PathName2} }

// Encode encodes the NetprPathCompare request stub (NDR, little-endian).
func (r PathCompareRequest) Encode() ([]byte, error) {
	e := newEncoder()
	if err := e.uniqueWString(r.ServerName); err != nil { // ServerName
		return nil, err
	}
	if err := e.wstring(r.PathName1); err != nil { // PathName1
		return nil, err
	}
	if err := e.wstring(r.PathName2); err != nil { // PathName2
		return nil, err
	}
	e.U32(r.PathType) // PathType
	e.U32(r.Flags)    // Flags
	return e.B, nil
}

// DecodePathCompareRequest decodes a NetprPathCompare request stub, bounds-checking every
// count and pointer against it.
func DecodePathCompareRequest(stub []byte) (PathCompareRequest, error) {
	d := newDecoder(stub)
	r := PathCompareRequest{ServerName: d.uniqueWString("ServerName")}
	r.PathName1 = d.WStringZ("PathName1")
	r.PathName2 = d.WStringZ("PathName2")
	r.PathType = d.U32("PathType")
	r.Flags = d.U32("Flags")
	return finish(r, d, "NetprPathCompare request")
}

// PathCompareResponse is the bare return value (a long; 0 means equal or, for the MS08-067
// probe, "vulnerable").
type PathCompareResponse struct{ Status WERROR }

// Encode encodes the NetprPathCompare response stub (NDR, little-endian).
func (r PathCompareResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.U32(uint32(r.Status)) // return value
	return e.B, nil
}

// DecodePathCompareResponse decodes a NetprPathCompare response stub, bounds-checking every
// count and pointer against it.
func DecodePathCompareResponse(stub []byte) (PathCompareResponse, error) {
	d := newDecoder(stub)
	r := PathCompareResponse{Status: WERROR(d.U32("return value"))}
	return finish(r, d, "NetprPathCompare response")
}

// ---- NetprNameCanonicalize (34) ----

// NameCanonicalizeRequest: [in, string, unique] ServerName, [in, string] Name,
// [in, range(0,64000)] OutbufLen, [in] NameType, [in] Flags.
type NameCanonicalizeRequest struct {
	ServerName *string
	Name       string
	OutbufLen  uint32
	NameType   uint32
	Flags      uint32
}

// Opnum is the operation number of NetprNameCanonicalize.
func (NameCanonicalizeRequest) Opnum() uint16 { return OpNetprNameCanonicalize }

// Paths lists Name, so a safety test can treat every srvsvc string alike.
func (r NameCanonicalizeRequest) Paths() []string { return []string{r.Name} }

// Encode encodes the NetprNameCanonicalize request stub (NDR, little-endian).
func (r NameCanonicalizeRequest) Encode() ([]byte, error) {
	e := newEncoder()
	if err := e.uniqueWString(r.ServerName); err != nil { // ServerName
		return nil, err
	}
	if err := e.wstring(r.Name); err != nil { // Name
		return nil, err
	}
	e.U32(r.OutbufLen) // OutbufLen
	e.U32(r.NameType)  // NameType
	e.U32(r.Flags)     // Flags
	return e.B, nil
}

// DecodeNameCanonicalizeRequest decodes a NetprNameCanonicalize request stub, bounds-checking every
// count and pointer against it.
func DecodeNameCanonicalizeRequest(stub []byte) (NameCanonicalizeRequest, error) {
	d := newDecoder(stub)
	r := NameCanonicalizeRequest{ServerName: d.uniqueWString("ServerName")}
	r.Name = d.WStringZ("Name")
	r.OutbufLen = d.U32("OutbufLen")
	r.NameType = d.U32("NameType")
	r.Flags = d.U32("Flags")
	return finish(r, d, "NetprNameCanonicalize request")
}

// NameCanonicalizeResponse: [out, size_is(OutbufLen/2)] WCHAR* Outbuf (a conformant array, not
// a string: MaxCount is OutbufLen/2 whatever the name's length), WERROR.
type NameCanonicalizeResponse struct {
	Outbuf []uint16
	Status WERROR
}

// Name decodes Outbuf up to its first NUL.
func (r NameCanonicalizeResponse) Name() string { return ndr.UTF16String(r.Outbuf) }

// Encode encodes the NetprNameCanonicalize response stub (NDR, little-endian).
func (r NameCanonicalizeResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.conformantWChars(r.Outbuf) // Outbuf
	e.U32(uint32(r.Status))      // return value
	return e.B, nil
}

// DecodeNameCanonicalizeResponse decodes a NetprNameCanonicalize response stub, bounds-checking every
// count and pointer against it.
func DecodeNameCanonicalizeResponse(stub []byte) (NameCanonicalizeResponse, error) {
	d := newDecoder(stub)
	r := NameCanonicalizeResponse{Outbuf: d.conformantWChars("Outbuf")}
	r.Status = WERROR(d.U32("return value"))
	return finish(r, d, "NetprNameCanonicalize response")
}

// cutAtNUL is s up to its first NUL.
func cutAtNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
