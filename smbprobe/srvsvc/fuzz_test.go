package srvsvc

import (
	"reflect"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

var realRequestFiles = []struct {
	opnum uint16
	file  string
}{
	{OpNetrServerGetInfo, "xp-client-netrservergetinfo101-request.hex"},
	{OpNetrServerGetInfo, "impacket-client-netrservergetinfo101-request.hex"},
	{OpNetprPathCanonicalize, "impacket-client-netprpathcanonicalize-backslash.hex"},
	{OpNetprPathCanonicalize, "impacket-client-netprpathcanonicalize-dotdot.hex"},
	{OpNetprPathCanonicalize, "impacket-client-netprpathcanonicalize-aaaa-dotdot-n.hex"},
	{OpNetprPathCompare, "impacket-client-netprpathcompare-ms08-067.hex"},
}

// sentinels are the errors every decoder failure must wrap.
func sentinels() []error {
	return []error{ErrTruncated, ErrMalformed, ErrUnsupportedLevel, ErrUnknownOpnum}
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

func FuzzDecodeRequest(f *testing.F) {
	for _, r := range realRequestFiles {
		f.Add(r.opnum, realStub(f, r.file))
	}
	for _, g := range []string{goldenServerGetInfoRequest, goldenConfickerDotDot, goldenConfickerBackslash} {
		f.Add(OpNetprPathCanonicalize, testpeer.Unhex(f, g))
	}
	f.Add(OpNetprPathCompare, testpeer.Unhex(f, goldenMS08067Compare))
	f.Add(OpNetprNameCanonicalize, testpeer.Unhex(f, "00000200 02000000 00000000 02000000 61000000 04000000 00000000 04000000 5300520056000000 01fa0000 04000000 00000080"))
	f.Add(OpNetrRemoteTOD, testpeer.Unhex(f, "00000200 02000000 00000000 02000000 61000000"))
	f.Fuzz(func(t *testing.T, opnum uint16, stub []byte) {
		r, err := DecodeRequest(opnum, stub)
		if err != nil {
			sentinel(t, err)
			return
		}
		b, err := r.Encode()
		if err != nil {
			t.Fatalf("re-encode %+v: %v", r, err)
		}
		back, err := DecodeRequest(opnum, b)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip\n got %+v (%v)\nwant %+v", back, err, r)
		}
		if p, ok := r.(interface{ Paths() []string }); ok {
			for _, s := range p.Paths() {
				PathReachesOverflow(s) // must not panic or hang on any decoded path
			}
		}
	})
}

func FuzzDecodeServerGetInfoResponse(f *testing.F) {
	f.Add(realStub(f, "xp-server-netrservergetinfo101-response.hex"))
	f.Add(realStub(f, "samba-server-netrservergetinfo101-response.hex"))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, err := DecodeServerGetInfoResponse(stub)
		check(t, v, err, DecodeServerGetInfoResponse)
	})
}

func FuzzDecodePathCanonicalizeResponse(f *testing.F) {
	f.Add(testpeer.Unhex(f, "02000000 5c00455c 01000000 00000000"))
	f.Add(testpeer.Unhex(f, "05000000 5c00410042 000000 02100000 00000000"))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, err := DecodePathCanonicalizeResponse(stub)
		check(t, v, err, DecodePathCanonicalizeResponse)
		_ = v.Path()
		if w, err := DecodePathCanonicalizeWords(stub); err == nil && len(stub) != 16 {
			t.Fatalf("four words from %d bytes: %+v", len(stub), w)
		}
	})
}

func FuzzDecodePathCompareResponse(f *testing.F) {
	f.Add(testpeer.Unhex(f, "7b000000"))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, err := DecodePathCompareResponse(stub)
		check(t, v, err, DecodePathCompareResponse)
	})
}

func FuzzDecodeNameCanonicalizeResponse(f *testing.F) {
	f.Add(testpeer.Unhex(f, "05000000 5300 5200 5600 0000 0000 0000 00000000"))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, err := DecodeNameCanonicalizeResponse(stub)
		check(t, v, err, DecodeNameCanonicalizeResponse)
		_ = v.Name()
	})
}

func FuzzDecodeRemoteTODResponse(f *testing.F) {
	f.Add(testpeer.Unhex(f, goldenRemoteTODResponse))
	f.Add(testpeer.Unhex(f, "00000000 05000000"))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, err := DecodeRemoteTODResponse(stub)
		if err == nil && v.Info != nil && v.Referent == 0 {
			t.Fatal("info without a referent")
		}
		check(t, v, err, DecodeRemoteTODResponse)
	})
}
