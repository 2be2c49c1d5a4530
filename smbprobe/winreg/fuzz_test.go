package winreg

import (
	"path/filepath"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

func seedFuzz(f *testing.F, files ...string) {
	for _, n := range files {
		f.Add(testpeer.ReadHex(f, filepath.Join("testdata", n)))
	}
}

// FuzzDecodeHandleResponse: no panic; a decoded answer is exactly a handle and a status.
func FuzzDecodeHandleResponse(f *testing.F) {
	seedFuzz(f, "samba-server-openlocalmachine-response.hex", "samba-server-openkey-response.hex",
		"samba-server-openkey-notfound-response.hex", "samba-server-closekey-response.hex")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeHandleResponse(b)
		if err == nil && len(b) < 24 {
			t.Fatalf("decoded %d bytes as %+v", len(b), r)
		}
	})
}

// FuzzDecodeQueryValueResponse: no panic; the data decoded never exceeds the stub and never
// exceeds the MaxCount the stub declared.
func FuzzDecodeQueryValueResponse(f *testing.F) {
	seedFuzz(f, "samba-server-queryvalue-currentversion-response.hex", "samba-server-queryvalue-systemroot-response.hex",
		"samba-server-queryvalue-notfound-response.hex")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeQueryValueResponse(b)
		if err != nil {
			return
		}
		if len(r.Data) > len(b) {
			t.Fatalf("%d data bytes from a %d-byte stub", len(r.Data), len(b))
		}
		v := Value{Type: r.Type, Data: r.Data}
		_ = v.Display()
	})
}
