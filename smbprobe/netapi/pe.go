package netapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"io"
)

// Sentinel errors; every parsing error wraps one of them (or the reader's own error).
var (
	ErrTruncated = errors.New("netapi: truncated file")
	ErrMalformed = errors.New("netapi: malformed PE file")
	ErrNoVersion = errors.New("netapi: no version resource")
)

// FileVersion is VS_FIXEDFILEINFO's file version, e.g. 5.1.2600.5694.
type FileVersion struct {
	Major, Minor, Build, Revision uint16
}

// String is the version as "major.minor.build.revision".
func (v FileVersion) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

// Compare orders versions field by field: -1, 0 or +1.
func (v FileVersion) Compare(w FileVersion) int {
	a := [4]uint16{v.Major, v.Minor, v.Build, v.Revision}
	b := [4]uint16{w.Major, w.Minor, w.Build, w.Revision}
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// VersionInfo is what the version resource says.
type VersionInfo struct {
	File    FileVersion // VS_FIXEDFILEINFO dwFileVersionMS/LS: the authority
	Product FileVersion // dwProductVersionMS/LS
	// FileVersionString is the StringFileInfo "FileVersion" value when present, e.g.
	// "5.1.2600.5694 (xpsp_sp3_gdr.080814-1236)": the build lab names the branch. Attacker
	// controlled, like every byte of the file.
	FileVersionString string
}

// Limits that keep a hostile file from making us read or loop much.
const (
	maxHeaderOffset  = 1 << 20 // e_lfanew
	maxOptionalHdr   = 0x1000
	maxSections      = 96 // the PE format's own limit
	maxDirEntries    = 4096
	maxVersionRes    = 64 << 10
	fixedInfoSig     = 0xFEEF04BD
	rtVersion        = 16
	dirEntryIsSubdir = 0x80000000
)

// reader reads bounded byte ranges from the file.
type reader struct {
	r     io.ReaderAt
	size  int64
	reads int
}

func (rd *reader) at(off int64, n int, what string) ([]byte, error) {
	if off < 0 || n < 0 || off > rd.size || int64(n) > rd.size-off {
		return nil, fmt.Errorf("%w: %s needs %d bytes at offset %d of %d", ErrTruncated, what, n, off, rd.size)
	}
	b := make([]byte, n)
	rd.reads++
	if m, err := rd.r.ReadAt(b, off); m < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = ErrTruncated
		}
		return nil, fmt.Errorf("netapi: reading %s: %w", what, err)
	}
	return b, nil
}

type section struct {
	va, vsize, rawPtr, rawSize uint32
}

// fileOffset maps an RVA range to a file offset through the section table.
func fileOffset(secs []section, rva, n uint32) (int64, error) {
	for _, s := range secs {
		span := max(s.vsize, s.rawSize)
		if rva < s.va || uint64(rva)-uint64(s.va) >= uint64(span) {
			continue
		}
		delta := rva - s.va
		if uint64(delta)+uint64(n) > uint64(s.rawSize) {
			return 0, fmt.Errorf("%w: RVA 0x%x+%d is outside the raw data of its section", ErrMalformed, rva, n)
		}
		return int64(s.rawPtr) + int64(delta), nil
	}
	return 0, fmt.Errorf("%w: RVA 0x%x is in no section", ErrMalformed, rva)
}

// ParseVersion returns the file version of the PE file read through r (size bytes long).
func ParseVersion(r io.ReaderAt, size int64) (FileVersion, error) {
	vi, err := ParseVersionInfo(r, size)
	return vi.File, err
}

// ParseVersionInfo walks DOS header → PE header → section table → resource directory
// (RT_VERSION, first name, first language) → VS_VERSIONINFO, reading only those bytes: about
// ten small ReadAt calls, so a remote reader (SMB READ_ANDX) fetches a few KiB of a DLL.
func ParseVersionInfo(r io.ReaderAt, size int64) (VersionInfo, error) {
	le := binary.LittleEndian
	rd := &reader{r: r, size: size}
	var vi VersionInfo

	dos, err := rd.at(0, 64, "DOS header")
	if err != nil {
		return vi, err
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return vi, fmt.Errorf("%w: no MZ signature", ErrMalformed)
	}
	lfanew := int64(le.Uint32(dos[0x3C:])) // e_lfanew
	if lfanew > maxHeaderOffset {
		return vi, fmt.Errorf("%w: e_lfanew 0x%x", ErrMalformed, lfanew)
	}
	hdr, err := rd.at(lfanew, 24, "PE header")
	if err != nil {
		return vi, err
	}
	if string(hdr[0:4]) != "PE\x00\x00" {
		return vi, fmt.Errorf("%w: no PE signature", ErrMalformed)
	}
	nsect := int(le.Uint16(hdr[6:8]))     // NumberOfSections
	optSize := int(le.Uint16(hdr[20:22])) // SizeOfOptionalHeader
	if nsect == 0 || nsect > maxSections || optSize > maxOptionalHdr {
		return vi, fmt.Errorf("%w: %d sections, optional header %d bytes", ErrMalformed, nsect, optSize)
	}
	opt, err := rd.at(lfanew+24, optSize, "optional header")
	if err != nil {
		return vi, err
	}
	if len(opt) < 2 {
		return vi, fmt.Errorf("%w: optional header of %d bytes", ErrMalformed, optSize)
	}
	var dirBase int
	switch le.Uint16(opt[0:2]) { // Magic
	case 0x10B: // PE32
		dirBase = 96
	case 0x20B: // PE32+
		dirBase = 112
	default:
		return vi, fmt.Errorf("%w: optional header magic 0x%x", ErrMalformed, le.Uint16(opt[0:2]))
	}
	const resourceDir = 2                                                                  // IMAGE_DIRECTORY_ENTRY_RESOURCE
	if len(opt) < dirBase+(resourceDir+1)*8 || le.Uint32(opt[dirBase-4:]) <= resourceDir { // NumberOfRvaAndSizes
		return vi, fmt.Errorf("%w: no resource directory entry", ErrNoVersion)
	}
	rsrcRVA := le.Uint32(opt[dirBase+resourceDir*8:])
	rsrcSize := le.Uint32(opt[dirBase+resourceDir*8+4:])
	if rsrcRVA == 0 || rsrcSize == 0 {
		return vi, fmt.Errorf("%w: empty resource directory", ErrNoVersion)
	}

	st, err := rd.at(lfanew+24+int64(optSize), nsect*40, "section table")
	if err != nil {
		return vi, err
	}
	secs := make([]section, nsect)
	for i := range secs {
		s := st[i*40:]
		secs[i] = section{
			vsize:   le.Uint32(s[8:12]),  // VirtualSize
			va:      le.Uint32(s[12:16]), // VirtualAddress
			rawSize: le.Uint32(s[16:20]), // SizeOfRawData
			rawPtr:  le.Uint32(s[20:24]), // PointerToRawData
		}
	}
	rsrcOff, err := fileOffset(secs, rsrcRVA, 16)
	if err != nil {
		return vi, err
	}

	// Directory offsets are relative to the start of the resource directory.
	entry := func(dirOff uint32, level int, want func(id uint32) bool) (uint32, error) {
		what := fmt.Sprintf("resource directory level %d", level)
		if dirOff > rsrcSize {
			return 0, fmt.Errorf("%w: %s at 0x%x beyond the directory", ErrMalformed, what, dirOff)
		}
		d, err := rd.at(rsrcOff+int64(dirOff), 16, what)
		if err != nil {
			return 0, err
		}
		n := int(le.Uint16(d[12:14])) + int(le.Uint16(d[14:16])) // NumberOfNamedEntries + NumberOfIdEntries
		if n == 0 || n > maxDirEntries {
			return 0, fmt.Errorf("%w: %s has %d entries", ErrNoVersion, what, n)
		}
		es, err := rd.at(rsrcOff+int64(dirOff)+16, n*8, what+" entries")
		if err != nil {
			return 0, err
		}
		for i := 0; i < n; i++ {
			name, target := le.Uint32(es[i*8:]), le.Uint32(es[i*8+4:])
			if want(name) {
				return target, nil
			}
		}
		return 0, fmt.Errorf("%w: no matching entry at %s", ErrNoVersion, what)
	}
	anyEntry := func(uint32) bool { return true }
	typeEnt, err := entry(0, 1, func(id uint32) bool { return id == rtVersion }) // an ID entry: high bit clear
	if err != nil {
		return vi, err
	}
	if typeEnt&dirEntryIsSubdir == 0 {
		return vi, fmt.Errorf("%w: RT_VERSION entry is not a directory", ErrMalformed)
	}
	nameEnt, err := entry(typeEnt&^dirEntryIsSubdir, 2, anyEntry)
	if err != nil {
		return vi, err
	}
	if nameEnt&dirEntryIsSubdir == 0 {
		return vi, fmt.Errorf("%w: version name entry is not a directory", ErrMalformed)
	}
	langEnt, err := entry(nameEnt&^dirEntryIsSubdir, 3, anyEntry)
	if err != nil {
		return vi, err
	}
	if langEnt&dirEntryIsSubdir != 0 || langEnt > rsrcSize {
		return vi, fmt.Errorf("%w: bad version data entry 0x%x", ErrMalformed, langEnt)
	}
	de, err := rd.at(rsrcOff+int64(langEnt), 16, "resource data entry")
	if err != nil {
		return vi, err
	}
	dataRVA, dataSize := le.Uint32(de[0:4]), le.Uint32(de[4:8]) // OffsetToData (an RVA), Size
	if dataSize > maxVersionRes {
		return vi, fmt.Errorf("%w: version resource of %d bytes", ErrMalformed, dataSize)
	}
	dataOff, err := fileOffset(secs, dataRVA, dataSize)
	if err != nil {
		return vi, err
	}
	res, err := rd.at(dataOff, int(dataSize), "version resource")
	if err != nil {
		return vi, err
	}
	return parseVersionResource(res)
}

// block is one node of the version resource tree: wLength, wValueLength, wType, szKey, value,
// children, each aligned to 32 bits from the start of the resource.
type block struct {
	key        string
	valueLen   int // wValueLength as stored (bytes for binary, often characters for text)
	typ        uint16
	valueStart int
	end        int // offset after the block
}

func align4(n int) int { return (n + 3) &^ 3 }

// parseBlock reads the block header at off within b.
func parseBlock(b []byte, off int) (block, error) {
	le := binary.LittleEndian
	if off < 0 || off+6 > len(b) {
		return block{}, fmt.Errorf("%w: version block header at %d", ErrTruncated, off)
	}
	length := int(le.Uint16(b[off:]))
	blk := block{valueLen: int(le.Uint16(b[off+2:])), typ: le.Uint16(b[off+4:])}
	if length < 6 || off+length > len(b) {
		return block{}, fmt.Errorf("%w: version block at %d claims %d bytes of %d", ErrMalformed, off, length, len(b)-off)
	}
	blk.end = off + length
	key, n := utf16le.DecodeZ(b[off+6 : blk.end])
	blk.key = key
	blk.valueStart = align4(off + 6 + n)
	if blk.valueStart > blk.end {
		blk.valueStart = blk.end
	}
	return blk, nil
}

// children returns the offset of the first child, given the value's size in bytes.
func (blk block) children(valueBytes int) int {
	return min(align4(blk.valueStart+valueBytes), blk.end)
}

func parseVersionResource(b []byte) (VersionInfo, error) {
	le := binary.LittleEndian
	var vi VersionInfo
	root, err := parseBlock(b, 0)
	if err != nil {
		return vi, err
	}
	if root.key != "VS_VERSION_INFO" {
		return vi, fmt.Errorf("%w: root key %q", ErrMalformed, root.key)
	}
	if root.valueLen < 52 || root.valueStart+52 > root.end {
		return vi, fmt.Errorf("%w: no VS_FIXEDFILEINFO (value of %d bytes)", ErrNoVersion, root.valueLen)
	}
	ffi := b[root.valueStart : root.valueStart+52]
	if sig := le.Uint32(ffi[0:4]); sig != fixedInfoSig { // dwSignature
		return vi, fmt.Errorf("%w: VS_FIXEDFILEINFO signature 0x%08x", ErrMalformed, sig)
	}
	ver := func(ms, ls uint32) FileVersion {
		return FileVersion{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
	}
	vi.File = ver(le.Uint32(ffi[8:12]), le.Uint32(ffi[12:16]))     // dwFileVersionMS, dwFileVersionLS
	vi.Product = ver(le.Uint32(ffi[16:20]), le.Uint32(ffi[20:24])) // dwProductVersionMS, dwProductVersionLS

	// The FileVersion string is a bonus: a malformed StringFileInfo does not fail the parse.
	for off := root.children(root.valueLen); off < root.end; {
		sfi, err := parseBlock(b, off)
		if err != nil {
			break
		}
		if sfi.key == "StringFileInfo" {
			vi.FileVersionString = findString(b, sfi, "FileVersion")
		}
		if sfi.end <= off {
			break
		}
		off = align4(sfi.end)
	}
	return vi, nil
}

// findString looks for key in every StringTable under a StringFileInfo block.
func findString(b []byte, sfi block, key string) string {
	for off := sfi.children(0); off < sfi.end; {
		tbl, err := parseBlock(b, off)
		if err != nil || tbl.end > sfi.end {
			return ""
		}
		for soff := tbl.children(0); soff < tbl.end; {
			s, err := parseBlock(b, soff)
			if err != nil || s.end > tbl.end {
				break
			}
			if s.key == key {
				// wValueLength is characters for text by the documentation, bytes in some
				// files: decode up to the NUL within the block instead of trusting it.
				v, _ := utf16le.DecodeZ(b[s.valueStart:s.end])
				return v
			}
			soff = align4(s.end)
		}
		off = align4(tbl.end)
	}
	return ""
}
