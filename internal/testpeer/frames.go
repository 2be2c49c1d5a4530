package testpeer

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
)

// PackFrames joins server frames into one fuzz input: each frame a 2-byte little-endian
// length and its bytes.
func PackFrames(fs [][]byte) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

// UnpackFrames is PackFrames backwards, for any input: a length past the end takes what is
// left.
func UnpackFrames(data []byte) [][]byte {
	var fs [][]byte
	for len(data) >= 2 {
		n := min(int(binary.LittleEndian.Uint16(data)), len(data)-2)
		fs = append(fs, data[2:2+n])
		data = data[2+n:]
	}
	return fs
}

// BlastFrames sends every frame at once, swallowing what the client writes, then hangs up: a
// fuzz input never waits on the client's pace, so each run ends in microseconds.
func BlastFrames(srv net.Conn, frames [][]byte) {
	defer srv.Close()
	go io.Copy(io.Discard, srv)
	srv.SetDeadline(time.Now().Add(2 * time.Second))
	for _, f := range frames {
		if netbios.WriteFrame(srv, f) != nil {
			return
		}
	}
}

// HostileServer is one misbehaving SMB server, run on the server end of a connection.
type HostileServer struct {
	Name  string
	Serve func(net.Conn)
}

// HostileServers are the servers every SMB client must survive within its deadline: one that
// never answers, one that trickles a frame a byte every 100 ms, one that hangs up after the
// first request, one announcing a 16 MiB frame, and one answering in HTTP.
func HostileServers() []HostileServer {
	return []HostileServer{
		{"silent", func(c net.Conn) { io.Copy(io.Discard, c) }},
		{"trickle", func(c net.Conn) {
			go io.Copy(io.Discard, c)
			for _, b := range netbios.Frame(bytes.Repeat([]byte{0xff}, 64)) {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}},
		{"hangup", func(c net.Conn) { netbios.ReadFrame(c, 1<<16); c.Close() }},
		{"huge-length", func(c net.Conn) {
			netbios.ReadFrame(c, 1<<16)
			c.Write([]byte{0, 0xff, 0xff, 0xff, 1, 2, 3})
			io.Copy(io.Discard, c)
		}},
		{"garbage", func(c net.Conn) {
			netbios.ReadFrame(c, 1<<16)
			netbios.WriteFrame(c, []byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
			io.Copy(io.Discard, c)
		}},
	}
}
