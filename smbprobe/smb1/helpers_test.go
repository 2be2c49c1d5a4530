package smb1

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/netbios"
)

// fixture returns the SMB bytes of testdata/<name>.hex: one TCP payload captured from a real
// peer (see the comment line for the pcap and frame), NetBIOS header removed by our reader.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b := testpeer.Fixture(t, name+".hex")
	typ, p, err := netbios.ReadFrame(bytes.NewReader(b), 64<<10)
	if err != nil || typ != netbios.TypeSessionMessage {
		t.Fatalf("%s: frame type %#x: %v", name, typ, err)
	}
	return p
}

// fixtureNames lists every captured message.
func fixtureNames(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob("testdata/*.hex")
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var names []string
	for _, p := range m {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".hex"))
	}
	return names
}

func mustParse(t testing.TB, b []byte) Message {
	t.Helper()
	m, err := DecodeMessage(b)
	if err != nil {
		t.Fatalf("DecodeMessage: %v\n% x", err, b)
	}
	return m
}

// decodeAny runs the decoder that fits the command and direction of m and returns its
// result. It is the single dispatch used by the fuzz, truncation and fixture tests.
func decodeAny(m Message) (any, error) {
	reply := m.Header.IsReply()
	switch m.Header.Command {
	case CmdNegotiate:
		if reply {
			return DecodeNegotiateResponse(m)
		}
		return DecodeNegotiateRequest(m)
	case CmdSessionSetupAnd:
		if reply {
			return DecodeSessionSetupResponse(m)
		}
		return DecodeSessionSetupRequest(m)
	case CmdTreeConnectAndX:
		if reply {
			return DecodeTreeConnectResponse(m)
		}
		return DecodeTreeConnectRequest(m)
	case CmdNTCreateAndX:
		if reply {
			return DecodeNTCreateResponse(m)
		}
		return DecodeNTCreateRequest(m)
	case CmdTransaction, CmdTransaction2:
		if reply {
			return DecodeTransactionResponse(m)
		}
		return DecodeTransactionRequest(m)
	case CmdWriteAndX:
		if reply {
			return DecodeWriteResponse(m)
		}
		return DecodeWriteRequest(m)
	case CmdReadAndX:
		if reply {
			return DecodeReadResponse(m)
		}
		return DecodeReadRequest(m)
	case CmdClose:
		if reply {
			return DecodeCloseResponse(m)
		}
		return DecodeCloseRequest(m)
	case CmdTreeDisconnect:
		if reply {
			return DecodeTreeDisconnectResponse(m)
		}
		return DecodeTreeDisconnectRequest(m)
	case CmdLogoffAndX:
		if reply {
			return DecodeLogoffResponse(m)
		}
		return DecodeLogoffRequest(m)
	case CmdEcho:
		if reply {
			return DecodeEchoResponse(m)
		}
		return DecodeEchoRequest(m)
	}
	return nil, nil
}

// encodeAny re-encodes a decoded value with the header it came with.
func encodeAny(v any, h Header) []byte {
	if h.Command == CmdTransaction2 {
		switch t := v.(type) {
		case TransactionRequest:
			return t.EncodeTrans2(h)
		case TransactionResponse:
			return t.EncodeTrans2(h)
		}
	}
	return v.(interface{ Encode(Header) []byte }).Encode(h)
}
