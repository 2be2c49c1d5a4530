package utf16le

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		s    string
		want []byte
	}{
		{"", nil},
		{`\\A`, []byte{'\\', 0, '\\', 0, 'A', 0}},
		{"é", []byte{0xe9, 0}},
		{"😀", []byte{0x3d, 0xd8, 0x00, 0xde}}, // a surrogate pair
	}
	for _, tt := range tests {
		got := Encode(tt.s)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("Encode(%q) = % x, want % x", tt.s, got, tt.want)
		}
		if z := EncodeZ(tt.s); !bytes.Equal(z, append(append([]byte(nil), tt.want...), 0, 0)) {
			t.Errorf("EncodeZ(%q) = % x", tt.s, z)
		}
		if d := Decode(got); d != tt.s {
			t.Errorf("Decode(% x) = %q, want %q", got, d, tt.s)
		}
		if d, n := DecodeZ(EncodeZ(tt.s)); d != tt.s || n != len(tt.want)+2 {
			t.Errorf("DecodeZ(EncodeZ(%q)) = %q, %d", tt.s, d, n)
		}
	}
}

func TestDecodeEdges(t *testing.T) {
	tests := []struct {
		in    []byte
		all   string
		z     string
		zUsed int
	}{
		{[]byte{'A', 0, 0, 0, 'B', 0}, "A\x00B", "A", 4},
		{[]byte{'A', 0, 'B'}, "A", "A", 3},                    // odd trailing byte dropped
		{[]byte{0x00, 0xd8, 'A', 0}, "\uFFFDA", "\uFFFDA", 4}, // unpaired surrogate
		{nil, "", "", 0},
	}
	for _, tt := range tests {
		if got := Decode(tt.in); got != tt.all {
			t.Errorf("Decode(% x) = %q, want %q", tt.in, got, tt.all)
		}
		if got, n := DecodeZ(tt.in); got != tt.z || n != tt.zUsed {
			t.Errorf("DecodeZ(% x) = %q, %d, want %q, %d", tt.in, got, n, tt.z, tt.zUsed)
		}
	}
}
