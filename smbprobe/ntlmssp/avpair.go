package ntlmssp

import (
	"encoding/binary"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"time"
)

// AvID is the AvId of an AV_PAIR (MS-NLMP 2.2.2.1).
type AvID uint16

// AV_PAIR identifiers.
const (
	AvEOL             AvID = 0x0000 // MsvAvEOL
	AvNbComputerName  AvID = 0x0001 // MsvAvNbComputerName
	AvNbDomainName    AvID = 0x0002 // MsvAvNbDomainName
	AvDNSComputerName AvID = 0x0003 // MsvAvDnsComputerName
	AvDNSDomainName   AvID = 0x0004 // MsvAvDnsDomainName
	AvDNSTreeName     AvID = 0x0005 // MsvAvDnsTreeName
	AvFlags           AvID = 0x0006 // MsvAvFlags
	AvTimestamp       AvID = 0x0007 // MsvAvTimestamp
	AvSingleHost      AvID = 0x0008 // MsvAvSingleHost
	AvTargetName      AvID = 0x0009 // MsvAvTargetName
	AvChannelBindings AvID = 0x000A // MsvAvChannelBindings
)

// MsvAvFlags bits.
const (
	AvFlagConstrained  uint32 = 0x1 // account authentication is constrained
	AvFlagMICPresent   uint32 = 0x2 // the AUTHENTICATE carries a MIC
	AvFlagUntrustedSPN uint32 = 0x4 // target SPN came from an untrusted source
)

// AvPair is one attribute/value pair of a target info list.
type AvPair struct {
	ID    AvID
	Value []byte
}

// AvPairs is a target info list in wire order, without the MsvAvEOL terminator.
type AvPairs []AvPair

const avHeaderSize = 4

// DecodeAvPairs decodes an AV_PAIR list up to its MsvAvEOL. Bytes after the
// terminator are ignored; a list that ends without one is truncated.
func DecodeAvPairs(b []byte) (AvPairs, error) {
	var p AvPairs
	for off := 0; ; {
		if len(b)-off < avHeaderSize {
			return p, fmt.Errorf("%w: AV_PAIR header at %d of %d, no MsvAvEOL", ErrTruncated, off, len(b))
		}
		id := AvID(binary.LittleEndian.Uint16(b[off:])) // AvId
		n := int(binary.LittleEndian.Uint16(b[off+2:])) // AvLen
		off += avHeaderSize
		if n > len(b)-off {
			return p, fmt.Errorf("%w: AV_PAIR %#x length %d, %d bytes left", ErrTruncated, uint16(id), n, len(b)-off)
		}
		if id == AvEOL {
			if n != 0 {
				return p, fmt.Errorf("%w: MsvAvEOL with length %d", ErrMalformed, n)
			}
			return p, nil
		}
		p = append(p, AvPair{ID: id, Value: b[off : off+n : off+n]})
		off += n
	}
}

// Encode encodes the list followed by MsvAvEOL. Values longer than 65535
// bytes cannot be expressed and are cut, which no real name approaches.
func (p AvPairs) Encode() []byte {
	size := avHeaderSize
	for _, a := range p {
		if a.ID != AvEOL {
			size += avHeaderSize + min(len(a.Value), 0xFFFF)
		}
	}
	b := make([]byte, size)
	off := 0
	for _, a := range p {
		if a.ID == AvEOL {
			continue // the terminator is written once, at the end
		}
		v := a.Value[:min(len(a.Value), 0xFFFF)]
		binary.LittleEndian.PutUint16(b[off:], uint16(a.ID))     // AvId
		binary.LittleEndian.PutUint16(b[off+2:], uint16(len(v))) // AvLen
		off += avHeaderSize + copy(b[off+avHeaderSize:], v)      // Value
	}
	// MsvAvEOL: AvId 0, AvLen 0 — already zero.
	return b
}

// Get returns the value of the first pair with the given id.
func (p AvPairs) Get(id AvID) ([]byte, bool) {
	for _, a := range p {
		if a.ID == id {
			return a.Value, true
		}
	}
	return nil, false
}

// String returns a name-valued pair (NetBIOS/DNS names, target name) decoded from UTF-16LE.
func (p AvPairs) String(id AvID) string {
	v, _ := p.Get(id)
	return decodeUTF16(v)
}

// Timestamp returns MsvAvTimestamp as a FILETIME and a time.
func (p AvPairs) Timestamp() (uint64, time.Time, bool) {
	v, ok := p.Get(AvTimestamp)
	if !ok || len(v) != 8 {
		return 0, time.Time{}, false
	}
	ft := binary.LittleEndian.Uint64(v)
	return ft, FileTimeToTime(ft), true
}

// Flags returns MsvAvFlags.
func (p AvPairs) Flags() (uint32, bool) {
	v, ok := p.Get(AvFlags)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(v), true
}

// Set returns a copy of p with the first pair of id replaced by value, or
// value appended when id is absent.
func (p AvPairs) Set(id AvID, value []byte) AvPairs {
	q := make(AvPairs, 0, len(p)+1)
	done := false
	for _, a := range p {
		if a.ID == id && !done {
			a.Value, done = value, true
		}
		q = append(q, a)
	}
	if !done {
		q = append(q, AvPair{ID: id, Value: value})
	}
	return q
}

// AvString builds a name-valued pair.
func AvString(id AvID, s string) AvPair { return AvPair{ID: id, Value: utf16le.Encode(s)} }

// AvFileTime builds an MsvAvTimestamp pair.
func AvFileTime(ft uint64) AvPair {
	v := make([]byte, 8)
	binary.LittleEndian.PutUint64(v, ft)
	return AvPair{ID: AvTimestamp, Value: v}
}

// AvFlagsPair builds an MsvAvFlags pair.
func AvFlagsPair(f uint32) AvPair {
	v := make([]byte, 4)
	binary.LittleEndian.PutUint32(v, f)
	return AvPair{ID: AvFlags, Value: v}
}

// fileTimeEpochDelta is the number of seconds from 1601-01-01 to 1970-01-01.
const fileTimeEpochDelta = 11644473600

// TimeToFileTime converts t to 100 ns ticks since 1601-01-01 UTC.
func TimeToFileTime(t time.Time) uint64 {
	return uint64(t.Unix()+fileTimeEpochDelta)*10_000_000 + uint64(t.Nanosecond()/100)
}

// FileTimeToTime is the inverse of TimeToFileTime; any uint64 is accepted.
func FileTimeToTime(ft uint64) time.Time {
	sec := int64(ft/10_000_000) - fileTimeEpochDelta
	return time.Unix(sec, int64(ft%10_000_000)*100).UTC()
}
