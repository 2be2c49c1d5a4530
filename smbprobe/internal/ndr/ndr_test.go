package ndr

import (
	"errors"
	"testing"
)

func TestDecoderBounds(t *testing.T) {
	errShort, errBad := errors.New("short"), errors.New("bad")
	tests := []struct {
		name string
		stub []byte
		read func(d *Decoder)
		want error
	}{
		{"u32 short", []byte{1, 2}, func(d *Decoder) { d.U32("x") }, errShort},
		{"huge wchar count allocates nothing", []byte{0xff, 0xff, 0xff, 0x7f}, func(d *Decoder) { d.WChars("x", d.U32("n")) }, errShort},
		{"offset not 0", []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}, func(d *Decoder) { d.WStringZ("x") }, errBad},
		{"actual above max", []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}, func(d *Decoder) { d.WStringZ("x") }, errBad},
		{"conformant bytes past the end", []byte{9, 0, 0, 0, 1}, func(d *Decoder) { d.ConformantBytes("x") }, errShort},
		{"varying bytes past the end", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1}, func(d *Decoder) { d.VaryingBytes("x") }, errShort},
		{"varying bytes actual above max", []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2}, func(d *Decoder) { d.VaryingBytes("x") }, errBad},
		{"context handle short", make([]byte, ContextHandleSize-1), func(d *Decoder) { d.ContextHandle("h") }, errShort},
		{"first error sticks", []byte{1}, func(d *Decoder) { d.U16("a"); d.Malformed("later") }, errShort},
		{"string", []byte{3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'h', 0, 'i', 0, 0, 0}, func(d *Decoder) {
			if s := d.WStringZ("x"); s != "hi" {
				d.Fail(errors.New("got " + s))
			}
		}, nil},
	}
	for _, tt := range tests {
		d := NewDecoder(tt.stub, Errors{Truncated: errShort, Malformed: errBad})
		tt.read(d)
		if err := d.Err(); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestEncoderRoundTrip(t *testing.T) {
	errShort, errBad := errors.New("short"), errors.New("bad")
	e := NewEncoder()
	e.Pointer(true)
	e.WStringZ("a")
	e.U16(7)
	e.Pointer(true)
	e.ConformantBytes([]byte{9})
	e.Pointer(false)
	h := [ContextHandleSize]byte{1, 2, 19: 20}
	e.ContextHandle(h)
	u := []byte{'h', 0, 'i', 0}
	e.UnicodeStringHeader(u)
	e.UnicodeStringBody(u)
	e.U32(3) // a conformant varying byte array transmitting 2 of 3
	e.U32(0)
	e.U32(2)
	e.B = append(e.B, 5, 6)
	d := NewDecoder(e.B, Errors{Truncated: errShort, Malformed: errBad})
	if d.U32("ref") != FirstReferent || d.WStringZ("s") != "a" || d.U16("n") != 7 || d.U32("ref2") != FirstReferent+4 ||
		string(d.ConformantBytes("b")) != "\x09" || d.U32("null") != 0 || d.ContextHandle("h") != h ||
		d.U16("Length") != 4 || d.U16("MaximumLength") != 4 || d.U32("Buffer") != FirstReferent+8 ||
		d.WStringZ("Buffer") != "hi" || string(d.VaryingBytes("v")) != "\x05\x06" || d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("round trip failed: %v, %x", d.Err(), e.B)
	}
}
