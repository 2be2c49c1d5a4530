package dcerpc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

func seed(f *testing.F) {
	for _, b := range testpeer.ReadHexFiles(f, "testdata/*.hex") {
		f.Add(b)
	}
	for _, g := range []string{goldenBind, goldenAlterContextResp, goldenBindNak, goldenRequest, goldenResponse, goldenFault} {
		f.Add(testpeer.Unhex(f, g))
	}
}

// roundTrip checks decode(encode(v)) == v for a decoded v, and that decoding never both fails
// and returns something.
func roundTrip[T any](t *testing.T, v T, err error, enc func(T) ([]byte, error), dec func([]byte) (T, error)) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrUnexpectedType) {
			t.Fatalf("error without a sentinel: %v", err)
		}
		return
	}
	b, err := enc(v)
	if err != nil {
		t.Fatalf("re-encode: %v", err) // never larger than the decoded PDU, so it always fits
	}
	back, err := dec(b)
	if err != nil {
		t.Fatalf("decode(encode(v)): %v", err)
	}
	if !reflect.DeepEqual(normalize(back), normalize(v)) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, v)
	}
}

// normalize makes empty and nil stubs compare equal.
func normalize(v any) any {
	switch p := v.(type) {
	case Request:
		if len(p.Stub) == 0 {
			p.Stub = nil
		}
		return p
	case Response:
		if len(p.Stub) == 0 {
			p.Stub = nil
		}
		return p
	case Fault:
		if len(p.Stub) == 0 {
			p.Stub = nil
		}
		return p
	}
	return v
}

func FuzzDecodeHeader(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err != nil {
			return
		}
		var out [HeaderSize]byte
		h.Encode(out[:])
		// Only drep bytes 1..3 (float and reserved) are not kept.
		copy(out[5:8], b[5:8])
		if !bytes.Equal(out[:], b[:HeaderSize]) {
			t.Fatalf("header round trip %x -> %x", b[:HeaderSize], out)
		}
		if fr, err := DecodeFrame(b); err == nil {
			if len(fr.Body)+len(fr.AuthVerifier) > int(h.FragLength)-HeaderSize {
				t.Fatal("frame parts exceed the fragment")
			}
		}
	})
}

func FuzzDecodeBindAck(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeBindAck(b)
		roundTrip(t, v, err, BindAck.Encode, DecodeBindAck)
	})
}

func FuzzDecodeBindNak(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeBindNak(b)
		roundTrip(t, v, err, BindNak.Encode, DecodeBindNak)
	})
}

func FuzzDecodeResponse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeResponse(b)
		roundTrip(t, v, err, Response.Encode, DecodeResponse)
	})
}

func FuzzDecodeFault(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeFault(b)
		roundTrip(t, v, err, Fault.Encode, DecodeFault)
	})
}

func FuzzReassemble(f *testing.F) {
	frags := [][]byte{testpeer.Fixture(f, "xp-server-response-frag1.hex"), testpeer.Fixture(f, "xp-server-response-frag2.hex"), testpeer.Fixture(f, "xp-server-response-frag3.hex")}
	f.Add(uint32(3), bytes.Join(frags, nil))
	f.Add(uint32(7), testpeer.Fixture(f, "samba-server-fault-opnum32.hex"))
	f.Add(uint32(7), testpeer.Unhex(f, goldenResponse))
	f.Fuzz(func(t *testing.T, callID uint32, data []byte) {
		resp, err := Reassemble(callID, data)
		if len(resp.Stub) > DefaultMaxStub {
			t.Fatal("stub above the bound")
		}
		if err != nil {
			return
		}
		if len(resp.Stub) > len(data) || resp.CallID != callID {
			t.Fatalf("reassembled %d bytes from %d, call %d", len(resp.Stub), len(data), resp.CallID)
		}
		// Re-fragmenting and reassembling gives the same stub.
		pdus, err := NewResponse(callID, resp.ContextID, resp.Stub).Fragments(DefaultMaxFrag)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Reassemble(callID, bytes.Join(pdus, nil))
		if err != nil || !bytes.Equal(again.Stub, resp.Stub) {
			t.Fatalf("re-fragment round trip: %v", err)
		}
	})
}
