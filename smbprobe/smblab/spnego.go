package smblab

// Minimal SPNEGO (RFC 4178) framing for the server side: the NEGOTIATE hint and the
// negTokenResp around NTLMSSP. Incoming tokens are not parsed as ASN.1: the NTLMSSP message is
// located by its signature, which every client's mechToken carries verbatim.

var (
	oidSPNEGO  = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	oidNTLMSSP = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
)

// der wraps content in a DER TLV with the given tag.
func der(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	b := []byte{tag}
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

// negTokenInit is the GSS-API initial token a Vista+ server puts in its NEGOTIATE response,
// offering NTLMSSP only.
func negTokenInit() []byte {
	mechTypes := der(0xa0, der(0x30, oidNTLMSSP))
	return der(0x60, oidSPNEGO, der(0xa0, der(0x30, mechTypes)))
}

// negTokenResp wraps an NTLMSSP message; state 0 accept-completed, 1 accept-incomplete.
func negTokenResp(state byte, token []byte) []byte {
	parts := [][]byte{der(0xa0, []byte{0x0a, 0x01, state})}
	if state == 1 {
		parts = append(parts, der(0xa1, oidNTLMSSP))
	}
	if token != nil {
		parts = append(parts, der(0xa2, der(0x04, token)))
	}
	return der(0xa1, der(0x30, parts...))
}
