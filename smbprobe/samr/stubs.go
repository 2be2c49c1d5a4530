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
	OpSamrOpenUser                    uint16 = 34
	OpSamrQueryInformationUser        uint16 = 36
	OpSamrConnect2                    uint16 = 57
	OpSamrConnect5                    uint16 = 64
)

// ReadOnlyOpnums is every opnum this package can encode. None of them changes the SAM: the
// write calls (SamrSetInformationDomain 9, SamrCreateUserInDomain 12, SamrSetInformationUser
// 37, SamrChangePasswordUser 38, SamrUnicodeChangePasswordUser2 55, …) have no type here.
func ReadOnlyOpnums() []uint16 {
	return []uint16{OpSamrConnect, OpSamrCloseHandle, OpSamrLookupDomainInSamServer,
		OpSamrEnumerateDomainsInSamServer, OpSamrOpenDomain, OpSamrQueryInformationDomain,
		OpSamrEnumerateUsersInDomain, OpSamrOpenUser, OpSamrQueryInformationUser, OpSamrConnect2, OpSamrConnect5}
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

// UserReadAccess is what reading UserAccountInformation needs (MS-SAMR 2.2.1.7, 3.1.5.5.5):
// USER_READ_GENERAL | USER_READ_PREFERENCES | USER_READ_LOGON | USER_READ_ACCOUNT.
const UserReadAccess uint32 = 0x00000001 | 0x00000002 | 0x00000004 | 0x00000010

// UserWriteAccess is every right on a user handle beyond reading: USER_WRITE_PREFERENCES,
// USER_CHANGE_PASSWORD, USER_FORCE_PASSWORD_CHANGE, USER_WRITE_ACCOUNT,
// USER_WRITE_GROUP_INFORMATION, and genericWriteAccess. SamrOpenUser refuses it.
const UserWriteAccess uint32 = genericWriteAccess | 0x00000008 | 0x00000040 | 0x00000080 | 0x00000400 | 0x00002000

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
	case OpSamrOpenUser:
		return DecodeOpenUserRequest(stub)
	case OpSamrQueryInformationUser:
		return DecodeQueryInformationUserRequest(stub)
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
	e.Pointer(false) // ServerName: NULL
	e.U32(r.Access)  // DesiredAccess
	return e.B, nil
}

// DecodeConnectRequest decodes a SamrConnect request stub.
func DecodeConnectRequest(stub []byte) (ConnectRequest, error) {
	d := newDecoder(stub)
	if d.U32("ServerName referent") != 0 {
		d.U16("ServerName")
	}
	r := ConnectRequest{Access: d.U32("DesiredAccess")}
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
	e.U32(uint32(r.Status))
	return e.B, nil
}

// DecodeHandleResponse decodes a SamrConnect, SamrConnect2 or SamrOpenDomain response stub.
func DecodeHandleResponse(stub []byte) (HandleResponse, error) {
	d := newDecoder(stub)
	r := HandleResponse{Handle: d.handle("handle")}
	r.Status = ntstatus.Status(d.U32("return value"))
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

func encodeServerName(e encoder, s *string) error {
	e.Pointer(s != nil)
	if s == nil {
		return nil
	}
	if err := checkString(*s); err != nil {
		return err
	}
	e.WStringZ(*s)
	return nil
}

func decodeServerName(d decoder) *string {
	if d.U32("ServerName referent") == 0 || d.Err() != nil {
		return nil
	}
	s := d.WStringZ("ServerName")
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
	e.U32(r.Access) // DesiredAccess
	return e.B, nil
}

// DecodeConnect2Request decodes a SamrConnect2 request stub.
func DecodeConnect2Request(stub []byte) (Connect2Request, error) {
	d := newDecoder(stub)
	r := Connect2Request{ServerName: decodeServerName(d)}
	r.Access = d.U32("DesiredAccess")
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
	e.U32(r.Access) // DesiredAccess
	e.U32(1)        // InVersion
	e.U32(1)        // InRevisionInfo union discriminant
	e.U32(3)        // V1.Revision
	e.U32(0)        // V1.SupportedFeatures
	return e.B, nil
}

// DecodeConnect5Request decodes a SamrConnect5 request stub; only revision info version 1 is
// understood.
func DecodeConnect5Request(stub []byte) (Connect5Request, error) {
	d := newDecoder(stub)
	r := Connect5Request{ServerName: decodeServerName(d)}
	r.Access = d.U32("DesiredAccess")
	v := d.U32("InVersion")
	tag := d.U32("InRevisionInfo discriminant")
	d.U32("Revision")
	d.U32("SupportedFeatures")
	if d.Err() == nil && (v != 1 || tag != 1) {
		d.Malformed("InVersion %d, discriminant %d", v, tag)
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
	e.U32(1) // OutVersion
	e.U32(1) // OutRevisionInfo discriminant
	e.U32(r.Revision)
	e.U32(r.SupportedFeatures)
	e.handle(r.Handle)
	e.U32(uint32(r.Status))
	return e.B, nil
}

// DecodeConnect5Response decodes a SamrConnect5 response stub.
func DecodeConnect5Response(stub []byte) (Connect5Response, error) {
	d := newDecoder(stub)
	v := d.U32("OutVersion")
	tag := d.U32("OutRevisionInfo discriminant")
	r := Connect5Response{Revision: d.U32("Revision"), SupportedFeatures: d.U32("SupportedFeatures")}
	r.Handle = d.handle("ServerHandle")
	r.Status = ntstatus.Status(d.U32("return value"))
	if d.Err() == nil && (v != 1 || tag != 1) {
		d.Malformed("OutVersion %d, discriminant %d", v, tag)
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
	return e.B, nil
}

// DecodeCloseHandleRequest decodes a SamrCloseHandle request stub.
func DecodeCloseHandleRequest(stub []byte) (CloseHandleRequest, error) {
	d := newDecoder(stub)
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
	return e.B, nil
}

// DecodeLookupDomainRequest decodes a SamrLookupDomainInSamServer request stub.
func DecodeLookupDomainRequest(stub []byte) (LookupDomainRequest, error) {
	d := newDecoder(stub)
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
	e.Pointer(r.SID != nil)
	if r.SID != nil {
		e.sid(*r.SID)
	}
	e.U32(uint32(r.Status))
	return e.B, nil
}

// DecodeLookupDomainResponse decodes a SamrLookupDomainInSamServer response stub.
func DecodeLookupDomainResponse(stub []byte) (LookupDomainResponse, error) {
	d := newDecoder(stub)
	var r LookupDomainResponse
	if d.U32("DomainId referent") != 0 && d.Err() == nil {
		s := d.sid("DomainId")
		r.SID = &s
	}
	r.Status = ntstatus.Status(d.U32("return value"))
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
	e.U32(r.Access)
	e.sid(r.SID) // a [ref] pointer: in line
	return e.B, nil
}

// DecodeOpenDomainRequest decodes a SamrOpenDomain request stub.
func DecodeOpenDomainRequest(stub []byte) (OpenDomainRequest, error) {
	d := newDecoder(stub)
	r := OpenDomainRequest{Handle: d.handle("ServerHandle"), Access: d.U32("DesiredAccess")}
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
	e.U16(r.Class)
	return e.B, nil
}

// DecodeQueryInformationDomainRequest decodes a SamrQueryInformationDomain request stub.
func DecodeQueryInformationDomainRequest(stub []byte) (QueryInformationDomainRequest, error) {
	d := newDecoder(stub)
	r := QueryInformationDomainRequest{Handle: d.handle("DomainHandle"), Class: d.U16("DomainInformationClass")}
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
	e.Pointer(r.Lockout != nil || r.Password != nil) // Buffer referent
	switch {
	case r.Lockout != nil:
		e.U16(r.Class)
		e.oldLargeInteger(r.Lockout.Duration) // 4-aligned
		e.oldLargeInteger(r.Lockout.Window)
		e.U16(r.Lockout.Threshold)
	case r.Password != nil:
		p := r.Password
		e.U16(r.Class)
		e.Align(4) // the arm is 4-aligned
		e.U16(p.MinLength)
		e.U16(p.HistoryLength)
		e.U32(p.Properties)
		e.oldLargeInteger(p.MaxAge)
		e.oldLargeInteger(p.MinAge)
	}
	e.U32(uint32(r.Status))
	return e.B, nil
}

// DecodeQueryInformationDomainResponse decodes a SamrQueryInformationDomain response stub.
func DecodeQueryInformationDomainResponse(stub []byte) (QueryInformationDomainResponse, error) {
	d := newDecoder(stub)
	var r QueryInformationDomainResponse
	if d.U32("Buffer referent") != 0 && d.Err() == nil {
		r.Class = d.U16("Buffer discriminant")
		d.Align(4)
		switch r.Class {
		case DomainLockoutInformation:
			l := LockoutInfo{Duration: d.oldLargeInteger("LockoutDuration"), Window: d.oldLargeInteger("LockoutObservationWindow")}
			l.Threshold = d.U16("LockoutThreshold")
			r.Lockout = &l
		case DomainPasswordInformation:
			p := PasswordInfo{MinLength: d.U16("MinPasswordLength"), HistoryLength: d.U16("PasswordHistoryLength")}
			p.Properties = d.U32("PasswordProperties")
			p.MaxAge = d.oldLargeInteger("MaxPasswordAge")
			p.MinAge = d.oldLargeInteger("MinPasswordAge")
			r.Password = &p
		default:
			if d.Err() == nil {
				return r, fmt.Errorf("SamrQueryInformationDomain response: %w: %d", ErrUnsupportedClass, r.Class)
			}
		}
	}
	r.Status = ntstatus.Status(d.U32("return value"))
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
	e.U32(r.Context)
	e.U32(r.MaxLength)
	return e.B, nil
}

// DecodeEnumerateDomainsRequest decodes a SamrEnumerateDomainsInSamServer request stub.
func DecodeEnumerateDomainsRequest(stub []byte) (EnumerateDomainsRequest, error) {
	d := newDecoder(stub)
	r := EnumerateDomainsRequest{Handle: d.handle("ServerHandle"), Context: d.U32("EnumerationContext")}
	r.MaxLength = d.U32("PreferedMaximumLength")
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
	e.U32(r.Context)
	e.U32(r.UserAccountControl)
	e.U32(r.MaxLength)
	return e.B, nil
}

// DecodeEnumerateUsersRequest decodes a SamrEnumerateUsersInDomain request stub.
func DecodeEnumerateUsersRequest(stub []byte) (EnumerateUsersRequest, error) {
	d := newDecoder(stub)
	r := EnumerateUsersRequest{Handle: d.handle("DomainHandle"), Context: d.U32("EnumerationContext")}
	r.UserAccountControl = d.U32("UserAccountControl")
	r.MaxLength = d.U32("PreferedMaximumLength")
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
	e.U32(r.Context)
	e.Pointer(r.Entries != nil) // Buffer
	if r.Entries != nil {
		e.U32(uint32(len(r.Entries))) // EntriesRead
		e.Pointer(len(r.Entries) > 0) // Buffer.Buffer
		if len(r.Entries) > 0 {
			e.U32(uint32(len(r.Entries))) // MaxCount
			for _, en := range r.Entries {
				e.U32(en.RID)
				e.unicodeStringHeader(en.Name)
			}
			for _, en := range r.Entries {
				e.unicodeStringBody(en.Name)
			}
		}
	}
	e.U32(r.Count)
	e.U32(uint32(r.Status))
	return e.B, nil
}

// minEntryBytes is the fixed part of one SAMPR_RID_ENUMERATION: it bounds EntriesRead by the
// stub, so a lying count cannot make the decoder allocate.
const minEntryBytes = 12

// DecodeEnumerationResponse decodes a SamrEnumerateDomainsInSamServer or
// SamrEnumerateUsersInDomain response stub.
func DecodeEnumerationResponse(stub []byte) (EnumerationResponse, error) {
	d := newDecoder(stub)
	r := EnumerationResponse{Context: d.U32("EnumerationContext")}
	if d.U32("Buffer referent") != 0 && d.Err() == nil {
		n := d.U32("EntriesRead")
		r.Entries = []Entry{}
		if d.U32("Buffer.Buffer referent") != 0 && d.Err() == nil {
			maxCount := d.U32("entries MaxCount")
			if d.Err() == nil && (maxCount != n || uint64(n)*minEntryBytes > uint64(d.Remaining())) {
				d.Malformed("EntriesRead %d, MaxCount %d in %d bytes", n, maxCount, d.Remaining())
			}
			if d.Err() == nil {
				lengths := make([]uint16, n)
				present := make([]bool, n)
				r.Entries = make([]Entry, n)
				for i := range r.Entries {
					r.Entries[i].RID = d.U32("RelativeId")
					lengths[i], present[i] = d.unicodeStringHeader("Name")
				}
				for i := range r.Entries {
					if present[i] {
						r.Entries[i].Name = d.unicodeStringBody("Name", lengths[i])
					}
				}
			}
		} else if n != 0 && d.Err() == nil {
			d.Malformed("EntriesRead %d with a NULL array", n)
		}
	}
	r.Count = d.U32("CountReturned")
	r.Status = ntstatus.Status(d.U32("return value"))
	return finish(r, d, "samr enumeration response")
}

// ---- SamrOpenUser (34), SamrQueryInformationUser (36) ----

// OpenUserRequest: [in] DomainHandle, [in] ACCESS_MASK DesiredAccess, [in] UserId. The
// answer is a HandleResponse.
type OpenUserRequest struct {
	Handle Handle
	Access uint32
	RID    uint32
}

// Opnum is the operation number of SamrOpenUser.
func (OpenUserRequest) Opnum() uint16 { return OpSamrOpenUser }
func (OpenUserRequest) readOnly()     {}

// Encode encodes the SamrOpenUser request stub.
func (r OpenUserRequest) Encode() ([]byte, error) {
	if err := accessError("SamrOpenUser", r.Access, UserWriteAccess); err != nil {
		return nil, err
	}
	e := newEncoder()
	e.handle(r.Handle)
	e.U32(r.Access)
	e.U32(r.RID)
	return e.B, nil
}

// DecodeOpenUserRequest decodes a SamrOpenUser request stub.
func DecodeOpenUserRequest(stub []byte) (OpenUserRequest, error) {
	d := newDecoder(stub)
	r := OpenUserRequest{Handle: d.handle("DomainHandle"), Access: d.U32("DesiredAccess")}
	r.RID = d.U32("UserId")
	return finish(r, d, "SamrOpenUser request")
}

// UserAccountInformation is the USER_INFORMATION_CLASS this package marshals.
const UserAccountInformation uint16 = 5

// UserAccountControl bits the audit reads (MS-SAMR 2.2.1.12).
const (
	UserAccountDisabled   uint32 = 0x00000001
	UserAccountAutoLocked uint32 = 0x00000400
)

// QueryInformationUserRequest: [in] UserHandle, [in] USER_INFORMATION_CLASS (16 bits).
type QueryInformationUserRequest struct {
	Handle Handle
	Class  uint16
}

// Opnum is the operation number of SamrQueryInformationUser.
func (QueryInformationUserRequest) Opnum() uint16 { return OpSamrQueryInformationUser }
func (QueryInformationUserRequest) readOnly()     {}

// Encode encodes the SamrQueryInformationUser request stub.
func (r QueryInformationUserRequest) Encode() ([]byte, error) {
	e := newEncoder()
	e.handle(r.Handle)
	e.U16(r.Class)
	return e.B, nil
}

// DecodeQueryInformationUserRequest decodes a SamrQueryInformationUser request stub.
func DecodeQueryInformationUserRequest(stub []byte) (QueryInformationUserRequest, error) {
	d := newDecoder(stub)
	r := QueryInformationUserRequest{Handle: d.handle("UserHandle"), Class: d.U16("UserInformationClass")}
	return finish(r, d, "SamrQueryInformationUser request")
}

// UserAccountInfo is SAMPR_USER_ACCOUNT_INFORMATION. LogonHours nil encodes a NULL pointer.
type UserAccountInfo struct {
	UserName, FullName                                         string
	UserID, PrimaryGroupID                                     uint32
	HomeDirectory, HomeDirectoryDrive, ScriptPath, ProfilePath string
	AdminComment, WorkStations                                 string
	LastLogon, LastLogoff                                      int64
	UnitsPerWeek                                               uint16
	LogonHours                                                 []byte
	BadPasswordCount, LogonCount                               uint16
	PasswordLastSet, AccountExpires                            int64
	UserAccountControl                                         uint32
}

// maxLogonHours is SAMPR_LOGON_HOURS' size_is(1260).
const maxLogonHours = 1260

func (u *UserAccountInfo) strings() []*string {
	return []*string{&u.UserName, &u.FullName, &u.HomeDirectory, &u.HomeDirectoryDrive, &u.ScriptPath, &u.ProfilePath, &u.AdminComment, &u.WorkStations}
}

// QueryInformationUserResponse: [out, switch_is] PSAMPR_USER_INFO_BUFFER* Buffer, NTSTATUS;
// the discriminant is 16 bits and the arm 4-aligned, as Samba sends it.
type QueryInformationUserResponse struct {
	Class   uint16
	Account *UserAccountInfo
	Status  ntstatus.Status
}

// Encode encodes the SamrQueryInformationUser response stub.
func (r QueryInformationUserResponse) Encode() ([]byte, error) {
	e := newEncoder()
	e.Pointer(r.Account != nil)
	if a := r.Account; a != nil {
		if r.Class != UserAccountInformation {
			return nil, fmt.Errorf("%w: class %d with the account arm", ErrUnsupportedClass, r.Class)
		}
		if len(a.LogonHours) > maxLogonHours {
			return nil, fmt.Errorf("%w: %d logon-hours bytes", ErrMalformed, len(a.LogonHours))
		}
		s := a.strings()
		for _, p := range s {
			if err := checkString(*p); err != nil {
				return nil, err
			}
		}
		e.U16(r.Class)
		e.Align(4)
		e.unicodeStringHeader(a.UserName)
		e.unicodeStringHeader(a.FullName)
		e.U32(a.UserID)
		e.U32(a.PrimaryGroupID)
		for _, p := range s[2:] {
			e.unicodeStringHeader(*p)
		}
		e.oldLargeInteger(a.LastLogon)
		e.oldLargeInteger(a.LastLogoff)
		e.U16(a.UnitsPerWeek)
		e.Pointer(a.LogonHours != nil)
		e.U16(a.BadPasswordCount)
		e.U16(a.LogonCount)
		e.oldLargeInteger(a.PasswordLastSet)
		e.oldLargeInteger(a.AccountExpires)
		e.U32(a.UserAccountControl)
		for _, p := range s {
			e.unicodeStringBody(*p)
		}
		if a.LogonHours != nil {
			e.U32(maxLogonHours)             // MaxCount
			e.U32(0)                         // Offset
			e.U32(uint32(len(a.LogonHours))) // ActualCount
			e.B = append(e.B, a.LogonHours...)
		}
	}
	e.U32(uint32(r.Status))
	return e.B, nil
}

// DecodeQueryInformationUserResponse decodes a SamrQueryInformationUser response stub; only
// UserAccountInformation is understood.
func DecodeQueryInformationUserResponse(stub []byte) (QueryInformationUserResponse, error) {
	d := newDecoder(stub)
	var r QueryInformationUserResponse
	if d.U32("Buffer referent") != 0 && d.Err() == nil {
		r.Class = d.U16("Buffer discriminant")
		if d.Err() == nil && r.Class != UserAccountInformation {
			return r, fmt.Errorf("SamrQueryInformationUser response: %w: %d", ErrUnsupportedClass, r.Class)
		}
		d.Align(4)
		a := &UserAccountInfo{}
		s := a.strings()
		var lengths [8]uint16
		var present [8]bool
		lengths[0], present[0] = d.unicodeStringHeader("UserName")
		lengths[1], present[1] = d.unicodeStringHeader("FullName")
		a.UserID = d.U32("UserId")
		a.PrimaryGroupID = d.U32("PrimaryGroupId")
		for i := 2; i < len(s); i++ {
			lengths[i], present[i] = d.unicodeStringHeader("string")
		}
		a.LastLogon = d.oldLargeInteger("LastLogon")
		a.LastLogoff = d.oldLargeInteger("LastLogoff")
		a.UnitsPerWeek = d.U16("UnitsPerWeek")
		hoursRef := d.U32("LogonHours referent")
		a.BadPasswordCount = d.U16("BadPasswordCount")
		a.LogonCount = d.U16("LogonCount")
		a.PasswordLastSet = d.oldLargeInteger("PasswordLastSet")
		a.AccountExpires = d.oldLargeInteger("AccountExpires")
		a.UserAccountControl = d.U32("UserAccountControl")
		for i, p := range s {
			if present[i] {
				*p = d.unicodeStringBody("string", lengths[i])
			}
		}
		if hoursRef != 0 {
			n := d.Varying("LogonHours")
			if d.Err() == nil && n > maxLogonHours {
				d.Malformed("LogonHours: %d bytes", n)
			}
			if d.Err() == nil {
				a.LogonHours = d.Bytes("LogonHours", int(n))
			}
		}
		r.Account = a
	}
	r.Status = ntstatus.Status(d.U32("return value"))
	return finish(r, d, "SamrQueryInformationUser response")
}
