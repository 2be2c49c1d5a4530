package smb2

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// RFC 4493 section 4 examples.
func TestCMACRFC4493(t *testing.T) {
	key := "2b7e151628aed2a6abf7158809cf4f3c"
	msg := "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51" +
		"30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710"
	tests := []struct {
		name string
		n    int // message bytes
		want string
	}{
		{"empty", 0, "bb1d6929e95937287fa37d129b756746"},
		{"16 bytes", 16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{"40 bytes", 40, "dfa66747de9ae63030ca32611497c827"},
		{"64 bytes", 64, "51f0bebf7e3b9d92fc49741779363cfe"},
	}
	m := testpeer.Unhex(t, msg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewCMAC(testpeer.Unhex(t, key))
			if err != nil {
				t.Fatal(err)
			}
			h.Write(m[:tt.n])
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Errorf("one write: %s, want %s", got, tt.want)
			}
			// Same MAC when fed byte by byte, and Sum does not disturb the state.
			h.Reset()
			for i := 0; i < tt.n; i++ {
				h.Write(m[i : i+1])
				_ = h.Sum(nil)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Errorf("byte writes: %s, want %s", got, tt.want)
			}
		})
	}
}

// The message: Samba 4.17's TREE_CONNECT response (samba417 frame 83) with
// SMB2_FLAGS_SIGNED set and a zero signature. Expected values computed independently:
//
//	openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...0f msg.bin
//	openssl kdf -keylen 16 -kdfopt mac:HMAC -kdfopt digest:SHA256 -kdfopt hexkey:000102...0f \
//	    -kdfopt hexsalt:<label incl. NUL> -kdfopt hexinfo:<context> KBKDF
//	openssl mac -cipher AES-128-CBC -macopt hexkey:<signing key> -in msg.bin CMAC
const signMsgHex = "fe534d42400001000000000003007f0009000000000000000400000000000000000000007246ab4fc80895f10000000000000000000000000000000000000000100002000000000000000000a9001f00"

// Session preauth hash after win10 frame 7 (see TestPreauthHashRealExchange).
const win10SessionPreauth = "17fa89923fc1fbcd941b488d0e83e82a6d8c1b4a6ddfe34fd083d45ac40a156f93b4e4fc6025e1c207d60b2f905648ff92c436e7c4062d172fa83ff9ab668743"

func TestSignVectors(t *testing.T) {
	sessionKey := testpeer.Unhex(t, "000102030405060708090a0b0c0d0e0f")
	var ph PreauthHash
	copy(ph[:], testpeer.Unhex(t, win10SessionPreauth))
	tests := []struct {
		dialect Dialect
		key     string
		sig     string
	}{
		{Dialect202, "000102030405060708090a0b0c0d0e0f", "59eb1c0f111f4984f3c76662de534cf7"},
		{Dialect210, "000102030405060708090a0b0c0d0e0f", "59eb1c0f111f4984f3c76662de534cf7"},
		{Dialect300, "6234814cbb8ea9227440ebfeb5eacbe1", "5eb07e5e4037298e3038516a46ef33a9"},
		{Dialect302, "6234814cbb8ea9227440ebfeb5eacbe1", "5eb07e5e4037298e3038516a46ef33a9"},
		{Dialect311, "24589ae70fdd3ce00f75f614b83944ac", "c033c482b521838336450b1968a8a6f5"},
	}
	for _, tt := range tests {
		t.Run(tt.dialect.String(), func(t *testing.T) {
			key, err := SigningKey(sessionKey, tt.dialect, &ph)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(key); got != tt.key {
				t.Fatalf("SigningKey %s, want %s", got, tt.key)
			}
			msg := testpeer.Unhex(t, signMsgHex)
			msg[16] &^= byte(FlagSigned)                     // Sign must set it
			copy(msg[48:64], bytes.Repeat([]byte{0xAA}, 16)) // and ignore a stale signature
			if err := Sign(msg, key, tt.dialect); err != nil {
				t.Fatal(err)
			}
			if msg[16]&byte(FlagSigned) == 0 {
				t.Error("SIGNED flag not set")
			}
			if got := hex.EncodeToString(msg[48:64]); got != tt.sig {
				t.Errorf("signature %s, want %s", got, tt.sig)
			}
			if err := Verify(msg, key, tt.dialect); err != nil {
				t.Errorf("Verify: %v", err)
			}
			before := append([]byte(nil), msg...)
			msg[70] ^= 1
			if err := Verify(msg, key, tt.dialect); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify of a tampered body: %v", err)
			}
			msg[70] ^= 1
			if !bytes.Equal(before, msg) {
				t.Error("Verify modified the message")
			}
			wrong := append([]byte(nil), key...)
			wrong[0] ^= 1
			if err := Verify(msg, wrong, tt.dialect); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with a wrong key: %v", err)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	key := make([]byte, 16)
	msg := testpeer.Unhex(t, signMsgHex)
	if err := Sign(msg, key, DialectWildcard); !errors.Is(err, ErrUnsupportedDialect) {
		t.Errorf("Sign 2.???: %v", err)
	}
	if _, err := SigningKey(key, Dialect311, nil); !errors.Is(err, ErrUnsupportedDialect) {
		t.Errorf("3.1.1 key without preauth hash: %v", err)
	}
	if err := Sign(msg[:40], key, Dialect202); !errors.Is(err, ErrTruncated) {
		t.Errorf("Sign of a short message: %v", err)
	}
	unsigned := testpeer.Unhex(t, signMsgHex)
	unsigned[16] &^= byte(FlagSigned)
	if err := Verify(unsigned, key, Dialect202); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify of an unsigned message: %v", err)
	}
}

// Compound members are signed one by one, each over its own bytes and padding.
func TestSignCompound(t *testing.T) {
	key := testpeer.Unhex(t, "6234814cbb8ea9227440ebfeb5eacbe1")
	a := Build(Header{Command: CmdCreate, MessageID: 1, SessionID: 7, TreeID: 1},
		&CreateRequest{DesiredAccess: 0x0012019f, ShareAccess: FileShareRead, CreateDisposition: FileOpen, Name: "srvsvc"})
	b := Build(Header{Command: CmdClose, MessageID: 2, SessionID: 7, TreeID: 1, Flags: FlagRelatedOperations},
		&CloseRequest{FileID: AnyFileID})
	msg := Compound(a, b)
	if err := Sign(msg, key, Dialect300); err != nil {
		t.Fatal(err)
	}
	if err := Verify(msg, key, Dialect300); err != nil {
		t.Fatal(err)
	}
	pdus, err := DecodeMessage(msg)
	if err != nil || len(pdus) != 2 {
		t.Fatalf("DecodeMessage: %d PDUs, %v", len(pdus), err)
	}
	msg[len(msg)-1] ^= 1
	if err := Verify(msg, key, Dialect300); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered second member: %v", err)
	}
}

// tshark computed the 3.1.1 preauth integrity hash of the Windows 10 exchange
// (smb2.preauth_hash); ours must agree message by message.
func TestPreauthHashRealExchange(t *testing.T) {
	fr := loadFrames(t, "win10.frames")
	steps := []struct {
		frame int
		want  string
	}{
		{3, "b27d2691a149fd4d21608df9fb42780e62ee473b11222ff9e4186f1c01f9a9a62f60ddbc0c0a4ba814c43a21ff3d8e46d45fc76b65057b2b3165c11a007cee2a"},
		{4, "3bd7d51effe97c9e10e22f9697830373f9511c615cf3c029007079c8ab703139ac698d0456d1578bf13167053989ae73a05921ba38e4b10f8729f4d85b5e7bfd"},
		{5, "bddab4aeaedd3c9655d69923be9bdaa97cdbd2b221393ed653b56ca97f91d922ed0c8771f2ee54e9b7cba7aa86f853a916e06a164f484461364ec84d78ab6649"},
		{6, "d9d2d0483bec51cfc967e1e1eee9b1c05bc7343bf208a84d1f40bc69053ae6a8911effb4eeee07a95e18b714249413f4147144ea27103c5ba933acc3439dcd92"},
		{7, win10SessionPreauth},
	}
	var h PreauthHash
	for _, s := range steps {
		h.Update(fr[s.frame].Msg)
		if got := hex.EncodeToString(h[:]); got != s.want {
			t.Fatalf("after frame %d: %s, want %s", s.frame, got, s.want)
		}
	}
}
