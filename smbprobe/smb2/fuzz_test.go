package smb2

import (
	"bytes"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// seedBodies adds the bodies of every real PDU matching cmd/resp (any when cmd < 0) to
// the corpus, plus a few edge cases.
func seedBodies(f *testing.F, cmd int, resp bool) {
	f.Helper()
	for _, fr := range smb2Frames(f) {
		pdus, err := DecodeMessage(fr.Msg)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range pdus {
			if int(p.Header.Command) == cmd && p.Header.IsResponse() == resp {
				f.Add(p.Body)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{9, 0})
}

// checkStable: once decoded, a body must encode, decode again and re-encode to the same
// bytes (the encoders' output is canonical).
func checkStable[T Body](t *testing.T, body T, decode func([]byte) (T, error)) {
	t.Helper()
	enc := body.EncodeBody()
	again, err := decode(enc)
	if err != nil {
		t.Fatalf("re-decoding our own encoding %x: %v", enc, err)
	}
	if enc2 := again.EncodeBody(); !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding not stable:\n%x\n%x", enc, enc2)
	}
}

func fuzzDecoder[T Body](f *testing.F, cmd Command, resp bool, decode func([]byte) (T, error)) {
	seedBodies(f, int(cmd), resp)
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := decode(b)
		if err != nil {
			return
		}
		checkStable(t, body, decode)
	})
}

func FuzzParse(f *testing.F) {
	for _, fr := range smb2Frames(f) {
		f.Add(fr.Msg)
	}
	f.Add(Compound(
		Build(Header{Command: CmdCreate}, &CreateRequest{Name: "srvsvc"}),
		Build(Header{Command: CmdClose, Flags: FlagRelatedOperations}, &CloseRequest{})))
	f.Fuzz(func(t *testing.T, msg []byte) {
		pdus, err := DecodeMessage(msg)
		if err != nil {
			return
		}
		total := 0
		for _, p := range pdus {
			total += len(p.Raw)
			if len(p.Raw) != HeaderSize+len(p.Body) {
				t.Fatalf("Raw %d vs Body %d", len(p.Raw), len(p.Body))
			}
			if body, err := DecodeBody(&p.Header, p.Body); err == nil {
				Build(p.Header, body)
			}
		}
		if total != len(msg) {
			t.Fatalf("PDUs cover %d of %d bytes", total, len(msg))
		}
		_ = Verify(msg, make([]byte, 16), Dialect302)
	})
}

func FuzzNegotiateResponse(f *testing.F) {
	fuzzDecoder(f, CmdNegotiate, true, DecodeNegotiateResponse)
}

func FuzzNegotiateContexts(f *testing.F) {
	f.Add(PreauthContext{[]uint16{HashSHA512}, make([]byte, 32)}.Context().Data)
	f.Add(EncryptionContext{[]uint16{CipherAES128GCM, CipherAES128CCM}}.Context().Data)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := DecodePreauthContext(b); err == nil {
			if q, err := DecodePreauthContext(p.Context().Data); err != nil || len(q.HashAlgorithms) != len(p.HashAlgorithms) || !bytes.Equal(q.Salt, p.Salt) {
				t.Fatalf("preauth round trip: %+v %+v %v", p, q, err)
			}
		}
		if e, err := DecodeEncryptionContext(b); err == nil {
			if g, err := DecodeEncryptionContext(e.Context().Data); err != nil || len(g.Ciphers) != len(e.Ciphers) {
				t.Fatalf("encryption round trip: %v", err)
			}
		}
		_, _ = decodeContexts(b, 3)
	})
}

func FuzzSessionSetupResponse(f *testing.F) {
	fuzzDecoder(f, CmdSessionSetup, true, DecodeSessionSetupResponse)
}

func FuzzEmpty(f *testing.F) {
	fuzzDecoder(f, CmdLogoff, true, DecodeEmpty)
}

func FuzzTreeConnectResponse(f *testing.F) {
	fuzzDecoder(f, CmdTreeConnect, true, DecodeTreeConnectResponse)
}

func FuzzCreateResponse(f *testing.F) {
	fuzzDecoder(f, CmdCreate, true, DecodeCreateResponse)
}

func FuzzCreateContexts(f *testing.F) {
	f.Add(testpeer.Unhex(f, "18000000 1000 0400 0000 0000 00000000 4d784163 00000000 00000000 1000 0400 0000 0000 00000000 51466964"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeCreateContexts(b)
		if err == nil && len(b) > 0 && len(cs) == 0 {
			t.Fatal("non-empty chain decoded to nothing")
		}
	})
}

func FuzzCloseResponse(f *testing.F) {
	fuzzDecoder(f, CmdClose, true, DecodeCloseResponse)
}

func FuzzReadResponse(f *testing.F) {
	fuzzDecoder(f, CmdRead, true, DecodeReadResponse)
}

func FuzzWriteResponse(f *testing.F) {
	fuzzDecoder(f, CmdWrite, true, DecodeWriteResponse)
}

func FuzzIoctlResponse(f *testing.F) {
	fuzzDecoder(f, CmdIoctl, true, DecodeIoctlResponse)
}

func FuzzQueryInfoResponse(f *testing.F) {
	fuzzDecoder(f, CmdQueryInfo, true, DecodeQueryInfoResponse)
}

func FuzzFileInfo(f *testing.F) {
	f.Add((&FileAllInfo{Name: "a.dll"}).Encode())
	f.Add((&FileStandardInfo{EndOfFile: 1}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeFileBasicInfo(b)
		_, _ = DecodeFileStandardInfo(b)
		if a, err := DecodeFileAllInfo(b); err == nil {
			if _, err := DecodeFileAllInfo(a.Encode()); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzErrorResponse(f *testing.F) {
	seedBodies(f, int(CmdCreate), true)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeErrorResponse(b)
		if err != nil {
			return
		}
		checkStable(t, e, DecodeErrorResponse)
	})
}
