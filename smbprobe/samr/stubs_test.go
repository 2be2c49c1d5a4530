package samr

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

var (
	sambaServer  = Handle{0, 0, 0, 0, 0xe4, 0x2c, 0x9a, 0x95, 0xfc, 0x1d, 0xa3, 0x4e, 0x8c, 0xe5, 0x48, 0x1f, 0xe5, 0x8e, 0x87, 0x32}
	sambaDomain  = Handle{0x01, 0, 0, 0, 0x65, 0x09, 0x61, 0x37, 0x79, 0x87, 0x0a, 0x4e, 0x88, 0x0a, 0x7c, 0x12, 0xe9, 0xd4, 0x40, 0x04}
	sambaDomain2 = Handle{0x01, 0, 0, 0, 0x85, 0xf9, 0xca, 0xdd, 0x62, 0xd7, 0x5b, 0x40, 0xad, 0x34, 0x9c, 0x75, 0x11, 0xbb, 0x78, 0xa2}
	sambaUser    = Handle{0x02, 0, 0, 0, 0x83, 0xce, 0x4f, 0x42, 0x39, 0x1d, 0x2b, 0x46, 0x94, 0xea, 0x78, 0x79, 0x00, 0xd1, 0xa2, 0x3d}
	sambaSID     = SID{Revision: 1, Authority: [6]byte{0, 0, 0, 0, 0, 5}, SubAuthorities: []uint32{21, 0xc343bfc1, 0x63ea9147, 0x67685765}}
)

// Our SamrConnect2: ServerName NULL, the three read rights.
const goldenConnect2 = `
00 00 00 00                 // ServerName: NULL
31 00 00 00                 // DesiredAccess: SAM_SERVER_CONNECT | ENUMERATE_DOMAINS | LOOKUP_DOMAIN
`

// Our SamrConnect5 with ServerName "a", as impacket sends it but with read rights only.
const goldenConnect5 = `
00 00 02 00                 // ServerName referent
02 00 00 00 00 00 00 00     // MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
61 00 00 00                 // "a" NUL
31 00 00 00                 // DesiredAccess
01 00 00 00                 // InVersion 1
01 00 00 00                 // InRevisionInfo discriminant 1
03 00 00 00 00 00 00 00     // Revision 3, SupportedFeatures 0
`

// Our SamrLookupDomainInSamServer("SAMRLAB"): impacket's bytes but our referent id.
const goldenLookupDomain = `
00 00 00 00 e4 2c 9a 95 fc 1d a3 4e 8c e5 48 1f e5 8e 87 32 // ServerHandle
0e 00 0e 00                 // Length 14, MaximumLength 14
00 00 02 00                 // Buffer referent
07 00 00 00 00 00 00 00     // MaxCount 7, Offset 0
07 00 00 00                 // ActualCount 7
53 00 41 00 4d 00 52 00 4c 00 41 00 42 00 // "SAMRLAB", no NUL
`

func TestRequestsGolden(t *testing.T) {
	tests := []struct {
		name   string
		req    Request
		golden string // annotated hex; or
		real   string // a fixture our encoding matches byte for byte
	}{
		{"connect2", Connect2Request{Access: ServerReadAccess}, goldenConnect2, ""},
		{"connect5", Connect5Request{ServerName: ptr("a"), Access: ServerReadAccess}, goldenConnect5, ""},
		{"lookup", LookupDomainRequest{Handle: sambaServer, Name: "SAMRLAB"}, goldenLookupDomain, ""},
		{"enumdomains", EnumerateDomainsRequest{Handle: sambaServer, MaxLength: 0xffffffff}, "", "impacket-client-samrenumeratedomains-request.hex"},
		{"opendomain", OpenDomainRequest{Handle: sambaServer, Access: DomainReadAccess, SID: sambaSID}, "", "impacket-client-samropendomain-request.hex"},
		{"lockout", QueryInformationDomainRequest{Handle: sambaDomain, Class: DomainLockoutInformation}, "", "impacket-client-samrqueryinformationdomain-lockout-request.hex"},
		{"password", QueryInformationDomainRequest{Handle: sambaDomain, Class: DomainPasswordInformation}, "", "impacket-client-samrqueryinformationdomain-password-request.hex"},
		{"enumusers", EnumerateUsersRequest{Handle: sambaDomain, UserAccountControl: UserNormalAccount, MaxLength: 0xffffffff}, "", "impacket-client-samrenumerateusers-request.hex"},
		// impacket adds 4 zero bytes after the handle; the IDL has none.
		{"close", CloseHandleRequest{Handle: sambaDomain}, "01000000 6509613779870a4e880a7c12e9d44004", ""},
		{"connect", ConnectRequest{Access: ServerReadAccess}, "00000000 31000000", ""},
		{"openuser", OpenUserRequest{Handle: sambaDomain2, Access: UserReadAccess, RID: 1000}, "", "impacket-client-samropenuser-request.hex"},
		{"queryuser", QueryInformationUserRequest{Handle: sambaUser, Class: UserAccountInformation}, "", "impacket-client-samrqueryinformationuser-account-request.hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			if tt.real != "" {
				want = testpeer.Fixture(t, tt.real)
			} else {
				want = testpeer.Unhex(t, tt.golden)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %x\nwant %x", got, want)
			}
			back, err := DecodeRequest(tt.req.Opnum(), got)
			if err != nil || !reflect.DeepEqual(back, tt.req) {
				t.Fatalf("round trip %+v %v", back, err)
			}
		})
	}
}

// Every request impacket sent to Samba decodes, with the fields it meant.
func TestDecodeImpacketRequests(t *testing.T) {
	tests := []struct {
		file  string
		opnum uint16
		want  Request
	}{
		{"impacket-client-samrconnect2-request.hex", OpSamrConnect2, Connect2Request{ServerName: ptr(""), Access: 0x02000000}},
		{"impacket-client-samrconnect5-request.hex", OpSamrConnect5, Connect5Request{ServerName: ptr("a"), Access: 0x02000000}},
		{"impacket-client-samrconnect-request.hex", OpSamrConnect, ConnectRequest{Access: 0x02000000}},
		{"impacket-client-samrlookupdomain-request.hex", OpSamrLookupDomainInSamServer, LookupDomainRequest{Handle: sambaServer, Name: "SAMRLAB"}},
		{"impacket-client-samrclosehandle-request.hex", OpSamrCloseHandle, CloseHandleRequest{Handle: sambaDomain}},
	}
	for _, tt := range tests {
		got, err := DecodeRequest(tt.opnum, testpeer.Fixture(t, tt.file))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v %v, want %+v", tt.file, got, err, tt.want)
		}
	}
}

func TestSambaResponses(t *testing.T) {
	stub := func(name string) []byte { return testpeer.Fixture(t, name) }

	c2, err := DecodeHandleResponse(stub("samba-server-samrconnect2-response.hex"))
	if err != nil || c2.Handle != sambaServer || c2.Status != ntstatus.Success {
		t.Errorf("connect2 %+v %v", c2, err)
	}
	c5, err := DecodeConnect5Response(stub("samba-server-samrconnect5-response.hex"))
	if err != nil || c5.Revision != 3 || c5.Handle.IsZero() || c5.Status != 0 {
		t.Errorf("connect5 %+v %v", c5, err)
	}
	doms, err := DecodeEnumerationResponse(stub("samba-server-samrenumeratedomains-response.hex"))
	if want := []Entry{{0, "SAMRLAB"}, {1, "Builtin"}}; err != nil || !reflect.DeepEqual(doms.Entries, want) || doms.Count != 2 {
		t.Errorf("domains %+v %v", doms, err)
	}
	lk, err := DecodeLookupDomainResponse(stub("samba-server-samrlookupdomain-response.hex"))
	if err != nil || lk.SID == nil || !reflect.DeepEqual(*lk.SID, sambaSID) {
		t.Errorf("lookup %+v %v", lk, err)
	}
	if got := sambaSID.String(); got != "S-1-5-21-3275997121-1676316999-1734891365" {
		t.Errorf("SID string %s", got)
	}
	od, err := DecodeHandleResponse(stub("samba-server-samropendomain-response.hex"))
	if err != nil || od.Handle != sambaDomain {
		t.Errorf("open domain %+v %v", od, err)
	}
	lo, err := DecodeQueryInformationDomainResponse(stub("samba-server-samrqueryinformationdomain-lockout-response.hex"))
	if err != nil || lo.Lockout == nil || lo.Lockout.Threshold != 5 || lo.Lockout.WindowTime().Round(time.Second) != 30*time.Minute || lo.Lockout.DurationTime().Round(time.Second) != 30*time.Minute {
		t.Errorf("lockout %+v %+v %v", lo, lo.Lockout, err)
	}
	pw, err := DecodeQueryInformationDomainResponse(stub("samba-server-samrqueryinformationdomain-password-response.hex"))
	if err != nil || pw.Password == nil || pw.Password.MinLength != 5 {
		t.Errorf("password %+v %v", pw, err)
	}
	users, err := DecodeEnumerationResponse(stub("samba-server-samrenumerateusers-response.hex"))
	if want := []Entry{{1000, "s3pweak"}, {1001, "s3padmin"}}; err != nil || !reflect.DeepEqual(users.Entries, want) || users.Context != 2 {
		t.Errorf("users %+v %v", users, err)
	}
	cl, err := DecodeHandleResponse(stub("samba-server-samrclosehandle-response.hex"))
	if err != nil || !cl.Handle.IsZero() {
		t.Errorf("close %+v %v", cl, err)
	}

	qu, err := DecodeQueryInformationUserResponse(stub("samba-server-samrqueryinformationuser-account-response.hex"))
	if a := qu.Account; err != nil || a == nil || a.UserName != "s3pweak" || a.UserID != 1000 || a.BadPasswordCount != 4 ||
		a.UserAccountControl != UserNormalAccount || a.ProfilePath != `\\SAMRLAB\s3pweak\profile` || len(a.LogonHours) != 21 || a.UnitsPerWeek != 168 {
		t.Errorf("query user %+v %+v %v", qu, qu.Account, err)
	}
	ou, err := DecodeHandleResponse(stub("samba-server-samropenuser-response.hex"))
	if err != nil || ou.Handle != sambaUser {
		t.Errorf("open user %+v %v", ou, err)
	}

	// Samba numbers referents from 0x00020000 as we do: re-encoding gives its bytes back.
	for _, tt := range []struct {
		file string
		enc  func() ([]byte, error)
	}{
		{"samba-server-samrconnect2-response.hex", c2.Encode},
		{"samba-server-samrconnect5-response.hex", c5.Encode},
		{"samba-server-samrenumeratedomains-response.hex", doms.Encode},
		{"samba-server-samropendomain-response.hex", od.Encode},
		{"samba-server-samrqueryinformationdomain-lockout-response.hex", lo.Encode},
		{"samba-server-samrqueryinformationdomain-password-response.hex", pw.Encode},
		{"samba-server-samrenumerateusers-response.hex", users.Encode},
		{"samba-server-samrclosehandle-response.hex", cl.Encode},
		{"samba-server-samrqueryinformationuser-account-response.hex", qu.Encode},
	} {
		got, err := tt.enc()
		if want := stub(tt.file); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: re-encode\n got %x\nwant %x (%v)", tt.file, got, want, err)
		}
	}
}

// No request this package can build changes the SAM: every request type has a read-only
// opnum, and every access mask asking for more than reading is refused before a byte exists.
func TestNoWriteOpnumCanBeProduced(t *testing.T) {
	writes := map[uint16]string{
		2: "SamrSetSecurityObject", 9: "SamrSetInformationDomain", 10: "SamrCreateGroupInDomain",
		12: "SamrCreateUserInDomain", 14: "SamrCreateAliasInDomain", 21: "SamrSetInformationGroup",
		22: "SamrAddMemberToGroup", 23: "SamrDeleteGroup", 24: "SamrRemoveMemberFromGroup",
		29: "SamrSetInformationAlias", 30: "SamrDeleteAlias", 31: "SamrAddMemberToAlias",
		32: "SamrRemoveMemberFromAlias", 35: "SamrDeleteUser", 37: "SamrSetInformationUser",
		38: "SamrChangePasswordUser", 50: "SamrCreateUser2InDomain", 54: "SamrOemChangePasswordUser2",
		55: "SamrUnicodeChangePasswordUser2", 58: "SamrSetInformationUser2", 63: "SamrSetDSRMPassword",
		73: "SamrUnicodeChangePasswordUser4",
	}
	readOnly := map[uint16]bool{}
	for _, op := range ReadOnlyOpnums() {
		if name, bad := writes[op]; bad {
			t.Errorf("opnum %d (%s) is listed read-only", op, name)
		}
		readOnly[op] = true
	}
	// Every Request implementation (the interface is sealed, so this list is all of them).
	all := []Request{ConnectRequest{}, Connect2Request{}, Connect5Request{}, CloseHandleRequest{},
		LookupDomainRequest{}, EnumerateDomainsRequest{}, OpenDomainRequest{}, QueryInformationDomainRequest{}, EnumerateUsersRequest{},
		OpenUserRequest{}, QueryInformationUserRequest{}}
	if len(all) != len(ReadOnlyOpnums()) {
		t.Errorf("%d request types, %d read-only opnums", len(all), len(ReadOnlyOpnums()))
	}
	for _, r := range all {
		if !readOnly[r.Opnum()] {
			t.Errorf("%T has opnum %d outside ReadOnlyOpnums", r, r.Opnum())
		}
		if _, err := DecodeRequest(r.Opnum(), nil); errors.Is(err, ErrUnknownOpnum) {
			t.Errorf("%T: DecodeRequest does not know its opnum", r)
		}
	}
	for op := range writes {
		if _, err := DecodeRequest(op, make([]byte, 64)); !errors.Is(err, ErrUnknownOpnum) {
			t.Errorf("write opnum %d decodes: %v", op, err)
		}
	}
	// Write access is refused on every call that asks for access, bit by bit.
	for bit := uint32(1); bit != 0; bit <<= 1 {
		reqs := []Request{ConnectRequest{Access: bit}, Connect2Request{Access: bit}, Connect5Request{Access: bit}}
		for _, r := range reqs {
			_, err := r.Encode()
			if (ServerWriteAccess&bit != 0) != (err != nil) {
				t.Errorf("%T access 0x%08x: %v", r, bit, err)
			}
		}
		_, err := OpenDomainRequest{Access: bit, SID: sambaSID}.Encode()
		if (DomainWriteAccess&bit != 0) != (err != nil) {
			t.Errorf("SamrOpenDomain access 0x%08x: %v", bit, err)
		}
		_, err = OpenUserRequest{Access: bit}.Encode()
		if (UserWriteAccess&bit != 0) != (err != nil) {
			t.Errorf("SamrOpenUser access 0x%08x: %v", bit, err)
		}
	}
	if ServerReadAccess&ServerWriteAccess != 0 || DomainReadAccess&DomainWriteAccess != 0 || UserReadAccess&UserWriteAccess != 0 {
		t.Error("the read masks overlap the write masks")
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		dec  func([]byte) error
		hex  string
		want error
	}{
		{"empty handle", func(b []byte) error { _, err := DecodeHandleResponse(b); return err }, "00", ErrTruncated},
		{"huge entries", func(b []byte) error { _, err := DecodeEnumerationResponse(b); return err },
			"00000000 00000200 ffffff0f 04000200 ffffff0f", ErrMalformed},
		{"sid count", func(b []byte) error { _, err := DecodeLookupDomainResponse(b); return err },
			"00000200 10000000 0110000000000005", ErrMalformed},
		{"string length odd", func(b []byte) error { _, err := DecodeLookupDomainRequest(b); return err },
			"0000000000000000000000000000000000000000 0300 0400 00000200 02000000 00000000 02000000 61006200", ErrMalformed},
		{"unknown class", func(b []byte) error { _, err := DecodeQueryInformationDomainResponse(b); return err },
			"00000200 0200 0000 00000000", ErrUnsupportedClass},
		{"connect5 version", func(b []byte) error { _, err := DecodeConnect5Request(b); return err },
			"00000000 31000000 02000000 02000000 03000000 00000000", ErrMalformed},
	}
	for _, tt := range tests {
		if err := tt.dec(testpeer.Unhex(t, tt.hex)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := (LookupDomainRequest{Name: "a\x00b"}).Encode(); !errors.Is(err, ErrInvalidString) {
		t.Errorf("NUL in name: %v", err)
	}
}

func TestRelativeTime(t *testing.T) {
	for _, d := range []time.Duration{0, time.Minute, 30 * time.Minute} {
		if got := relative(RelativeTime(d)); got != d {
			t.Errorf("%v -> %v", d, got)
		}
	}
	if relative(-1<<63) != 0 || relative(5) != 0 {
		t.Error("never/positive")
	}
}

func ptr(s string) *string { return &s }
