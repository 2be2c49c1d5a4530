package spnego

import (
	"bytes"
	"fmt"
)

// ntlmSignature opens every NTLMSSP message.
const ntlmSignature = "NTLMSSP\x00"

// NegHints is MS-SPNG's negHints in the servers' NegTokenInit2.
type NegHints struct {
	HintName    string // [0] GeneralString; Windows and Samba send "not_defined_in_RFC4178@please_ignore"
	HintAddress []byte // [1] OCTET STRING
}

// HintIgnore is the hint name Windows Server 2008+ and Samba put in their NEGOTIATE response.
const HintIgnore = "not_defined_in_RFC4178@please_ignore"

// NegTokenInit is RFC 4178's NegTokenInit, extended with MS-SPNG's negHints
// (NegTokenInit2): context tag [3] holds negHints when it is a SEQUENCE and
// mechListMIC when it is an OCTET STRING.
type NegTokenInit struct {
	MechTypes   []OID     // [0] MechTypeList
	ReqFlags    []byte    // [1] ContextFlags BIT STRING content, nil when absent
	MechToken   []byte    // [2] OCTET STRING, the optimistic first token
	NegHints    *NegHints // [3] NegTokenInit2 only
	MechListMIC []byte    // [3] or, in NegTokenInit2, [4]
}

// NegState is NegTokenResp's negState; NegStateAbsent when the field is omitted.
type NegState int

// negState values (RFC 4178 4.2.2).
const (
	NegStateAbsent           NegState = -1
	NegStateAcceptCompleted  NegState = 0
	NegStateAcceptIncomplete NegState = 1
	NegStateReject           NegState = 2
	NegStateRequestMIC       NegState = 3
)

// NegTokenResp is RFC 4178's NegTokenResp (negTokenTarg in older texts).
type NegTokenResp struct {
	NegState      NegState // [0] ENUMERATED
	SupportedMech OID      // [1] MechType, "" when absent
	ResponseToken []byte   // [2] OCTET STRING
	MechListMIC   []byte   // [3] OCTET STRING
}

// Encode encodes the token as a GSS-API InitialContextToken:
// [APPLICATION 0] { thisMech SPNEGO, [0] NegTokenInit }.
func (t *NegTokenInit) Encode() ([]byte, error) {
	var mechs []byte
	for _, m := range t.MechTypes {
		c, err := marshalOID(m)
		if err != nil {
			return nil, err
		}
		mechs = appendTLV(mechs, tagOID, c)
	}
	seq := appendTLV(nil, ctx(0), appendTLV(nil, tagSequence, mechs)) // mechTypes
	if t.ReqFlags != nil {
		seq = appendTLV(seq, ctx(1), appendTLV(nil, tagBitString, t.ReqFlags)) // reqFlags
	}
	if t.MechToken != nil {
		seq = appendTLV(seq, ctx(2), appendTLV(nil, tagOctetString, t.MechToken)) // mechToken
	}
	micTag := byte(3)
	if t.NegHints != nil {
		var h []byte
		if t.NegHints.HintName != "" {
			h = appendTLV(h, ctx(0), appendTLV(nil, tagGeneralStr, []byte(t.NegHints.HintName))) // hintName
		}
		if t.NegHints.HintAddress != nil {
			h = appendTLV(h, ctx(1), appendTLV(nil, tagOctetString, t.NegHints.HintAddress)) // hintAddress
		}
		seq = appendTLV(seq, ctx(3), appendTLV(nil, tagSequence, h)) // negHints
		micTag = 4
	}
	if t.MechListMIC != nil {
		seq = appendTLV(seq, ctx(micTag), appendTLV(nil, tagOctetString, t.MechListMIC)) // mechListMIC
	}
	spnego, _ := marshalOID(OIDSPNEGO)
	inner := appendTLV(nil, ctx(0), appendTLV(nil, tagSequence, seq)) // negTokenInit
	return appendTLV(nil, tagApplication, appendTLV(nil, tagOID, spnego), inner), nil
}

// Encode encodes the token as [1] NegTokenResp, which is sent bare, not
// inside the GSS-API framing.
func (t *NegTokenResp) Encode() ([]byte, error) {
	var seq []byte
	if t.NegState != NegStateAbsent {
		if t.NegState < 0 || t.NegState > 255 {
			return nil, fmt.Errorf("%w: negState %d", ErrMalformed, t.NegState)
		}
		seq = appendTLV(seq, ctx(0), appendTLV(nil, tagEnumerated, []byte{byte(t.NegState)})) // negState
	}
	if t.SupportedMech != "" {
		c, err := marshalOID(t.SupportedMech)
		if err != nil {
			return nil, err
		}
		seq = appendTLV(seq, ctx(1), appendTLV(nil, tagOID, c)) // supportedMech
	}
	if t.ResponseToken != nil {
		seq = appendTLV(seq, ctx(2), appendTLV(nil, tagOctetString, t.ResponseToken)) // responseToken
	}
	if t.MechListMIC != nil {
		seq = appendTLV(seq, ctx(3), appendTLV(nil, tagOctetString, t.MechListMIC)) // mechListMIC
	}
	return appendTLV(nil, ctx(1), appendTLV(nil, tagSequence, seq)), nil
}

// Token is a decoded SPNEGO token: exactly one of Init and Resp is set.
type Token struct {
	Init *NegTokenInit
	Resp *NegTokenResp
}

// Decode decodes an initial token (GSS-API framed, or a bare [0] NegTokenInit)
// or a [1] NegTokenResp. Trailing bytes after the token are rejected.
func Decode(b []byte) (*Token, error) {
	return parseToken(b, true)
}

// parseToken accepts the GSS-API framing only at the top, so nesting stays bounded.
func parseToken(b []byte, top bool) (*Token, error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the token", ErrMalformed, len(rest))
	}
	switch {
	case tag == tagApplication && top:
		oid, inner, err := expect(content, tagOID)
		if err != nil {
			return nil, err
		}
		mech, err := parseOID(oid)
		if err != nil {
			return nil, err
		}
		if mech != OIDSPNEGO {
			return nil, fmt.Errorf("%w: GSS-API mechanism %s is not SPNEGO", ErrNoNTLM, mech)
		}
		return parseToken(inner, false)
	case tag == ctx(0):
		init, err := parseInit(content)
		return &Token{Init: init}, err
	case tag == ctx(1):
		resp, err := parseResp(content)
		return &Token{Resp: resp}, err
	}
	return nil, fmt.Errorf("%w: token tag %#x", ErrMalformed, tag)
}

// fields iterates the context-tagged elements of a SEQUENCE, each holding
// exactly one inner element. Tags must increase, as DER orders them.
func fields(b []byte, fn func(n byte, tag byte, content []byte) error) error {
	seq, rest, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: bytes after SEQUENCE", ErrMalformed)
	}
	last := -1
	for len(seq) > 0 {
		t, c, r, err := readTLV(seq)
		if err != nil {
			return err
		}
		seq = r
		if t&0xe0 != tagContext0 || int(t-tagContext0) <= last {
			return fmt.Errorf("%w: field tag %#x out of order", ErrMalformed, t)
		}
		last = int(t - tagContext0)
		it, ic, ir, err := readTLV(c)
		if err != nil {
			return err
		}
		if len(ir) != 0 {
			return fmt.Errorf("%w: bytes after field [%d]", ErrMalformed, last)
		}
		if err := fn(byte(last), it, ic); err != nil {
			return err
		}
	}
	return nil
}

func want(tag, got byte, field string) error {
	if tag != got {
		return fmt.Errorf("%w: %s has tag %#x, want %#x", ErrMalformed, field, got, tag)
	}
	return nil
}

func parseInit(b []byte) (*NegTokenInit, error) {
	t := &NegTokenInit{}
	err := fields(b, func(n, tag byte, c []byte) error {
		switch n {
		case 0:
			if err := want(tagSequence, tag, "mechTypes"); err != nil {
				return err
			}
			for len(c) > 0 {
				oc, rest, err := expect(c, tagOID)
				if err != nil {
					return err
				}
				oid, err := parseOID(oc)
				if err != nil {
					return err
				}
				t.MechTypes = append(t.MechTypes, oid)
				c = rest
			}
		case 1:
			t.ReqFlags = c
			return want(tagBitString, tag, "reqFlags")
		case 2:
			t.MechToken = c
			return want(tagOctetString, tag, "mechToken")
		case 3:
			if tag == tagOctetString {
				t.MechListMIC = c
				return nil
			}
			if err := want(tagSequence, tag, "negHints"); err != nil {
				return err
			}
			h, err := parseHints(c)
			t.NegHints = h
			return err
		case 4:
			t.MechListMIC = c
			return want(tagOctetString, tag, "mechListMIC")
		}
		return nil // unknown extensions are skipped without descending into them
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func parseHints(b []byte) (*NegHints, error) {
	h := &NegHints{}
	// fields wants the SEQUENCE header, which the caller already stripped.
	err := fields(appendTLV(nil, tagSequence, b), func(n, tag byte, c []byte) error {
		switch n {
		case 0:
			h.HintName = string(c)
			return want(tagGeneralStr, tag, "hintName")
		case 1:
			h.HintAddress = c
			return want(tagOctetString, tag, "hintAddress")
		}
		return nil
	})
	return h, err
}

func parseResp(b []byte) (*NegTokenResp, error) {
	t := &NegTokenResp{NegState: NegStateAbsent}
	err := fields(b, func(n, tag byte, c []byte) error {
		switch n {
		case 0:
			if err := want(tagEnumerated, tag, "negState"); err != nil {
				return err
			}
			if len(c) != 1 || c[0] > 3 {
				return fmt.Errorf("%w: negState % x", ErrMalformed, c)
			}
			t.NegState = NegState(c[0])
		case 1:
			if err := want(tagOID, tag, "supportedMech"); err != nil {
				return err
			}
			oid, err := parseOID(c)
			t.SupportedMech = oid
			return err
		case 2:
			t.ResponseToken = c
			return want(tagOctetString, tag, "responseToken")
		case 3:
			t.MechListMIC = c
			return want(tagOctetString, tag, "mechListMIC")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// NegotiateHints builds the security blob a server puts in its SMB1
// extended-security or SMB2 NEGOTIATE response: a NegTokenInit2 listing mechs
// with the "please ignore" hint. With only OIDNTLMSSP it is Samba's blob;
// Windows 10 lists NEGOEX, MS-KRB5, KRB5, KRB5-U2U and NTLMSSP.
func NegotiateHints(mechs ...OID) ([]byte, error) {
	t := &NegTokenInit{MechTypes: mechs, NegHints: &NegHints{HintName: HintIgnore}}
	return t.Encode()
}

// InitNTLM wraps a client's NTLMSSP NEGOTIATE for its first SESSION_SETUP.
func InitNTLM(ntlm []byte) ([]byte, error) {
	t := &NegTokenInit{MechTypes: []OID{OIDNTLMSSP}, MechToken: ntlm}
	return t.Encode()
}

// RespNTLM wraps an NTLMSSP CHALLENGE (server, negState accept-incomplete with
// supportedMech) or AUTHENTICATE (client, negState omitted as impacket does).
func RespNTLM(ntlm []byte, state NegState, supportedMech OID) ([]byte, error) {
	t := &NegTokenResp{NegState: state, SupportedMech: supportedMech, ResponseToken: ntlm}
	return t.Encode()
}

// Unwrap returns the NTLMSSP message in a security blob: a raw NTLMSSP
// message (SMB1 without SPNEGO, as XP answers raw NTLMSSP), a GSS-API
// NegTokenInit's mechToken, or a NegTokenResp's responseToken. Blobs with no
// NTLMSSP inside (Kerberos, the NEGOTIATE response's hints) give ErrNoNTLM.
func Unwrap(blob []byte) ([]byte, error) {
	if bytes.HasPrefix(blob, []byte(ntlmSignature)) {
		return blob, nil
	}
	tok, err := Decode(blob)
	if err != nil {
		return nil, err
	}
	var inner []byte
	if tok.Init != nil {
		inner = tok.Init.MechToken
	} else {
		inner = tok.Resp.ResponseToken
	}
	if !bytes.HasPrefix(inner, []byte(ntlmSignature)) {
		return nil, ErrNoNTLM
	}
	return inner, nil
}
