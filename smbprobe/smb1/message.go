package smb1

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Message is one SMB1 command block: header, parameter words and data bytes (MS-CIFS 2.2.3.2
// and 2.2.3.3). Words and Bytes alias Raw when decoded.
type Message struct {
	Header Header
	// WordCount is the value of the WordCount field. It normally equals len(Words)/2; the one
	// exception is the extended NT_CREATE_ANDX response, where Windows announces 42 words and
	// sends 50 (see DecodeNTCreateResponse).
	WordCount uint8
	Words     []byte
	Bytes     []byte
	// Raw is the whole message as received (nil for messages built locally). Offsets in
	// TRANSACTION, READ_ANDX and WRITE_ANDX, and the Unicode padding of strings, are relative to
	// its first byte.
	Raw []byte
}

// NewMessage builds a message from a header and blocks; WordCount is len(words)/2.
func NewMessage(h Header, words, data []byte) Message {
	return Message{Header: h, WordCount: uint8(len(words) / 2), Words: words, Bytes: data}
}

// bytesOffset is where the data block of a message with nWords bytes of words begins.
func bytesOffset(nWords int) int { return HeaderLen + 1 + nWords + 2 }

// BytesOffset is the offset of Bytes from the start of the header.
func (m Message) BytesOffset() int { return bytesOffset(len(m.Words)) }

// Len is the encoded size of the message.
func (m Message) Len() int { return m.BytesOffset() + len(m.Bytes) }

// Encode encodes the message (without NetBIOS framing).
func (m Message) Encode() []byte {
	b := make([]byte, m.Len())
	m.Header.encode(b)
	b[HeaderLen] = m.WordCount                   // WordCount
	copy(b[HeaderLen+1:], m.Words)               // Words
	o := HeaderLen + 1 + len(m.Words)            //
	le.PutUint16(b[o:o+2], uint16(len(m.Bytes))) // ByteCount
	copy(b[o+2:], m.Bytes)                       // Bytes
	return b
}

// DecodeMessage decodes the header and the first command block of b. Bytes after the block
// (an AndX chain, or padding) are allowed and stay reachable through Raw.
func DecodeMessage(b []byte) (Message, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return Message{}, err
	}
	if len(b) < HeaderLen+1 {
		return Message{}, fmt.Errorf("%w: no WordCount", ErrTruncated)
	}
	wc := b[HeaderLen]
	nWords := 2 * int(wc)
	// Windows (XP to 10) and Samba send the extended NT_CREATE_ANDX response with WordCount 42
	// but 100 bytes of words; the ByteCount sits after those 100 bytes.
	if h.Command == CmdNTCreateAndX && h.IsReply() && wc == ntCreateRespExtWC &&
		len(b) >= bytesOffset(ntCreateRespExtLen) {
		nWords = ntCreateRespExtLen
	}
	bo := bytesOffset(nWords)
	if len(b) < bo {
		return Message{}, fmt.Errorf("%w: WordCount %d needs %d bytes, have %d", ErrTruncated, wc, bo, len(b))
	}
	bc := int(le.Uint16(b[bo-2 : bo]))
	if len(b)-bo < bc {
		return Message{}, fmt.Errorf("%w: ByteCount %d, %d bytes left", ErrTruncated, bc, len(b)-bo)
	}
	return Message{
		Header:    h,
		WordCount: wc,
		Words:     b[HeaderLen+1 : HeaderLen+1+nWords],
		Bytes:     b[bo : bo+bc],
		Raw:       b,
	}, nil
}

// IsErrorResponse reports the short form servers use for failures: WordCount 0, ByteCount 0
// and a non-success status, whatever the command.
func (m Message) IsErrorResponse() bool {
	return m.Header.Status != ntstatus.Success && len(m.Words) == 0 && len(m.Bytes) == 0
}

// AndX is the 4-byte prefix of the words of an AndX command (MS-CIFS 2.2.3.4).
type AndX struct {
	Command  byte // AndXCommand
	Reserved byte // AndXReserved
	Offset   uint16
}

// AndX decodes and validates the AndX prefix. Only the first command of a chain is ever
// interpreted, but a follow-on offset must point past this block and inside the message.
func (m Message) AndX() (AndX, error) {
	if len(m.Words) < 4 {
		return AndX{}, fmt.Errorf("%w: AndX block needs 4 bytes of words, have %d", ErrMalformed, len(m.Words))
	}
	a := AndX{Command: m.Words[0], Reserved: m.Words[1], Offset: le.Uint16(m.Words[2:4])}
	if a.Command == CmdNone {
		return a, nil
	}
	end := m.Len()
	if m.Raw != nil {
		if int(a.Offset) < end || int(a.Offset) >= len(m.Raw) {
			return a, fmt.Errorf("%w: AndXOffset %d outside [%d,%d)", ErrMalformed, a.Offset, end, len(m.Raw))
		}
	}
	return a, nil
}

// putAndX writes a chain-ending AndX prefix. Like Windows, AndXOffset points at the end of the
// message even though nothing follows.
func putAndX(words []byte, msgLen int) {
	words[0] = CmdNone                       // AndXCommand
	words[1] = 0                             // AndXReserved
	le.PutUint16(words[2:4], uint16(msgLen)) // AndXOffset
}

// expect checks the command and a WordCount from an allowed set.
func (m Message) expect(cmd byte, what string, wcs ...uint8) error {
	if m.Header.Command != cmd {
		return fmt.Errorf("%w: %s: command %#02x, want %#02x", ErrMalformed, what, m.Header.Command, cmd)
	}
	for _, wc := range wcs {
		if m.WordCount == wc && len(m.Words) >= 2*int(wc) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s: WordCount %d, want one of %v", ErrMalformed, what, m.WordCount, wcs)
}

// encodeAndX finishes an AndX command: it fills the AndX prefix of words and marshals.
func encodeAndX(h Header, cmd byte, words, data []byte) []byte {
	h.Command = cmd
	m := NewMessage(h, words, data)
	putAndX(words, m.Len())
	return m.Encode()
}

// encodePlain marshals a non-AndX command.
func encodePlain(h Header, cmd byte, words, data []byte) []byte {
	h.Command = cmd
	return NewMessage(h, words, data).Encode()
}
