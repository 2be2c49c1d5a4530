package winreg

import (
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/internal/ndr"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// maxNameChars bounds a key path or value name: MS-RRP limits a key name to 255 characters
// per component and a value name to 16,383; nothing this package sends comes near either.
const maxNameChars = 1024

// encoder is package ndr's with MS-RRP's names.
type encoder struct{ *ndr.Encoder }

func newEncoder() encoder { return encoder{ndr.NewEncoder()} }

// unicodeString writes a top-level [in] PRRP_UNICODE_STRING (a ref pointer, so no referent of
// its own): Length and MaximumLength in bytes counting the terminating NUL, as MS-RRP 2.2.4
// asks for names sent to the server, the Buffer's referent, then the conformant varying
// array right away (MaxCount, Offset 0, ActualCount in characters, the characters, the NUL).
func (e encoder) unicodeString(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 || len(s) > maxNameChars {
		return fmt.Errorf("%w: %s %q", ErrInvalidString, what, s)
	}
	u := utf16le.EncodeZ(s)
	e.UnicodeStringHeader(u)
	e.UnicodeStringBody(u)
	return nil
}

// decoder is package ndr's failing with this package's sentinels.
type decoder struct{ *ndr.Decoder }

func newDecoder(stub []byte) decoder {
	return decoder{ndr.NewDecoder(stub, ndr.Errors{Truncated: ErrTruncated, Malformed: ErrMalformed})}
}
