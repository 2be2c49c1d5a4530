// Package winreg is the read-only client side of the Windows Remote Registry protocol
// (MS-RRP) as scan445 uses it over the \winreg named pipe: OpenLocalMachine (opnum 2),
// BaseRegOpenKey (15), BaseRegQueryValue (17) and BaseRegCloseKey (5) — nothing else. Requests
// are encoded and responses decoded here; package dcerpc carries them, the SMB session layer
// opens the pipe. The lab (package smblab) parses these requests with its own code, so that it
// stays an independent check of this package's encoders.
//
// Read-only by construction: Request is sealed (an unexported method), only the four request
// types of this package implement it, and every access mask passes ReadOnlyAccess before it is
// encoded: KEY_READ and its parts are accepted, any bit that writes, deletes, changes a
// security descriptor, asks for MAXIMUM_ALLOWED or a generic right is refused. BaseRegOpenKey's
// options are always 0 (never REG_OPTION_BACKUP_RESTORE, which bypasses the key's ACL with
// the backup privilege). TestOnlyReadOpnums proves no other opnum can leave the package.
//
// # Why our own stubs, not github.com/oiweiwei/go-msrpc
//
// go-msrpc (checked 2026-12-03 at commit b270433) generates MS-RRP from the IDL: its winreg
// v1 client is one 421 KB generated file exposing all 31 methods (BaseRegSetValue,
// BaseRegDeleteKey, BaseRegSaveKey, BaseRegRestoreKey, BaseRegSetKeySecurity … next to the
// four reads), so "we know
// every byte sent" would rest on reviewing a code generator's output and on discipline at
// every call site rather than on a type that cannot express a write. Its named-pipe transport
// is SMB2/3 only (a fork of hirochachacha/go-smb2): Windows 2000, XP and Server 2003 — the
// hosts MS08-067 and AutoRun matter on — speak SMB1 only, so it cannot reach them at all. The
// module is large (7,900 files, 100 MB of repository; its go.mod pulls gokrb5, zerolog,
// goquery, miekg/dns, yaml and a go-smb2 fork, ~30 modules with the indirect ones) and the module
// proxy this project builds with answered 403 "not available" for it (2026-12-03), so it could
// not even be fetched the ordinary way. Four fixed-shape calls are about 340 lines of stubs here,
// on the NDR codec the stub packages share (smbprobe/internal/ndr; 660 with the client and its
// transcript), held byte by byte to golden files and to Samba and impacket
// captures (testdata/README.md), carried by package smbclient's DCE/RPC over our SMB1 client
// and over go-smb2 behind its frame guard for SMB2.
//
// Stubs are NDR 2.0, little-endian, aligned relative to the start of the stub.
package winreg
