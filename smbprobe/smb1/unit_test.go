package smb1

import (
	"bytes"
	"crypto/md5"
	"errors"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		name    string
		b       string // hex
		base    int
		unicode bool
		align   bool
		want    []string
	}{
		{"unicode two strings", "41004200000043000000", 0, true, false, []string{"AB", "C", ""}},
		{"pad skipped at odd offset", "ff4100000042000000", 1, true, true, []string{"A", "B"}},
		{"no pad at even offset", "41000000", 2, true, true, []string{"A"}},
		{"missing NUL takes the rest", "41004200", 0, true, false, []string{"AB", ""}},
		{"odd trailing byte dropped", "410042", 0, true, false, []string{"A"}},
		{"one-byte terminator (Windows)", "4100000042004300" + "00", 0, true, false, []string{"A", "BC", ""}},
		{"surrogate pair", "3dd800de0000", 0, true, false, []string{"\U0001F600"}},
		{"unpaired surrogate", "3dd80000", 0, true, false, []string{"\uFFFD"}},
		{"oem", "495043004e54465300", 0, false, false, []string{"IPC", "NTFS", ""}},
		{"oem latin-1", "e900", 0, false, false, []string{"é"}},
		{"empty", "", 0, true, true, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reader{b: testpeer.Unhex(t, tt.b), base: tt.base}
			for i, w := range tt.want {
				if got := r.str(tt.unicode, tt.align); got != w {
					t.Fatalf("string %d = %q, want %q", i, got, w)
				}
			}
		})
	}
}

func TestBuilderStr(t *testing.T) {
	w := &builder{base: 1}
	w.str("A", true, true)        // pad to offset 2, "A", NUL
	w.str("B", false, false)      // OEM
	w.str("\u0100", false, false) // beyond Latin-1
	if got, want := w.b, testpeer.Unhex(t, "00 41000000 4200 3f00"); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
}

func TestAndXValidation(t *testing.T) {
	_, hs, _ := goldenHeaders()
	b := LogoffRequest{}.Encode(hs)
	chained := append(bytes.Clone(b), 0, 0, 0) // room for a follow-on block
	tests := []struct {
		name   string
		cmd    byte
		offset uint16
		msg    []byte
		err    error
	}{
		{"none", CmdNone, 39, b, nil},
		{"none ignores offset", CmdNone, 0xffff, b, nil},
		{"chain inside message", CmdTreeConnectAndX, 39, chained, nil},
		{"chain points back into block", CmdTreeConnectAndX, 20, chained, ErrMalformed},
		{"chain points past end", CmdTreeConnectAndX, 42, chained, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := bytes.Clone(tt.msg)
			msg[33] = tt.cmd
			le.PutUint16(msg[35:37], tt.offset)
			m := mustParse(t, msg)
			_, err := DecodeLogoffRequest(m)
			if !errors.Is(err, tt.err) && !(tt.err == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// Offsets and counts from the wire must stay inside the message.
func TestTransactionOffsets(t *testing.T) {
	_, _, ht := goldenHeaders()
	ht.Flags |= FlagsReply
	good := TransactionResponse{Data: []byte{1, 2, 3, 4}}.Encode(ht)
	tests := []struct {
		name      string
		at        int // word offset to patch
		val       uint16
		wantError bool
	}{
		{"valid", 0, 0, false},
		{"data offset into header", 14, 10, true},
		{"data offset past end", 14, 200, true},
		{"data count past end", 12, 5, true},
		{"data count huge", 12, 0xffff, true},
		{"param count with bad offset", 6, 1, false}, // offset 56 is inside the data area
		{"param offset 0 with count", 8, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(good)
			if tt.name != "valid" {
				if tt.name == "param offset 0 with count" {
					le.PutUint16(b[33+6:], 1)
				}
				le.PutUint16(b[33+tt.at:], tt.val)
			}
			_, err := DecodeTransactionResponse(mustParse(t, b))
			if (err != nil) != tt.wantError {
				t.Fatalf("err = %v", err)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	ok := LogoffResponse{}.Encode(Header{Flags: FlagsReply})
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrTruncated},
		{"short header", ok[:20], ErrTruncated},
		{"bad magic", append([]byte("\xfeXMB"), ok[4:]...), ErrMalformed},
		{"smb2", append([]byte(ProtocolSMB2), ok[4:]...), ErrMalformed},
		{"no wordcount", ok[:32], ErrTruncated},
		{"words cut", ok[:35], ErrTruncated},
		{"bytecount beyond end", append(bytes.Clone(ok[:37]), 5, 0), ErrTruncated},
	}
	for _, tt := range tests {
		if _, err := DecodeMessage(tt.b); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
	// Wrong command or word count for a decoder is ErrMalformed.
	m := mustParse(t, ok)
	if _, err := DecodeEchoResponse(m); !errors.Is(err, ErrMalformed) {
		t.Errorf("wrong command: %v", err)
	}
}

func TestSign(t *testing.T) {
	_, hs, _ := goldenHeaders()
	hs.Flags2 |= Flags2SecuritySignature
	msg := EchoRequest{EchoCount: 1, Data: []byte("abc")}.Encode(hs)
	key := []byte("0123456789abcdef")
	const seq = 4

	// Expected MAC built independently: MD5(key || message with the signature field set to
	// seq (uint32 LE) and four zero bytes), first 8 bytes (MS-CIFS 3.1.4.1).
	withSeq := bytes.Clone(msg)
	copy(withSeq[14:22], []byte{seq, 0, 0, 0, 0, 0, 0, 0})
	sum := md5.Sum(append(bytes.Clone(key), withSeq...))

	signed := bytes.Clone(msg)
	if err := Sign(signed, key, seq); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed[14:22], sum[:8]) {
		t.Fatalf("signature %x, want %x", signed[14:22], sum[:8])
	}
	if !bytes.Equal(signed[:14], msg[:14]) || !bytes.Equal(signed[22:], msg[22:]) {
		t.Fatal("Sign changed bytes outside the signature field")
	}
	if !Verify(signed, key, seq) {
		t.Fatal("Verify rejects a good signature")
	}
	before := bytes.Clone(signed)
	tampered := bytes.Clone(signed)
	tampered[len(tampered)-1] ^= 1
	switch {
	case Verify(signed, key, seq+1):
		t.Error("wrong sequence number accepted")
	case Verify(signed, []byte("other key"), seq):
		t.Error("wrong key accepted")
	case Verify(tampered, key, seq):
		t.Error("tampered message accepted")
	case Verify(signed[:20], key, seq):
		t.Error("short message accepted")
	}
	if !bytes.Equal(signed, before) {
		t.Error("Verify modified the message")
	}
	if err := Sign(make([]byte, 10), key, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("Sign on short input: %v", err)
	}
}
