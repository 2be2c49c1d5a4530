package smb2

import (
	"crypto/aes"
	"crypto/cipher"
	"hash"
)

// cmac is AES-CMAC (RFC 4493, NIST SP 800-38B) as a streaming hash.Hash. SMB 3.x signs
// with it; the standard library has no CMAC.
type cmac struct {
	c      cipher.Block
	k1, k2 [aes.BlockSize]byte
	x      [aes.BlockSize]byte // chaining value over the blocks already processed
	buf    [aes.BlockSize]byte // the last, possibly partial, block: held back until Sum
	n      int
}

// NewCMAC returns an AES-CMAC hash keyed with key (16, 24 or 32 bytes).
func NewCMAC(key []byte) (hash.Hash, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	m := &cmac{c: c}
	var l [aes.BlockSize]byte
	c.Encrypt(l[:], l[:])
	m.k1 = dbl(l)
	m.k2 = dbl(m.k1)
	return m, nil
}

// dbl multiplies by x in GF(2^128) with the CMAC reduction constant 0x87.
func dbl(in [aes.BlockSize]byte) [aes.BlockSize]byte {
	var out [aes.BlockSize]byte
	carry := in[0] >> 7
	for i := 0; i < aes.BlockSize-1; i++ {
		out[i] = in[i]<<1 | in[i+1]>>7
	}
	out[aes.BlockSize-1] = in[aes.BlockSize-1] << 1
	out[aes.BlockSize-1] ^= 0x87 * carry
	return out
}

func (m *cmac) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if m.n == aes.BlockSize {
			// More data follows, so the buffered block is not the last one.
			for i := range m.x {
				m.x[i] ^= m.buf[i]
			}
			m.c.Encrypt(m.x[:], m.x[:])
			m.n = 0
		}
		k := copy(m.buf[m.n:], p)
		m.n += k
		p = p[k:]
	}
	return total, nil
}

func (m *cmac) Sum(b []byte) []byte {
	last := m.buf
	if m.n == aes.BlockSize {
		for i := range last {
			last[i] ^= m.k1[i]
		}
	} else {
		last[m.n] = 0x80
		for i := m.n + 1; i < aes.BlockSize; i++ {
			last[i] = 0
		}
		for i := range last {
			last[i] ^= m.k2[i]
		}
	}
	x := m.x
	for i := range x {
		x[i] ^= last[i]
	}
	m.c.Encrypt(x[:], x[:])
	return append(b, x[:]...)
}

func (m *cmac) Reset() {
	m.x = [aes.BlockSize]byte{}
	m.n = 0
}

func (m *cmac) Size() int      { return aes.BlockSize }
func (m *cmac) BlockSize() int { return aes.BlockSize }
