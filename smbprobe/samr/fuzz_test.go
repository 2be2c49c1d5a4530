package samr

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// sentinels are the errors every decoder failure must wrap.
func sentinels() []error {
	return []error{ErrTruncated, ErrMalformed, ErrUnsupportedClass, ErrUnknownOpnum}
}

// sentinel asserts err wraps one of this package's sentinels.
func sentinel(t *testing.T, err error) {
	t.Helper()
	testpeer.WrapsOne(t, err, sentinels()...)
}

// check asserts decode(encode(v)) == v for every value a decoder accepts.
func check[T interface{ Encode() ([]byte, error) }](t *testing.T, v T, err error, dec func([]byte) (T, error)) {
	t.Helper()
	testpeer.RoundTrip(t, v, err, dec, sentinels()...)
}

// requestFixtures maps a fixture name's part to the opnum of its request.
func requestFixtures() map[string]uint16 {
	return map[string]uint16{
		"samrconnect2": OpSamrConnect2, "samrconnect5": OpSamrConnect5, "samrconnect-": OpSamrConnect,
		"samrenumeratedomains": OpSamrEnumerateDomainsInSamServer, "samrlookupdomain": OpSamrLookupDomainInSamServer,
		"samropendomain": OpSamrOpenDomain, "samrqueryinformationdomain": OpSamrQueryInformationDomain,
		"samrenumerateusers": OpSamrEnumerateUsersInDomain, "samrclosehandle": OpSamrCloseHandle,
		"samropenuser": OpSamrOpenUser, "samrqueryinformationuser": OpSamrQueryInformationUser,
	}
}

func opnumOf(name string) uint16 {
	for k, op := range requestFixtures() {
		if strings.Contains(name, k) {
			return op
		}
	}
	return 0
}

func FuzzDecodeRequest(f *testing.F) {
	for name, b := range testpeer.ReadHexFiles(f, filepath.Join("testdata", "impacket-client-*.hex")) {
		f.Add(opnumOf(name), b)
	}
	f.Fuzz(func(t *testing.T, opnum uint16, stub []byte) {
		r, err := DecodeRequest(opnum, stub)
		if err != nil {
			sentinel(t, err)
			return
		}
		b, err := r.Encode()
		if err != nil {
			return
		}
		back, err := DecodeRequest(opnum, b)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip %+v %v, want %+v", back, err, r)
		}
	})
}

// FuzzDecodeResponse feeds every response decoder the same bytes: none may panic or allocate
// beyond the stub, and what one accepts re-encodes to a value it decodes the same.
func FuzzDecodeResponse(f *testing.F) {
	for _, b := range testpeer.ReadHexFiles(f, filepath.Join("testdata", "samba-server-*.hex")) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, stub []byte) {
		h, err := DecodeHandleResponse(stub)
		check(t, h, err, DecodeHandleResponse)
		c5, err := DecodeConnect5Response(stub)
		check(t, c5, err, DecodeConnect5Response)
		lk, err := DecodeLookupDomainResponse(stub)
		check(t, lk, err, DecodeLookupDomainResponse)
		q, err := DecodeQueryInformationDomainResponse(stub)
		check(t, q, err, DecodeQueryInformationDomainResponse)
		en, err := DecodeEnumerationResponse(stub)
		check(t, en, err, DecodeEnumerationResponse)
		qu, err := DecodeQueryInformationUserResponse(stub)
		check(t, qu, err, DecodeQueryInformationUserResponse)
	})
}
