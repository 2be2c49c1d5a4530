package netapi

import (
	"encoding/binary"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// BuildTestPE returns a small, valid PE32 DLL (i386, one .rsrc section) whose only content is
// a version resource for v, as netapi32.dll would carry it. The lab serves these in place of
// the real DLL; tests parse them. The FileVersion string is v itself.
func BuildTestPE(v FileVersion) []byte {
	return BuildTestPEString(v, v.String())
}

// BuildTestPEString is BuildTestPE with an explicit StringFileInfo FileVersion, e.g.
// "5.1.2600.5694 (xpsp_sp3_gdr.080814-1236)".
func BuildTestPEString(v FileVersion, fileVersion string) []byte {
	const (
		peOff      = 0x40
		optSize    = 224 // PE32 optional header with 16 data directories
		secHdrOff  = peOff + 24 + optSize
		fileAlign  = 0x200
		sectAlign  = 0x1000
		rsrcRVA    = 0x1000
		rsrcRaw    = 0x200
		versionOff = 0x58 // where the tree below puts VS_VERSIONINFO in the section
	)
	le := binary.LittleEndian
	vs := versionResource(v, fileVersion)

	// Resource tree: type RT_VERSION → name 1 → language 0x0409 → data entry.
	rsrc := make([]byte, versionOff, versionOff+len(vs))
	dir := func(off int, id, target uint32) {
		le.PutUint16(rsrc[off+14:], 1)      // NumberOfIdEntries
		le.PutUint32(rsrc[off+16:], id)     // entry: Id
		le.PutUint32(rsrc[off+20:], target) // entry: OffsetToData (high bit: subdirectory)
	}
	dir(0x00, rtVersion, dirEntryIsSubdir|0x18)
	dir(0x18, 1, dirEntryIsSubdir|0x30)
	dir(0x30, 0x0409, 0x48)
	le.PutUint32(rsrc[0x48:], rsrcRVA+versionOff) // data entry: OffsetToData (an RVA)
	le.PutUint32(rsrc[0x4C:], uint32(len(vs)))    // Size
	rsrc = append(rsrc, vs...)

	rawSize := (len(rsrc) + fileAlign - 1) &^ (fileAlign - 1)
	img := make([]byte, rsrcRaw+rawSize)
	copy(img[rsrcRaw:], rsrc)

	copy(img[0:], "MZ")                  // e_magic
	le.PutUint32(img[0x3C:], peOff)      // e_lfanew
	copy(img[peOff:], "PE\x00\x00")      // Signature
	c := img[peOff+4:]                   // IMAGE_FILE_HEADER
	le.PutUint16(c[0:], 0x014C)          // Machine: i386
	le.PutUint16(c[2:], 1)               // NumberOfSections
	le.PutUint16(c[16:], optSize)        // SizeOfOptionalHeader
	le.PutUint16(c[18:], 0x2102)         // Characteristics: EXECUTABLE_IMAGE|32BIT_MACHINE|DLL
	o := img[peOff+24:]                  // IMAGE_OPTIONAL_HEADER32
	le.PutUint16(o[0:], 0x10B)           // Magic: PE32
	o[2] = 7                             // MajorLinkerVersion
	le.PutUint32(o[8:], uint32(rawSize)) // SizeOfInitializedData
	le.PutUint32(o[20:], rsrcRVA)        // BaseOfCode
	le.PutUint32(o[24:], rsrcRVA)        // BaseOfData
	le.PutUint32(o[28:], 0x5B860000)     // ImageBase
	le.PutUint32(o[32:], sectAlign)      // SectionAlignment
	le.PutUint32(o[36:], fileAlign)      // FileAlignment
	le.PutUint16(o[40:], v.Major)        // MajorOperatingSystemVersion
	le.PutUint16(o[42:], v.Minor)        // MinorOperatingSystemVersion
	le.PutUint16(o[44:], v.Major)        // MajorImageVersion
	le.PutUint16(o[46:], v.Minor)        // MinorImageVersion
	le.PutUint16(o[48:], 4)              // MajorSubsystemVersion
	vsize := (len(rsrc) + sectAlign - 1) &^ (sectAlign - 1)
	le.PutUint32(o[56:], uint32(rsrcRVA+vsize)) // SizeOfImage
	le.PutUint32(o[60:], rsrcRaw)               // SizeOfHeaders
	le.PutUint16(o[68:], 3)                     // Subsystem: WINDOWS_CUI, as netapi32.dll
	le.PutUint32(o[72:], 0x40000)               // SizeOfStackReserve
	le.PutUint32(o[76:], 0x1000)                // SizeOfStackCommit
	le.PutUint32(o[80:], 0x100000)              // SizeOfHeapReserve
	le.PutUint32(o[84:], 0x1000)                // SizeOfHeapCommit
	le.PutUint32(o[92:], 16)                    // NumberOfRvaAndSizes
	le.PutUint32(o[96+2*8:], rsrcRVA)           // DataDirectory[RESOURCE].VirtualAddress
	le.PutUint32(o[96+2*8+4:], uint32(len(rsrc)))
	s := img[secHdrOff:] // IMAGE_SECTION_HEADER
	copy(s[0:8], ".rsrc")
	le.PutUint32(s[8:], uint32(len(rsrc))) // VirtualSize
	le.PutUint32(s[12:], rsrcRVA)          // VirtualAddress
	le.PutUint32(s[16:], uint32(rawSize))  // SizeOfRawData
	le.PutUint32(s[20:], rsrcRaw)          // PointerToRawData
	le.PutUint32(s[36:], 0x40000040)       // Characteristics: INITIALIZED_DATA|MEM_READ
	return img
}

// versionResource builds VS_VERSIONINFO with VS_FIXEDFILEINFO, a StringFileInfo for
// 040904B0 and a VarFileInfo.
func versionResource(v FileVersion, fileVersion string) []byte {
	le := binary.LittleEndian
	ffi := make([]byte, 52)
	ms := uint32(v.Major)<<16 | uint32(v.Minor)
	ls := uint32(v.Build)<<16 | uint32(v.Revision)
	le.PutUint32(ffi[0:], fixedInfoSig) // dwSignature
	le.PutUint32(ffi[4:], 0x00010000)   // dwStrucVersion
	le.PutUint32(ffi[8:], ms)           // dwFileVersionMS
	le.PutUint32(ffi[12:], ls)          // dwFileVersionLS
	le.PutUint32(ffi[16:], ms)          // dwProductVersionMS
	le.PutUint32(ffi[20:], ls)          // dwProductVersionLS
	le.PutUint32(ffi[24:], 0x3F)        // dwFileFlagsMask
	le.PutUint32(ffi[32:], 0x00040004)  // dwFileOS: VOS_NT_WINDOWS32
	le.PutUint32(ffi[36:], 2)           // dwFileType: VFT_DLL

	str := func(key, val string) []byte {
		b := utf16le.EncodeZ(val)
		return versionBlock(key, 1, b, uint16(len(b)/2), nil)
	}
	strings := versionBlock("040904B0", 1, nil, 0, [][]byte{
		str("CompanyName", "scan445 lab"),
		str("FileDescription", "Net Win32 API DLL (scan445 test image)"),
		str("FileVersion", fileVersion),
		str("InternalName", "netapi32.dll"),
		str("OriginalFilename", "netapi32.dll"),
		str("ProductVersion", v.String()),
	})
	translation := []byte{0x09, 0x04, 0xB0, 0x04} // 0x0409 en-US, code page 1200
	return versionBlock("VS_VERSION_INFO", 0, ffi, 52, [][]byte{
		versionBlock("StringFileInfo", 1, nil, 0, [][]byte{strings}),
		versionBlock("VarFileInfo", 1, nil, 0, [][]byte{versionBlock("Translation", 0, translation, 4, nil)}),
	})
}

// versionBlock lays out wLength, wValueLength, wType, szKey, padding, Value, padding, Children.
func versionBlock(key string, typ uint16, value []byte, valueLen uint16, children [][]byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 6)
	le.PutUint16(b[2:], valueLen)            // wValueLength
	le.PutUint16(b[4:], typ)                 // wType: 1 text, 0 binary
	b = append(utf16le.Append(b, key), 0, 0) // szKey
	pad := func() {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	if len(value) > 0 {
		pad()
		b = append(b, value...)
	}
	for _, c := range children {
		pad()
		b = append(b, c...)
	}
	le.PutUint16(b[0:], uint16(len(b))) // wLength
	return b
}
