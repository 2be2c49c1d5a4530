package credcheck

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/netbios"
)

var update = flag.Bool("update", false, "re-record testdata/*.frames from a live Samba")

// The recorded session: Samba 4.17 over SMB1 (signing off) serving netapi32.dll 5.1.2600.5512
// built by netapi.BuildTestPE, read by our client as s445cred. Each line of the file is one
// server frame (NetBIOS payload) in hex, preceded by a comment naming it.
const sambaSMB1Frames = "samba417-smb1-xpsp3-unpatched.frames"

// sambaSMB2Frames is the same session over SMB2 (go-smb2). It cannot be replayed to the client
// (go-smb2 checks Samba's signature with a fresh session key), so it seeds FuzzSMB2Client.
const sambaSMB2Frames = "samba417-smb2-xpsp3-unpatched.frames"

var recordedVersion = netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5512}

// recordConn keeps every NetBIOS frame the server sends.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recordConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.buf.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recordConn) frames(t *testing.T) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	rd := bytes.NewReader(r.buf.Bytes())
	for rd.Len() > 0 {
		_, p, err := netbios.ReadFrame(rd, 1<<17)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestRecordSambaSMB1(t *testing.T) {
	if !*update {
		t.Skip("run with -update to re-record from Samba")
	}
	s := startSamba(t, sambaConfig{smb1: true})
	s.serve(t, recordedVersion)
	rc := &recordConn{Conn: s.Dial(t)}
	out, err := ReadNetapiVersionSMB1(testCtx(t), rc, "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword}, 10*time.Second)
	if err != nil || out.Verdict != netapi.Vulnerable {
		t.Fatalf("%v %+v", err, out)
	}
	writeFrames(t, sambaSMB1Frames, rc.frames(t), out)

	rc2 := &recordConn{Conn: s.Dial(t)}
	out2, err := ReadNetapiVersionSMB2(testCtx(t), rc2, "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword}, 10*time.Second)
	if err != nil || out2.Verdict != netapi.Vulnerable {
		t.Fatalf("%v %+v", err, out2)
	}
	writeFrames(t, sambaSMB2Frames, rc2.frames(t), Outcome{})
}

func writeFrames(t *testing.T, file string, frames [][]byte, out Outcome) {
	var b strings.Builder
	for i, f := range frames {
		name := "reply"
		if i < len(out.Steps) {
			name = out.Steps[min(i, len(out.Steps)-1)].Name
		}
		b.WriteString("# frame " + strconv.Itoa(i) + " " + name + "\n" + hex.EncodeToString(f) + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", file), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadFrames(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no frames", name)
	}
	return out
}

// serveFrames answers each client frame with the next of frames, then hangs up.
func serveFrames(srv net.Conn, frames [][]byte) {
	defer srv.Close()
	for _, f := range frames {
		srv.SetDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := netbios.ReadFrame(srv, 1<<17); err != nil {
			return
		}
		if err := netbios.WriteFrame(srv, f); err != nil {
			return
		}
	}
	// Drain whatever the client still sends (CLOSE, LOGOFF) until it gives up.
	netbios.ReadFrame(srv, 1<<17)
}

// TestSMB1ReplaySamba replays Samba's recorded replies: offline, the client must reach the
// same verdict from the real server bytes.
func TestSMB1ReplaySamba(t *testing.T) {
	frames := loadFrames(t, sambaSMB1Frames)
	cli, srv := net.Pipe()
	go serveFrames(srv, frames)
	out, err := ReadNetapiVersionSMB1(testCtx(t), cli, "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword}, 5*time.Second)
	if err != nil {
		t.Fatalf("%v; %+v", err, out)
	}
	checkDecided(t, out, recordedVersion, netapi.Vulnerable, "XP SP3", int64(len(netapi.BuildTestPE(recordedVersion))))
}
