package testpeer

import (
	"errors"
	"reflect"
	"testing"
)

// WrapsOne fails t unless err wraps one of a package's sentinel errors: a decoder that
// rejects bytes must say why in the package's own terms.
func WrapsOne(t testing.TB, err error, sentinels ...error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error without a sentinel: %v", err)
}

// RoundTrip is what a fuzz target asks of every decoder: a rejection wraps one of the
// sentinels, and a value it accepts re-encodes to bytes that decode to the same value.
func RoundTrip[T interface{ Encode() ([]byte, error) }](t testing.TB, v T, err error, dec func([]byte) (T, error), sentinels ...error) {
	t.Helper()
	if err != nil {
		WrapsOne(t, err, sentinels...)
		return
	}
	b, err := v.Encode()
	if err != nil {
		t.Fatalf("re-encode %+v: %v", v, err)
	}
	back, err := dec(b)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("round trip\n got %+v (%v)\nwant %+v", back, err, v)
	}
}
