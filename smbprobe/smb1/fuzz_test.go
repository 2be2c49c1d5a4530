package smb1

import (
	"errors"
	"testing"
)

// seedAll adds every captured message to the corpus.
func seedAll(f *testing.F) {
	for _, n := range fixtureNames(f) {
		f.Add(fixture(f, n))
	}
}

// FuzzParseMessage checks that no input panics the parser or any decoder, that failures wrap
// a sentinel, and that whatever decodes re-encodes into something that decodes again.
func FuzzParseMessage(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if m.Len() > len(b) {
			t.Fatalf("block of %d bytes from %d", m.Len(), len(b))
		}
		_, _ = m.AndX()
		v, err := decodeAny(m)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if v == nil {
			return // a command we do not decode
		}
		again, err := DecodeMessage(encodeAny(v, m.Header))
		if err != nil {
			t.Fatalf("re-encoding of %T does not parse: %v", v, err)
		}
		if _, err := decodeAny(again); err != nil {
			t.Fatalf("re-encoding of %T does not decode: %v", v, err)
		}
	})
}

// fuzzDecoder forces the command and direction so that the fuzzer spends its time inside one
// decoder rather than on reaching it.
func fuzzDecoder[T any](f *testing.F, cmd byte, reply bool, decode func(Message) (T, error)) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= HeaderLen {
			b[4] = cmd
			if reply {
				b[9] |= FlagsReply
			} else {
				b[9] &^= FlagsReply
			}
		}
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if _, err := decode(m); err != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error without sentinel: %v", err)
		}
	})
}

func FuzzDecodeNegotiateResponse(f *testing.F) {
	fuzzDecoder(f, CmdNegotiate, true, DecodeNegotiateResponse)
}
func FuzzDecodeSessionSetupResponse(f *testing.F) {
	fuzzDecoder(f, CmdSessionSetupAnd, true, DecodeSessionSetupResponse)
}
func FuzzDecodeTreeConnectResponse(f *testing.F) {
	fuzzDecoder(f, CmdTreeConnectAndX, true, DecodeTreeConnectResponse)
}
func FuzzDecodeNTCreateResponse(f *testing.F) {
	fuzzDecoder(f, CmdNTCreateAndX, true, DecodeNTCreateResponse)
}
func FuzzDecodeTransactionResponse(f *testing.F) {
	fuzzDecoder(f, CmdTransaction, true, DecodeTransactionResponse)
}
func FuzzDecodeWriteResponse(f *testing.F) {
	fuzzDecoder(f, CmdWriteAndX, true, DecodeWriteResponse)
}
func FuzzDecodeReadResponse(f *testing.F) { fuzzDecoder(f, CmdReadAndX, true, DecodeReadResponse) }
func FuzzDecodeEchoResponse(f *testing.F) { fuzzDecoder(f, CmdEcho, true, DecodeEchoResponse) }
