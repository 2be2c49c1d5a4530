package smb2

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// frame is one TCP payload taken from a capture in testdata/pcaps with tshark
// (see testdata/*.frames); Msg has the 4-byte NetBIOS header removed.
type frame struct {
	Source     string
	Number     int
	FromServer bool
	Msg        []byte
}

func loadFrames(t testing.TB, name string) map[int]frame {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int]frame{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		n, err := strconv.Atoi(fs[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(fs[2])
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 4 || int(b[1])<<16|int(b[2])<<8|int(b[3]) != len(b)-4 {
			t.Fatalf("%s frame %d: NetBIOS length does not match", name, n)
		}
		out[n] = frame{Source: name, Number: n, FromServer: fs[1] == "s2c", Msg: b[4:]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var frameFiles = []string{"win10.frames", "win81.frames", "samba417.frames"}

// smb2Frames returns every SMB2 frame of every capture.
func smb2Frames(t testing.TB) []frame {
	var out []frame
	for _, name := range frameFiles {
		for _, fr := range loadFrames(t, name) {
			if IsSMB2(fr.Msg) {
				out = append(out, fr)
			}
		}
	}
	return out
}

func mustFrame(t testing.TB, name string, n int) frame {
	t.Helper()
	fr, ok := loadFrames(t, name)[n]
	if !ok {
		t.Fatalf("%s has no frame %d", name, n)
	}
	return fr
}
