package netbios

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// realFrame returns the TCP payload of a real Windows XP NEGOTIATE response (see the comment
// line in the file for its capture of origin).
func realFrame(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/xp_negotiate_resp.hex")
	if err != nil {
		t.Fatal(err)
	}
	var hexText string
	for _, line := range strings.Split(string(raw), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			hexText += strings.TrimSpace(line)
		}
	}
	b, err := hex.DecodeString(hexText)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadFrameReal(t *testing.T) {
	b := realFrame(t)
	typ, p, err := ReadFrame(bytes.NewReader(b), 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if typ != TypeSessionMessage || len(p) != 0x55 || !bytes.HasPrefix(p, []byte("\xffSMB\x72")) {
		t.Fatalf("typ %#x len %d prefix % x", typ, len(p), p[:5])
	}
	if !bytes.Equal(Frame(p), b) {
		t.Fatal("Frame(payload) differs from the captured frame")
	}
}

// strictReader fails the test if anyone reads past limit bytes: a refused frame must not
// cost a payload read.
type strictReader struct {
	t     *testing.T
	r     io.Reader
	limit int
	n     int
}

func (s *strictReader) Read(p []byte) (int, error) {
	if s.n+len(p) > s.limit {
		p = p[:s.limit-s.n]
		if len(p) == 0 {
			s.t.Fatal("read past the header of a refused frame")
		}
	}
	n, err := s.r.Read(p)
	s.n += n
	return n, err
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      string // hex
		max     int
		typ     byte
		payload string // hex
		err     error
	}{
		{"session message", "00000003aabbcc", 16, 0x00, "aabbcc", nil},
		{"keep-alive", "85000000", 16, 0x85, "", nil},
		{"24-bit length", "00010000" + strings.Repeat("00", 0x10000), 0x10000, 0, strings.Repeat("00", 0x10000), nil},
		{"trailing frame untouched", "0000000111" + "00000001ff", 16, 0, "11", nil},
		{"at max", "0000000201020304", 2, 0, "0102", nil},
		{"over max", "0000000301020304", 2, 0, "", ErrFrameTooLarge},
		{"16 MiB announced", "00ffffff", 64 << 10, 0, "", ErrFrameTooLarge},
		{"empty stream", "", 16, 0, "", io.EOF},
		{"short header", "0000", 16, 0, "", ErrTruncated},
		{"short payload", "0000000501", 16, 0, "", ErrTruncated},
		{"no payload", "00000005", 16, 0, "", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := hex.DecodeString(tt.in)
			r := io.Reader(bytes.NewReader(in))
			if errors.Is(tt.err, ErrFrameTooLarge) {
				r = &strictReader{t: t, r: r, limit: HeaderLen}
			}
			typ, p, err := ReadFrame(r, tt.max)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if p != nil {
					t.Fatalf("payload %x returned with error", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if typ != tt.typ || hex.EncodeToString(p) != tt.payload {
				t.Fatalf("got type %#x payload %x", typ, p)
			}
		})
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteFrame(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte{0xff, 'S', 'M', 'B'}); err != nil {
		t.Fatal(err)
	}
	// 00 = session message; 000004 = length 4 (big-endian); then the payload.
	if got := hex.EncodeToString(buf.Bytes()); got != "00000004ff534d42" {
		t.Fatalf("got %s", got)
	}
	big := make([]byte, 0x012345)
	buf.Reset()
	if err := WriteFrame(&buf, big); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()[:4]); got != "00012345" {
		t.Fatalf("header %s", got)
	}
	if err := WriteFrame(&buf, make([]byte, MaxLength+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if err := WriteFrame(errWriter{}, nil); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write error lost: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte{0xa5}, n)
		var buf bytes.Buffer
		if err := WriteFrame(&buf, p); err != nil {
			t.Fatal(err)
		}
		typ, got, err := ReadFrame(&buf, MaxLength)
		if err != nil || typ != TypeSessionMessage || !bytes.Equal(got, p) {
			t.Fatalf("n=%d: typ %#x len %d err %v", n, typ, len(got), err)
		}
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(realFrame(f), 64<<10)
	f.Add([]byte{0x85, 0, 0, 0}, 16)
	f.Add([]byte{0, 0xff, 0xff, 0xff}, 64<<10)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max > 1<<20 {
			max = 1 << 20
		}
		typ, p, err := ReadFrame(bytes.NewReader(b), max)
		if err != nil {
			return
		}
		if len(p) > max || len(p)+HeaderLen > len(b) || typ != b[0] {
			t.Fatalf("inconsistent frame: typ %#x len %d from %d bytes (max %d)", typ, len(p), len(b), max)
		}
	})
}
