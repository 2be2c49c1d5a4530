package samr

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// samr opnums (MS-SAMR 3.1.5). Only read-only calls are listed; see ReadOnlyOpnums.
const (
	OpSamrConnect                     uint16 = 0
	OpSamrCloseHandle                 uint16 = 1
	OpSamrLookupDomainInSamServer     uint16 = 5
	OpSamrEnumerateDomainsInSamServer uint16 = 6
	OpSamrOpenDomain                  uint16 = 7
	OpSamrQueryInformationDomain      uint16 = 8
	OpSamrEnumerateUsersInDomain      uint16 = 13
	OpSamrConnect2                    uint16 = 57
	OpSamrConnect5                    uint16 = 64
)

// ReadOnlyOpnums is every opnum this package can encode. None of them changes the SAM: the
// write calls (SamrSetInformationDomain 9, SamrCreateUserInDomain 12, SamrSetInformationUser
// 37, SamrChangePasswordUser 38, SamrUnicodeChangePasswordUser2 55, …) have no type here.
func ReadOnlyOpnums() []uint16 {
	return []uint16{OpSamrConnect, OpSamrCloseHandle, OpSamrLookupDomainInSamServer,
		OpSamrEnumerateDomainsInSamServer, OpSamrOpenDomain, OpSamrQueryInformationDomain,
		OpSamrEnumerateUsersInDomain, OpSamrConnect2, OpSamrConnect5}
}

// Access rights the audit asks for (MS-SAMR 2.2.1.3, 2.2.1.4): connect, enumerate and look
// up domains; read the password and lockout parameters, list and look up accounts.
const (
	ServerReadAccess uint32 = 0x00000001 | 0x00000010 | 0x00000020 // SAM_SERVER_CONNECT | _ENUMERATE_DOMAINS | _LOOKUP_DOMAIN
	DomainReadAccess uint32 = 0x00000001 | 0x00000100 | 0x00000200 // DOMAIN_READ_PASSWORD_PARAMETERS | _LIST_ACCOUNTS | _LOOKUP
)

// genericWriteAccess are the standard and generic rights that could let a handle change
// something: DELETE, WRITE_DAC, WRITE_OWNER, ACCESS_SYSTEM_SECURITY, MAXIMUM_ALLOWED,
// GENERIC_ALL and GENERIC_WRITE.
const genericWriteAccess uint32 = 0x00010000 | 0x00040000 | 0x00080000 | 0x01000000 | 0x02000000 | 0x10000000 | 0x40000000

// ServerWriteAccess is every right on a server handle beyond reading: SAM_SERVER_SHUTDOWN,
// _INITIALIZE and _CREATE_DOMAIN, and genericWriteAccess. The connect requests refuse it.
const ServerWriteAccess uint32 = genericWriteAccess | 0x00000002 | 0x00000004 | 0x00000008

// DomainWriteAccess is every right on a domain handle beyond reading: DOMAIN_WRITE_PASSWORD_PARAMS,
// _WRITE_OTHER_PARAMETERS, _CREATE_USER, _CREATE_GROUP, _CREATE_ALIAS, _ADMINISTER_SERVER,
// and genericWriteAccess. SamrOpenDomain refuses it. (The same bit values mean different
// rights on the two kinds of handle, hence two masks.)
const DomainWriteAccess uint32 = genericWriteAccess | 0x00000002 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040 | 0x00000400

// USER_NORMAL_ACCOUNT, the UserAccountControl filter of SamrEnumerateUsersInDomain for
// ordinary (not machine, not trust) accounts.
const UserNormalAccount uint32 = 0x00000010

// Interface returns the samr abstract syntax 12345778-1234-abcd-ef00-0123456789ac v1.0.
func Interface() dcerpc.SyntaxID {
	return dcerpc.SyntaxID{UUID: dcerpc.UUID{0x12, 0x34, 0x57, 0x78, 0x12, 0x34, 0xab, 0xcd, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac}, Version: 1}
}

// Handle is a SAMPR_HANDLE, a 20-byte context handle.
type Handle [20]byte

// IsZero reports whether h is the nil handle (what SamrCloseHandle hands back).
func (h Handle) IsZero() bool { return h == Handle{} }

// SID is an RPC_SID.
type SID struct {
	Revision       uint8
	Authority      [6]byte
	SubAuthorities []uint32
}

// String is the S-1-… form.
func (s SID) String() string {
	var auth uint64
	for _, b := range s.Authority {
		auth = auth<<8 | uint64(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "S-%d-%d", s.Revision, auth)
	for _, a := range s.SubAuthorities {
		b.WriteString("-" + strconv.FormatUint(uint64(a), 10))
	}
	return b.String()
}

// Request is a samr request stub. It is sealed: only this package's read-only calls
// implement it.
type Request interface {
	Opnum() uint16
	Encode() ([]byte, error) // the NDR stub
	readOnly()
}

// DecodeRequest decodes the stub of a request by opnum — what a server does after reading the
// DCE/RPC request header.
func DecodeRequest(opnum uint16, stub []byte) (Request, error) {
	switch opnum {
	case OpSamrConnect:
		return DecodeConnectRequest(stub)
	case OpSamrCloseHandle:
		return DecodeCloseHandleRequest(stub)
	case OpSamrLookupDomainInSamServer:
		return DecodeLookupDomainRequest(stub)
	case OpSamrEnumerateDomainsInSamServer:
		return DecodeEnumerateDomainsRequest(stub)
	case OpSamrOpenDomain:
		return DecodeOpenDomainRequest(stub)
	case OpSamrQueryInformationDomain:
		return DecodeQueryInformationDomainRequest(stub)
	case OpSamrEnumerateUsersInDomain:
		return DecodeEnumerateUsersRequest(stub)
	case OpSamrConnect2:
		return DecodeConnect2Request(stub)
	case OpSamrConnect5:
		return DecodeConnect5Request(stub)
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownOpnum, opnum)
}

func accessError(call string, access, forbidden uint32) error {
	if access&forbidden != 0 {
		return fmt.Errorf("samr: %s asks for write access 0x%08x: refused", call, access&forbidden)
	}
	return nil
}

// ---- SamrConnect (0) ----

// ConnectRequest: [in, unique] PSAMPR_SERVER_NAME2 ServerName (one wchar_t, ignored by
// servers), [in] ACCESS_MASK DesiredAccess. ServerName is sent NULL.
type ConnectRequest struct{ Access uint32 }

// Opnum is the operation number of SamrConnect.
func (ConnectRequest) Opnum() uint16 { return OpSamrConnect }
func (ConnectRequest) readOnly()     {}

// Encode encodes the SamrConnect request stub.
func (r ConnectRequest) Encode() ([]byte, error) {
	if err := accessError("SamrConnect", r.Access, ServerWriteAccess); err != nil {
		return nil, err
	}
	e := newEncoder()
	e.pointer(false) // ServerName: NULL
	e.u32(r.Access)  // DesiredAccess
	return e.b, nil
}

// DecodeConnectRequest decodes a SamrConnect request stub.
func DecodeConnectRequest(stub []byte) (ConnectRequest, error) {
	d := &decoder{b: stub}
	if d.u32("ServerName referent") != 0 {
		d.u16("ServerName")
	}
	r := ConnectRequest{Access: d.u32("DesiredAccess")}
	return finish(r, d, "SamrConnect request")
}

// HandleResponse is the answer of SamrConnect, SamrConnect2 and SamrOpenDomain: [out]
// SAMPR_HANDLE*, NTSTATUS.
type HandleResponse struct {
	Handle Handle
	Status ntstatus.Status
}

// Encode encodes the response stub.
func (r HandleResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	e.u32(uint32(r.Status))
	return e.b, nil
}

// DecodeHandleResponse decodes a SamrConnect, SamrConnect2 or SamrOpenDomain response stub.
func DecodeHandleResponse(stub []byte) (HandleResponse, error) {
	d := &decoder{b: stub}
	r := HandleResponse{Handle: d.handle("handle")}
	r.Status = ntstatus.Status(d.u32("return value"))
	return finish(r, d, "samr handle response")
}

// ---- SamrConnect2 (57) ----

// Connect2Request: [in, unique, string] PSAMPR_SERVER_NAME ServerName, [in] ACCESS_MASK.
type Connect2Request struct {
	ServerName *string
	Access     uint32
}

// Opnum is the operation number of SamrConnect2.
func (Connect2Request) Opnum() uint16 { return OpSamrConnect2 }
func (Connect2Request) readOnly()     {}

func encodeServerName(e *encoder, s *string) error {
	e.pointer(s != nil)
	if s == nil {
		return nil
	}
	if err := checkString(*s); err != nil {
		return err
	}
	e.wstringZ(*s)
	return nil
}

func decodeServerName(d *decoder) *string {
	if d.u32("ServerName referent") == 0 || d.err != nil {
		return nil
	}
	s := d.wstringZ("ServerName")
	return &s
}

// Encode encodes the SamrConnect2 request stub.
func (r Connect2Request) Encode() ([]byte, error) {
	if err := accessError("SamrConnect2", r.Access, ServerWriteAccess); err != nil {
		return nil, err
	}
	e := newEncoder()
	if err := encodeServerName(e, r.ServerName); err != nil {
		return nil, err
	}
	e.u32(r.Access) // DesiredAccess
	return e.b, nil
}

// DecodeConnect2Request decodes a SamrConnect2 request stub.
func DecodeConnect2Request(stub []byte) (Connect2Request, error) {
	d := &decoder{b: stub}
	r := Connect2Request{ServerName: decodeServerName(d)}
	r.Access = d.u32("DesiredAccess")
	return finish(r, d, "SamrConnect2 request")
}

// ---- SamrConnect5 (64) ----

// Connect5Request: ServerName, DesiredAccess, InVersion 1 and SAMPR_REVISION_INFO_V1
// {Revision 3, SupportedFeatures 0}, as Windows 7 clients send.
type Connect5Request struct {
	ServerName *string
	Access     uint32
}

// Opnum is the operation number of SamrConnect5.
func (Connect5Request) Opnum() uint16 { return OpSamrConnect5 }
func (Connect5Request) readOnly()     {}

// Encode encodes the SamrConnect5 request stub.
func (r Connect5Request) Encode() ([]byte, error) {
	if err := accessError("SamrConnect5", r.Access, ServerWriteAccess); err != nil {
		return nil, err
	}
	e := newEncoder()
	if err := encodeServerName(e, r.ServerName); err != nil {
		return nil, err
	}
	e.u32(r.Access) // DesiredAccess
	e.u32(1)        // InVersion
	e.u32(1)        // InRevisionInfo union discriminant
	e.u32(3)        // V1.Revision
	e.u32(0)        // V1.SupportedFeatures
	return e.b, nil
}

// DecodeConnect5Request decodes a SamrConnect5 request stub; only revision info version 1 is
// understood.
func DecodeConnect5Request(stub []byte) (Connect5Request, error) {
	d := &decoder{b: stub}
	r := Connect5Request{ServerName: decodeServerName(d)}
	r.Access = d.u32("DesiredAccess")
	v := d.u32("InVersion")
	tag := d.u32("InRevisionInfo discriminant")
	d.u32("Revision")
	d.u32("SupportedFeatures")
	if d.err == nil && (v != 1 || tag != 1) {
		d.malformed("InVersion %d, discriminant %d", v, tag)
	}
	return finish(r, d, "SamrConnect5 request")
}

// Connect5Response: OutVersion, SAMPR_REVISION_INFO_V1, ServerHandle, NTSTATUS.
type Connect5Response struct {
	Revision, SupportedFeatures uint32
	Handle                      Handle
	Status                      ntstatus.Status
}

// Encode encodes the SamrConnect5 response stub.
func (r Connect5Response) Encode() ([]byte, error) {
	e := newEncoder()
	e.u32(1) // OutVersion
	e.u32(1) // OutRevisionInfo discriminant
	e.u32(r.Revision)
	e.u32(r.SupportedFeatures)
	e.handle(r.Handle)
	e.u32(uint32(r.Status))
	return e.b, nil
}

// DecodeConnect5Response decodes a SamrConnect5 response stub.
func DecodeConnect5Response(stub []byte) (Connect5Response, error) {
	d := &decoder{b: stub}
	v := d.u32("OutVersion")
	tag := d.u32("OutRevisionInfo discriminant")
	r := Connect5Response{Revision: d.u32("Revision"), SupportedFeatures: d.u32("SupportedFeatures")}
	r.Handle = d.handle("ServerHandle")
	r.Status = ntstatus.Status(d.u32("return value"))
	if d.err == nil && (v != 1 || tag != 1) {
		d.malformed("OutVersion %d, discriminant %d", v, tag)
	}
	return finish(r, d, "SamrConnect5 response")
}

// ---- SamrCloseHandle (1) ----

// CloseHandleRequest: [in, out] SAMPR_HANDLE* SamHandle.
type CloseHandleRequest struct{ Handle Handle }

// Opnum is the operation number of SamrCloseHandle.
func (CloseHandleRequest) Opnum() uint16 { return OpSamrCloseHandle }
func (CloseHandleRequest) readOnly()     {}

// Encode encodes the SamrCloseHandle request stub.
func (r CloseHandleRequest) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	return e.b, nil
}

// DecodeCloseHandleRequest decodes a SamrCloseHandle request stub.
func DecodeCloseHandleRequest(stub []byte) (CloseHandleRequest, error) {
	d := &decoder{b: stub}
	r := CloseHandleRequest{Handle: d.handle("SamHandle")}
	return finish(r, d, "SamrCloseHandle request")
}

// The SamrCloseHandle response is a HandleResponse (the zeroed handle and the status).

// ---- SamrLookupDomainInSamServer (5) ----

// LookupDomainRequest: [in] SAMPR_HANDLE ServerHandle, [in] PRPC_UNICODE_STRING Name.
type LookupDomainRequest struct {
	Handle Handle
	Name   string
}

// Opnum is the operation number of SamrLookupDomainInSamServer.
func (LookupDomainRequest) Opnum() uint16 { return OpSamrLookupDomainInSamServer }
func (LookupDomainRequest) readOnly()     {}

// Encode encodes the SamrLookupDomainInSamServer request stub.
func (r LookupDomainRequest) Encode() ([]byte, error) {
	if err := checkString(r.Name); err != nil {
		return nil, err
	}
	e := newEncoder()
	e.handle(r.Handle)
	e.unicodeStringHeader(r.Name) // Name (a [ref] pointer: the structure is in line)
	e.unicodeStringBody(r.Name)   // its deferred Buffer
	return e.b, nil
}

// DecodeLookupDomainRequest decodes a SamrLookupDomainInSamServer request stub.
func DecodeLookupDomainRequest(stub []byte) (LookupDomainRequest, error) {
	d := &decoder{b: stub}
	r := LookupDomainRequest{Handle: d.handle("ServerHandle")}
	n, ok := d.unicodeStringHeader("Name")
	if ok {
		r.Name = d.unicodeStringBody("Name", n)
	}
	return finish(r, d, "SamrLookupDomainInSamServer request")
}

// LookupDomainResponse: [out] PRPC_SID* DomainId, NTSTATUS.
type LookupDomainResponse struct {
	SID    *SID
	Status ntstatus.Status
}

// Encode encodes the SamrLookupDomainInSamServer response stub.
func (r LookupDomainResponse) Encode() ([]byte, error) {
	if r.SID != nil && len(r.SID.SubAuthorities) > maxSubAuthorities {
		return nil, fmt.Errorf("%w: SID with %d sub-authorities", ErrMalformed, len(r.SID.SubAuthorities))
	}
	e := newEncoder()
	e.pointer(r.SID != nil)
	if r.SID != nil {
		e.sid(*r.SID)
	}
	e.u32(uint32(r.Status))
	return e.b, nil
}

// DecodeLookupDomainResponse decodes a SamrLookupDomainInSamServer response stub.
func DecodeLookupDomainResponse(stub []byte) (LookupDomainResponse, error) {
	d := &decoder{b: stub}
	var r LookupDomainResponse
	if d.u32("DomainId referent") != 0 && d.err == nil {
		s := d.sid("DomainId")
		r.SID = &s
	}
	r.Status = ntstatus.Status(d.u32("return value"))
	return finish(r, d, "SamrLookupDomainInSamServer response")
}

// ---- SamrOpenDomain (7) ----

// OpenDomainRequest: [in] ServerHandle, [in] ACCESS_MASK DesiredAccess, [in] PRPC_SID DomainId.
type OpenDomainRequest struct {
	Handle Handle
	Access uint32
	SID    SID
}

// Opnum is the operation number of SamrOpenDomain.
func (OpenDomainRequest) Opnum() uint16 { return OpSamrOpenDomain }
func (OpenDomainRequest) readOnly()     {}

// Encode encodes the SamrOpenDomain request stub.
func (r OpenDomainRequest) Encode() ([]byte, error) {
	if err := accessError("SamrOpenDomain", r.Access, DomainWriteAccess); err != nil {
		return nil, err
	}
	if len(r.SID.SubAuthorities) > maxSubAuthorities {
		return nil, fmt.Errorf("%w: SID with %d sub-authorities", ErrMalformed, len(r.SID.SubAuthorities))
	}
	e := newEncoder()
	e.handle(r.Handle)
	e.u32(r.Access)
	e.sid(r.SID) // a [ref] pointer: in line
	return e.b, nil
}

// DecodeOpenDomainRequest decodes a SamrOpenDomain request stub.
func DecodeOpenDomainRequest(stub []byte) (OpenDomainRequest, error) {
	d := &decoder{b: stub}
	r := OpenDomainRequest{Handle: d.handle("ServerHandle"), Access: d.u32("DesiredAccess")}
	r.SID = d.sid("DomainId")
	return finish(r, d, "SamrOpenDomain request")
}

// ---- SamrQueryInformationDomain (8) ----

// DOMAIN_INFORMATION_CLASS values this package marshals.
const (
	DomainPasswordInformation uint16 = 1
	DomainLockoutInformation  uint16 = 12
)

// QueryInformationDomainRequest: [in] DomainHandle, [in] DOMAIN_INFORMATION_CLASS (an enum:
// 16 bits on the wire).
type QueryInformationDomainRequest struct {
	Handle Handle
	Class  uint16
}

// Opnum is the operation number of SamrQueryInformationDomain.
func (QueryInformationDomainRequest) Opnum() uint16 { return OpSamrQueryInformationDomain }
func (QueryInformationDomainRequest) readOnly()     {}

// Encode encodes the SamrQueryInformationDomain request stub.
func (r QueryInformationDomainRequest) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	e.u16(r.Class)
	return e.b, nil
}

// DecodeQueryInformationDomainRequest decodes a SamrQueryInformationDomain request stub.
func DecodeQueryInformationDomainRequest(stub []byte) (QueryInformationDomainRequest, error) {
	d := &decoder{b: stub}
	r := QueryInformationDomainRequest{Handle: d.handle("DomainHandle"), Class: d.u16("DomainInformationClass")}
	return finish(r, d, "SamrQueryInformationDomain request")
}

// LockoutInfo is DOMAIN_LOCKOUT_INFORMATION. Durations are in 100 ns units, negative (relative
// time), as the SAM stores them; Threshold 0 means accounts never lock.
type LockoutInfo struct {
	Duration  int64 // LockoutDuration
	Window    int64 // LockoutObservationWindow
	Threshold uint16
}

// DurationTime is LockoutDuration as a positive duration (0 for "until an admin unlocks").
func (l LockoutInfo) DurationTime() time.Duration { return relative(l.Duration) }

// WindowTime is LockoutObservationWindow as a positive duration.
func (l LockoutInfo) WindowTime() time.Duration { return relative(l.Window) }

// relative converts a negative 100 ns count to a duration; the "never" value (the most
// negative int64) and positive values become 0.
func relative(v int64) time.Duration {
	if v >= 0 || v == -1<<63 {
		return 0
	}
	return time.Duration(-v) * 100
}

// RelativeTime is the inverse of LockoutInfo.DurationTime, for servers.
func RelativeTime(d time.Duration) int64 { return -int64(d / 100) }

// PasswordInfo is DOMAIN_PASSWORD_INFORMATION.
type PasswordInfo struct {
	MinLength, HistoryLength uint16
	Properties               uint32
	MaxAge, MinAge           int64
}

// QueryInformationDomainResponse: [out, switch_is] PSAMPR_DOMAIN_INFO_BUFFER* Buffer,
// NTSTATUS. The union discriminant is a 16-bit enum and the arm is 4-aligned, as Samba
// sends it. Exactly one of Lockout and Password is set when the buffer is present.
type QueryInformationDomainResponse struct {
	Class    uint16
	Lockout  *LockoutInfo
	Password *PasswordInfo
	Status   ntstatus.Status
}

// Encode encodes the SamrQueryInformationDomain response stub.
func (r QueryInformationDomainResponse) Encode() ([]byte, error) {
	e := newEncoder()
	switch {
	case r.Lockout != nil && r.Password != nil:
		return nil, fmt.Errorf("%w: two information arms", ErrMalformed)
	case r.Lockout != nil && r.Class != DomainLockoutInformation, r.Password != nil && r.Class != DomainPasswordInformation:
		return nil, fmt.Errorf("%w: class %d with the wrong arm", ErrUnsupportedClass, r.Class)
	}
	e.pointer(r.Lockout != nil || r.Password != nil) // Buffer referent
	switch {
	case r.Lockout != nil:
		e.u16(r.Class)
		e.oldLargeInteger(r.Lockout.Duration) // 4-aligned
		e.oldLargeInteger(r.Lockout.Window)
		e.u16(r.Lockout.Threshold)
	case r.Password != nil:
		p := r.Password
		e.u16(r.Class)
		e.align(4) // the arm is 4-aligned
		e.u16(p.MinLength)
		e.u16(p.HistoryLength)
		e.u32(p.Properties)
		e.oldLargeInteger(p.MaxAge)
		e.oldLargeInteger(p.MinAge)
	}
	e.u32(uint32(r.Status))
	return e.b, nil
}

// DecodeQueryInformationDomainResponse decodes a SamrQueryInformationDomain response stub.
func DecodeQueryInformationDomainResponse(stub []byte) (QueryInformationDomainResponse, error) {
	d := &decoder{b: stub}
	var r QueryInformationDomainResponse
	if d.u32("Buffer referent") != 0 && d.err == nil {
		r.Class = d.u16("Buffer discriminant")
		d.align(4)
		switch r.Class {
		case DomainLockoutInformation:
			l := LockoutInfo{Duration: d.oldLargeInteger("LockoutDuration"), Window: d.oldLargeInteger("LockoutObservationWindow")}
			l.Threshold = d.u16("LockoutThreshold")
			r.Lockout = &l
		case DomainPasswordInformation:
			p := PasswordInfo{MinLength: d.u16("MinPasswordLength"), HistoryLength: d.u16("PasswordHistoryLength")}
			p.Properties = d.u32("PasswordProperties")
			p.MaxAge = d.oldLargeInteger("MaxPasswordAge")
			p.MinAge = d.oldLargeInteger("MinPasswordAge")
			r.Password = &p
		default:
			if d.err == nil {
				return r, fmt.Errorf("SamrQueryInformationDomain response: %w: %d", ErrUnsupportedClass, r.Class)
			}
		}
	}
	r.Status = ntstatus.Status(d.u32("return value"))
	return finish(r, d, "SamrQueryInformationDomain response")
}

// ---- SamrEnumerateDomainsInSamServer (6), SamrEnumerateUsersInDomain (13) ----

// EnumerateDomainsRequest: [in] ServerHandle, [in, out] EnumerationContext, [in]
// PreferedMaximumLength.
type EnumerateDomainsRequest struct {
	Handle    Handle
	Context   uint32
	MaxLength uint32
}

// Opnum is the operation number of SamrEnumerateDomainsInSamServer.
func (EnumerateDomainsRequest) Opnum() uint16 { return OpSamrEnumerateDomainsInSamServer }
func (EnumerateDomainsRequest) readOnly()     {}

// Encode encodes the SamrEnumerateDomainsInSamServer request stub.
func (r EnumerateDomainsRequest) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	e.u32(r.Context)
	e.u32(r.MaxLength)
	return e.b, nil
}

// DecodeEnumerateDomainsRequest decodes a SamrEnumerateDomainsInSamServer request stub.
func DecodeEnumerateDomainsRequest(stub []byte) (EnumerateDomainsRequest, error) {
	d := &decoder{b: stub}
	r := EnumerateDomainsRequest{Handle: d.handle("ServerHandle"), Context: d.u32("EnumerationContext")}
	r.MaxLength = d.u32("PreferedMaximumLength")
	return finish(r, d, "SamrEnumerateDomainsInSamServer request")
}

// EnumerateUsersRequest: [in] DomainHandle, [in, out] EnumerationContext, [in]
// UserAccountControl, [in] PreferedMaximumLength.
type EnumerateUsersRequest struct {
	Handle             Handle
	Context            uint32
	UserAccountControl uint32
	MaxLength          uint32
}

// Opnum is the operation number of SamrEnumerateUsersInDomain.
func (EnumerateUsersRequest) Opnum() uint16 { return OpSamrEnumerateUsersInDomain }
func (EnumerateUsersRequest) readOnly()     {}

// Encode encodes the SamrEnumerateUsersInDomain request stub.
func (r EnumerateUsersRequest) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	e.u32(r.Context)
	e.u32(r.UserAccountControl)
	e.u32(r.MaxLength)
	return e.b, nil
}

// DecodeEnumerateUsersRequest decodes a SamrEnumerateUsersInDomain request stub.
func DecodeEnumerateUsersRequest(stub []byte) (EnumerateUsersRequest, error) {
	d := &decoder{b: stub}
	r := EnumerateUsersRequest{Handle: d.handle("DomainHandle"), Context: d.u32("EnumerationContext")}
	r.UserAccountControl = d.u32("UserAccountControl")
	r.MaxLength = d.u32("PreferedMaximumLength")
	return finish(r, d, "SamrEnumerateUsersInDomain request")
}

// Entry is SAMPR_RID_ENUMERATION: a relative id and a name (0 for domains).
type Entry struct {
	RID  uint32
	Name string
}

// StatusMoreEntries is STATUS_MORE_ENTRIES: the enumeration continues from Context.
const StatusMoreEntries ntstatus.Status = 0x00000105

// EnumerationResponse is the answer of both enumerations: [in, out] EnumerationContext, [out]
// PSAMPR_ENUMERATION_BUFFER* Buffer, [out] CountReturned, NTSTATUS. Entries nil encodes a NULL
// buffer.
type EnumerationResponse struct {
	Context uint32
	Entries []Entry
	Count   uint32
	Status  ntstatus.Status
}

// Encode encodes an enumeration response stub.
func (r EnumerationResponse) Encode() ([]byte, error) {
	for _, en := range r.Entries {
		if err := checkString(en.Name); err != nil {
			return nil, err
		}
	}
	e := newEncoder()
	e.u32(r.Context)
	e.pointer(r.Entries != nil) // Buffer
	if r.Entries != nil {
		e.u32(uint32(len(r.Entries))) // EntriesRead
		e.pointer(len(r.Entries) > 0) // Buffer.Buffer
		if len(r.Entries) > 0 {
			e.u32(uint32(len(r.Entries))) // MaxCount
			for _, en := range r.Entries {
				e.u32(en.RID)
				e.unicodeStringHeader(en.Name)
			}
			for _, en := range r.Entries {
				e.unicodeStringBody(en.Name)
			}
		}
	}
	e.u32(r.Count)
	e.u32(uint32(r.Status))
	return e.b, nil
}

// minEntryBytes is the fixed part of one SAMPR_RID_ENUMERATION: it bounds EntriesRead by the
// stub, so a lying count cannot make the decoder allocate.
const minEntryBytes = 12

// DecodeEnumerationResponse decodes a SamrEnumerateDomainsInSamServer or
// SamrEnumerateUsersInDomain response stub.
func DecodeEnumerationResponse(stub []byte) (EnumerationResponse, error) {
	d := &decoder{b: stub}
	r := EnumerationResponse{Context: d.u32("EnumerationContext")}
	if d.u32("Buffer referent") != 0 && d.err == nil {
		n := d.u32("EntriesRead")
		r.Entries = []Entry{}
		if d.u32("Buffer.Buffer referent") != 0 && d.err == nil {
			maxCount := d.u32("entries MaxCount")
			if d.err == nil && (maxCount != n || uint64(n)*minEntryBytes > uint64(len(d.b)-d.off)) {
				d.malformed("EntriesRead %d, MaxCount %d in %d bytes", n, maxCount, len(d.b)-d.off)
			}
			if d.err == nil {
				lengths := make([]uint16, n)
				present := make([]bool, n)
				r.Entries = make([]Entry, n)
				for i := range r.Entries {
					r.Entries[i].RID = d.u32("RelativeId")
					lengths[i], present[i] = d.unicodeStringHeader("Name")
				}
				for i := range r.Entries {
					if present[i] {
						r.Entries[i].Name = d.unicodeStringBody("Name", lengths[i])
					}
				}
			}
		} else if n != 0 && d.err == nil {
			d.malformed("EntriesRead %d with a NULL array", n)
		}
	}
	r.Count = d.u32("CountReturned")
	r.Status = ntstatus.Status(d.u32("return value"))
	return finish(r, d, "samr enumeration response")
}
