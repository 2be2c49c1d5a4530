package credcheck

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

type readFunc func(context.Context, net.Conn, string, Credentials, time.Duration) (Outcome, error)

// transports are the two reads, alone and as ReadNetapiVersionSession (which must end just
// as fast, and hand back no session, on a host that misbehaves).
var transports = map[string]readFunc{
	"SMB1": ReadNetapiVersionSMB1, "SMB2": ReadNetapiVersionSMB2,
	"SMB1-session": keepingRead(smbclient.DialectSMB1), "SMB2-session": keepingRead(smbclient.DialectSMB2),
}

// TestHostileServers: a server that stalls, trickles, resets or talks nonsense must end the
// check within its budget with unknown and an error of the right kind, never a verdict.
func TestHostileServers(t *testing.T) {
	cred := Credentials{User: "u", Password: "p"}
	want := map[string]error{"silent": ErrTimeout, "trickle": ErrTimeout, "hangup": ErrConnection} // others: any sentinel
	for _, tc := range testpeer.HostileServers() {
		for proto, fn := range transports {
			t.Run(tc.Name+"/"+proto, func(t *testing.T) {
				cli, srv := net.Pipe()
				defer srv.Close()
				go tc.Serve(srv)
				start := time.Now()
				out, err := fn(context.Background(), cli, "127.0.0.1", cred, 500*time.Millisecond)
				if el := time.Since(start); el > 3*time.Second {
					t.Errorf("took %v with a 500 ms budget", el)
				}
				if err == nil || out.Verdict != netapi.Unknown || out.Reason == ReasonNone || out.Judgement != nil {
					t.Fatalf("err %v verdict %q reason %q", err, out.Verdict, out.Reason)
				}
				if w := want[tc.Name]; w != nil && !errors.Is(err, w) {
					t.Errorf("err %v, want %v", err, w)
				}
				if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrConnection) && !errors.Is(err, ErrProtocol) {
					t.Errorf("err %v wraps no sentinel", err)
				}
				// The conn is consumed: closed on return.
				if _, werr := cli.Write([]byte{0}); !errors.Is(werr, io.ErrClosedPipe) {
					t.Errorf("conn still open after return: %v", werr)
				}
			})
		}
	}
}

// TestContextCancel: a cancelled ctx ends the check at once, whatever the timeout.
func TestContextCancel(t *testing.T) {
	for proto, fn := range transports {
		cli, srv := net.Pipe()
		go io.Copy(io.Discard, srv)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := fn(ctx, cli, "127.0.0.1", Credentials{User: "u", Password: "p"}, time.Hour)
		if !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
			t.Errorf("%s: err %v after %v", proto, err, time.Since(start))
		}
		srv.Close()
	}
}

// fakeFile is a remote file for chunkReader tests: it counts calls, may return short reads,
// and may fail.
type fakeFile struct {
	data  []byte
	calls int
	short int // serve at most this many bytes per call; 0: all
	err   error
	lie   int // extra bytes claimed beyond what was copied
}

func (f *fakeFile) ReadAt(p []byte, off int64) (int, error) {
	f.calls++
	if f.err != nil {
		return 0, f.err
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if f.short > 0 && n > f.short {
		n = f.short
	}
	return n + f.lie, nil
}

func TestChunkReader(t *testing.T) {
	pe := netapi.BuildTestPE(netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694})
	big := make([]byte, 300<<10) // a DLL-sized file with the PE at the start
	copy(big, pe)

	t.Run("parses-with-few-reads", func(t *testing.T) {
		f := &fakeFile{data: big}
		r := newChunkReader(f, int64(len(big)), 61440)
		v, err := netapi.ParseVersion(r, r.size)
		if err != nil || v.Revision != 5694 {
			t.Fatalf("%v %v", v, err)
		}
		if r.calls > 3 || r.fetched > 3*minFetch || f.calls != r.calls {
			t.Errorf("%d remote reads, %d bytes fetched", r.calls, r.fetched)
		}
	})
	t.Run("short-reads-are-completed", func(t *testing.T) {
		f := &fakeFile{data: big, short: 100}
		r := newChunkReader(f, int64(len(big)), 0)
		p := make([]byte, 50)
		if _, err := r.ReadAt(p, 1000); err != nil || !bytes.Equal(p, big[1000:1050]) {
			t.Fatalf("%v", err)
		}
		if f.calls != minFetch/100+1 {
			t.Errorf("%d calls for one %d-byte chunk in 100-byte pieces", f.calls, minFetch)
		}
	})
	t.Run("max-read-splits", func(t *testing.T) {
		f := &fakeFile{data: big}
		r := newChunkReader(f, int64(len(big)), 1000)
		p := make([]byte, 2500)
		if n, err := r.ReadAt(p, 0); n != 2500 || err != nil || f.calls != 5 { // 4096 in 1000-byte reads
			t.Fatalf("n %d err %v calls %d", n, err, f.calls)
		}
	})
	t.Run("cache-hit", func(t *testing.T) {
		f := &fakeFile{data: big}
		r := newChunkReader(f, int64(len(big)), 0)
		p := make([]byte, 10)
		r.ReadAt(p, 0)
		r.ReadAt(p, 100)
		r.ReadAt(p, minFetch-10)
		if f.calls != 1 {
			t.Errorf("%d calls, want 1", f.calls)
		}
	})
	t.Run("eof", func(t *testing.T) {
		r := newChunkReader(&fakeFile{data: pe}, int64(len(pe)), 0)
		p := make([]byte, 100)
		if n, err := r.ReadAt(p, int64(len(pe))-10); n != 10 || err != io.EOF {
			t.Errorf("n %d err %v", n, err)
		}
		if n, err := r.ReadAt(p, int64(len(pe))); n != 0 || err != io.EOF {
			t.Errorf("n %d err %v", n, err)
		}
		if _, err := r.ReadAt(p, -1); err == nil {
			t.Error("negative offset accepted")
		}
	})
	t.Run("file-shorter-than-announced", func(t *testing.T) {
		r := newChunkReader(&fakeFile{data: pe}, int64(len(pe))+5000, 0)
		_, err := netapi.ParseVersion(r, r.size)
		if err == nil {
			t.Skip("parser never read past the real end")
		}
		if !errors.Is(r.readErr, io.ErrUnexpectedEOF) {
			t.Errorf("readErr %v", r.readErr)
		}
	})
	t.Run("server-claims-more-than-asked", func(t *testing.T) {
		r := newChunkReader(&fakeFile{data: big, lie: 10}, int64(len(big)), 0)
		if _, err := r.ReadAt(make([]byte, 10), 0); !errors.Is(err, ErrProtocol) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("transport-error-kept", func(t *testing.T) {
		boom := errors.New("boom")
		r := newChunkReader(&fakeFile{data: big, err: boom}, int64(len(big)), 0)
		if _, err := netapi.ParseVersion(r, r.size); !errors.Is(err, boom) && !errors.Is(r.readErr, boom) {
			t.Errorf("err %v readErr %v", err, r.readErr)
		}
	})
	t.Run("budget", func(t *testing.T) {
		r := newChunkReader(&fakeFile{data: make([]byte, 4<<20)}, 4<<20, 0)
		p := make([]byte, 10)
		var err error
		for off := int64(0); off < 4<<20 && err == nil; off += 2 * minFetch {
			_, err = r.ReadAt(p, off)
		}
		if !errors.Is(err, errReadBudget) || r.fetched > maxFetched {
			t.Errorf("err %v after %d bytes", err, r.fetched)
		}
	})
}

// FuzzSMB1Client feeds the SMB1 client arbitrary server replies (each a 2-byte length and a
// payload), seeded with Samba's recorded session. Whatever comes back, the client must not
// panic or hang, and must never report a verdict it did not get from a parsed file.
func FuzzSMB1Client(f *testing.F) {
	frames := loadFrames(f, sambaSMB1Frames)
	f.Add(testpeer.PackFrames(frames))
	f.Add(testpeer.PackFrames(frames[:3]))
	f.Add(testpeer.PackFrames(frames[:1]))
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		go testpeer.BlastFrames(srv, testpeer.UnpackFrames(data))
		out, err := ReadNetapiVersionSMB1(context.Background(), cli, "127.0.0.1", Credentials{User: "u", Password: "p"}, 2*time.Second)
		if out.Verdict != netapi.Unknown && (out.Judgement == nil || err != nil) {
			t.Fatalf("verdict %q without a judgement (err %v)", out.Verdict, err)
		}
		if out.Verdict == netapi.Unknown && out.Reason == ReasonNone {
			t.Fatalf("unknown without a reason (err %v)", err)
		}
	})
}

// FuzzSMB2Client is FuzzSMB1Client for the go-smb2 path behind smb2Guard: no reply may panic
// go-smb2's receiver goroutine (which would kill the process) or hang the check.
func FuzzSMB2Client(f *testing.F) {
	frames := loadFrames(f, sambaSMB2Frames)
	f.Add(testpeer.PackFrames(frames))
	f.Add(testpeer.PackFrames(frames[:1]))
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		go testpeer.BlastFrames(srv, testpeer.UnpackFrames(data))
		out, err := ReadNetapiVersionSMB2(context.Background(), cli, "127.0.0.1", Credentials{User: "u", Password: "p"}, 2*time.Second)
		if out.Verdict != netapi.Unknown && (out.Judgement == nil || err != nil) {
			t.Fatalf("verdict %q without a judgement (err %v)", out.Verdict, err)
		}
	})
}
