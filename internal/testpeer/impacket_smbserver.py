#!/usr/bin/python3
"""impacket 0.10 SimpleSMBServer as a non-lab peer for scan445's differential tests.

The SMB side is impacket's: SMB1 only, NTLMSSP CHALLENGE VERSION ff ff ff ff ff ff ff ff
(255.255 build 65535, revision 255), Native OS and LAN Manager from the server_os setting, which
is set to "Windows 5.1" as in the issue's measurement. The only SMB-side change in every run is a
deterministic pad before those strings (session_setup_pad: impacket's depends on the clock);
--misaligned-strings keeps impacket's wrong pad on purpose, --windows-compat makes two answers
Windows-like so that nmap can talk to it (windows_compat). The srvsvc interface behind the named
pipes is ours, selected by --mode:

  stock          impacket's own srvsvc on \\srvsvc only, as shipped: opnums 15/16/21 (its
                 NetrServerGetInfo says platform 500, version 6.1, type 1: "Windows 7"), other
                 opnums get impacket's malformed 28-byte fault 0x6e4
  xp-unpatched   NetrServerGetInfo 101 like XP; PathCanonicalize \\..\\ -> 0x7B, \\ -> 0 + 5c 00;
                 PathCompare with a collapsing .. -> 0 (a real unpatched host would crash here)
  xp-patched     as xp-unpatched, but PathCompare with a collapsing .. -> 0x7B
  xp-clean-bts   as xp-patched, but \\ with a 2-byte Outbuf -> NERR_BufTooSmall (0x84B), zeros
  conficker-abc  as xp-unpatched, with Conficker A/B/C's hook: any \\..\\ -> 0x57 (31 and 32)
  faults         every srvsvc request -> a DCE/RPC fault

In every mode but stock the interface is served on \\browser as well as \\srvsvc (pipe names
case-insensitive, as on Windows), several pipe connections at once. Replies are encoded
byte-exactly by hand (NDR, little-endian), not with impacket's NDR classes: the point is to
know which bytes go out.

Prints "LISTENING <addr>:<port>" on stdout once the socket is bound; logs go to stderr.
Nothing here is shared with scan445's Go code.
"""

import argparse
import copy
import logging
import struct
import sys
import threading

from impacket import smb, smbserver
from impacket.dcerpc.v5 import rpcrt

SRVSVC = ('4B324FC8-1670-01D3-1278-5A47BF6EE188', '3.0')

WERR_OK = 0x00000000
WERR_INVALID_PARAMETER = 0x00000057
WERR_INVALID_NAME = 0x0000007B
WERR_INVALID_LEVEL = 0x0000007C
NERR_BUF_TOO_SMALL = 0x0000084B

NCA_S_OP_RNG_ERROR = 0x1C010002
RPC_X_BAD_STUB_DATA = 0x000006F7  # what Windows faults with on a stub it cannot decode

XP_TYPE = 0x00051003  # workstation | server | NT | potential browser | master browser

MODES = ('stock', 'xp-unpatched', 'xp-patched', 'xp-clean-bts', 'conficker-abc', 'faults')


class NDRReader:
    """Reads the NDR request stubs of the three calls served (MS-RPCE 14.3, 4-byte aligned)."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def u32(self):
        self.align()
        if self.pos + 4 > len(self.data):
            raise ValueError('stub too short')
        v, = struct.unpack_from('<I', self.data, self.pos)
        self.pos += 4
        return v

    def align(self):
        self.pos = (self.pos + 3) & ~3

    def string(self):
        """A conformant varying wchar_t string: MaxCount, Offset, ActualCount, UTF-16LE."""
        max_count, offset, actual = self.u32(), self.u32(), self.u32()
        if offset != 0 or actual > max_count or self.pos + 2 * actual > len(self.data):
            raise ValueError('bad string header')
        raw = self.data[self.pos:self.pos + 2 * actual]
        self.pos += 2 * actual
        return raw.decode('utf-16-le').rstrip('\x00')

    def unique_string(self):
        return self.string() if self.u32() != 0 else None


def ndr_string(s):
    """A conformant varying string with its NUL, padded to 4."""
    chars = s + '\x00'
    body = chars.encode('utf-16-le')
    out = struct.pack('<III', len(chars), 0, len(chars)) + body
    return out + b'\x00' * (-len(out) % 4)


def pdu(ptype, flags, call_id, body):
    """A connection-oriented PDU: 16-byte common header, then body (MS-RPCE 12.6.3)."""
    frag_len = 16 + len(body)
    return struct.pack('<BBBBIHHI', 5, 0, ptype, flags, 0x10, frag_len, 0, call_id) + body


def response(call_id, ctx_id, stub):
    # alloc_hint, p_cont_id, cancel_count, reserved
    return pdu(rpcrt.MSRPC_RESPONSE, 0x03, call_id, struct.pack('<IHBB', len(stub), ctx_id, 0, 0) + stub)


def fault(call_id, ctx_id, status):
    # 0x20 PFC_DID_NOT_EXECUTE: the call never ran. 32 bytes in all.
    return pdu(rpcrt.MSRPC_FAULT, 0x23, call_id, struct.pack('<IHBBII', 32, ctx_id, 0, 0, status, 0))


def collapses(path):
    """Whether a .. component removes a previous component (the kind of path that reaches the
    MS08-067 overflow on an unpatched host), as opposed to \\..\\ at the root."""
    parts = path.replace('/', '\\').split('\\')
    depth = 0
    for p in parts:
        if p == '..':
            if depth > 0:
                return True
        elif p not in ('', '.'):
            depth += 1
    return False


class Srvsvc(rpcrt.DCERPCServer):
    """The srvsvc interface, one thread per pipe connection (impacket's own serves one)."""

    def __init__(self, mode, server_name):
        rpcrt.DCERPCServer.__init__(self)
        self.mode = mode
        self.server_name = server_name
        # The callbacks table only makes impacket's bind accept the interface; requests are
        # dispatched by processRequest below.
        self.addCallbacks(SRVSVC, '\\PIPE\\srvsvc', {21: None, 31: None, 32: None})

    def run(self):
        self._sock.listen(16)
        while True:
            conn, _ = self._sock.accept()
            worker = copy.copy(self)  # shares the interface table; own socket and bind state
            worker._clientSock = conn
            threading.Thread(target=worker.serve, daemon=True).start()

    def serve(self):
        try:
            while True:
                data = self.recv()
                if data is None:
                    break
                answer = self.processRequest(data)
                if answer is not None:
                    self.send(answer)
        except Exception as e:  # a client that hangs up mid-PDU
            logging.debug('srvsvc connection: %s', e)
        self._clientSock.close()

    def processRequest(self, data):
        ptype = data[2]
        if ptype != rpcrt.MSRPC_REQUEST:
            return rpcrt.DCERPCServer.processRequest(self, data)
        call_id, = struct.unpack_from('<I', data, 12)
        ctx_id, opnum = struct.unpack_from('<HH', data, 20)
        flags = data[3]
        stub = data[40 if flags & 0x80 else 24:struct.unpack_from('<H', data, 8)[0]]
        kind, value = self.dispatch(opnum, stub)
        if kind == 'fault':
            out = fault(call_id, ctx_id, value)
        else:
            out = response(call_id, ctx_id, value)
        self._clientSock.sendall(out)
        return None

    def dispatch(self, opnum, stub):
        """('response', stub bytes) or ('fault', status) for one request."""
        if self.mode == 'faults':
            return 'fault', RPC_X_BAD_STUB_DATA
        handler = {21: self.get_info, 31: self.canonicalize, 32: self.compare}.get(opnum)
        if handler is None:
            return 'fault', NCA_S_OP_RNG_ERROR
        try:
            return 'response', handler(NDRReader(stub))
        except ValueError as e:
            logging.info('opnum %d: undecodable stub: %s', opnum, e)
            return 'fault', RPC_X_BAD_STUB_DATA

    def get_info(self, r):
        """NetrServerGetInfo (opnum 21): [unique,string] ServerName, Level."""
        r.unique_string()
        level = r.u32()
        logging.info('NetrServerGetInfo level %d', level)
        if level != 101:
            return struct.pack('<III', level, 0, WERR_INVALID_LEVEL)
        body = struct.pack('<II', 101, 0x00020000)
        body += struct.pack('<IIIIII', 500, 0x00020004, 5, 1, XP_TYPE, 0x00020008)
        body += ndr_string(self.server_name) + ndr_string('')
        return body + struct.pack('<I', WERR_OK)

    def canonicalize(self, r):
        """NetprPathCanonicalize (opnum 31). Reply: Outbuf as a conformant byte array of
        OutbufLen bytes padded to 4, PathType, WERROR (16 bytes for OutbufLen 2)."""
        r.unique_string()
        path = r.string()
        outbuf_len = r.u32()
        prefix = r.string()
        path_type = r.u32()
        r.u32()  # Flags
        logging.info('NetprPathCanonicalize path=%r prefix=%r outbuf=%d', path, prefix, outbuf_len)
        if outbuf_len > 64000:
            raise ValueError('OutbufLen %d out of range' % outbuf_len)
        status, text = self.canonical(path, prefix)
        buf = b''
        if status == WERR_OK:
            buf = text.encode('utf-16-le')
            if len(buf) + 2 <= outbuf_len:
                buf += b'\x00\x00'
            elif len(buf) > outbuf_len:
                status, buf = NERR_BUF_TOO_SMALL, b''
            elif self.mode == 'xp-clean-bts':
                # The string fits but its NUL does not: the other plausible clean answer.
                status, buf = NERR_BUF_TOO_SMALL, b''
        buf = buf.ljust(outbuf_len, b'\x00')
        out = struct.pack('<I', outbuf_len) + buf + b'\x00' * (-len(buf) % 4)
        return out + struct.pack('<II', path_type, status)

    def canonical(self, path, prefix):
        p = path.replace('/', '\\')
        if '\\..\\' in p + '\\' and self.mode == 'conficker-abc':
            return WERR_INVALID_PARAMETER, ''
        if not p.startswith('\\') and prefix:
            p = prefix.rstrip('\\') + '\\' + p
        parts = []
        for c in p.split('\\')[1:]:
            if c == '..':
                if not parts or self.mode != 'xp-unpatched' and self.mode != 'conficker-abc':
                    return WERR_INVALID_NAME, ''
                parts.pop()
            elif c not in ('', '.'):
                parts.append(c)
        return WERR_OK, '\\' + '\\'.join(parts)

    def compare(self, r):
        """NetprPathCompare (opnum 32): ServerName, PathName1, PathName2, PathType, Flags."""
        r.unique_string()
        p1, p2 = r.string(), r.string()
        r.u32()
        r.u32()
        logging.info('NetprPathCompare %r %r', p1, p2)
        if self.mode == 'conficker-abc' and any('\\..\\' in p + '\\' for p in (p1, p2)):
            return struct.pack('<I', WERR_INVALID_PARAMETER)
        if any(collapses(p) for p in (p1, p2)):
            # Unpatched: the routine runs (and on Windows reads out of bounds); answer 0 as
            # the host that survived it would. Patched: rejected.
            return struct.pack('<I', WERR_OK if self.mode == 'xp-unpatched' else WERR_INVALID_NAME)
        return struct.pack('<I', 0 if p1.lower() == p2.lower() else 1)


def windows_compat(domain, server):
    """Two SMB-side changes so that nmap 7.93 can talk to the server at all (measured: without
    them every nmap smb-* script but smb-protocols/smb-security-mode fails). Both make impacket
    answer as Windows does; neither touches what it says about itself.

    1. A basic-security NEGOTIATE response carries DomainName and ServerName (NUL-terminated
       UTF-16LE after the challenge). impacket 0.10 leaves them out and nmap, which negotiates
       without extended security for smb-os-discovery and the vuln scripts, aborts with
       "Server returned less data than it was supposed to ... [14]". impacket always sends an
       8-byte challenge there, so ChallengeLength stays right.
    2. A pipe opened as \\BROWSER (nmap's msrpc.start_smb) is the pipe BROWSER. impacket's
       normalize_path keeps POSIX's two leading slashes and then refuses the open as "Path not
       in current working directory"."""
    names = (domain + '\x00' + server + '\x00').encode('utf-16-le')
    base = smb.SMBNTLMDialect_Data

    class WithNames(base):
        def __setitem__(self, key, value):
            if key == 'Payload' and not value:
                value = names
            base.__setitem__(self, key, value)

    smb.SMBNTLMDialect_Data = WithNames

    normalize = smbserver.normalize_path

    def normalize_path(file_name, path=None):
        return normalize(file_name.lstrip('\\/'), path)

    smbserver.normalize_path = normalize_path


def session_setup_pad(misaligned):
    """Make the pad before Native OS in the extended-security SESSION_SETUP_ANDX response
    deterministic. impacket 0.10 decides it with len(str(SecurityBlob)) % 2: under Python 3
    that is the length of the bytes' repr, whose parity follows the escaping of the NTLM
    timestamp inside the blob, so the UTF-16 strings land on an odd offset from the SMB header
    in roughly half of the runs (measured: 2 of 6 server starts) and a client that aligns as
    MS-SMB says reads "Windows 5.1" shifted by one byte. The fixture must not depend on the
    clock: pad as impacket means to (the strings start on an even offset from the header), or,
    with misaligned, always the wrong way, to keep that impacket behaviour as a fixture of its own."""
    base = smb.SMBSessionSetupAndX_Extended_Response_Data
    parent = smb.AsciiOrUnicodeStructure

    def getData(self):
        if self.structure == self.UnicodeStructure:
            # Data starts 43 bytes into the SMB message (header 32, WordCount, 4 words,
            # ByteCount): the strings are aligned when the blob length is odd.
            aligned_without_pad = len(self['SecurityBlob']) % 2 == 1
            self['Pad'] = b'' if aligned_without_pad != misaligned else b'\x00'
        return parent.getData(self)

    base.getData = getData


class CaseInsensitivePipes(dict):
    """Named pipe registry looked up case-insensitively: nmap opens \\BROWSER."""

    def __contains__(self, k):
        return dict.__contains__(self, str(k).lower())

    def __getitem__(self, k):
        return dict.__getitem__(self, str(k).lower())

    def __setitem__(self, k, v):
        dict.__setitem__(self, str(k).lower(), v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--addr', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mode', choices=MODES, default='stock')
    ap.add_argument('--name', default='IMPXP')
    ap.add_argument('--workgroup', default='WORKGROUP')
    ap.add_argument('--windows-compat', action='store_true',
                    help='NEGOTIATE names and \\\\PIPE opens as Windows answers them (see windows_compat)')
    ap.add_argument('--encode', action='append', metavar='OPNUM:STUBHEX',
                    help='print the reply to a request stub ("response HEX" or "fault STATUS"), '
                         'one line per --encode, and exit without serving')
    ap.add_argument('--misaligned-strings', action='store_true',
                    help='put Native OS/LAN Manager on an odd offset (see session_setup_pad)')
    args = ap.parse_args()
    if args.encode:
        svc = Srvsvc.__new__(Srvsvc)  # no sockets: only the encoder
        svc.mode, svc.server_name = args.mode, args.name
        for req in args.encode:
            opnum, stub = req.split(':', 1)
            kind, value = svc.dispatch(int(opnum), bytes.fromhex(stub))
            print(kind, value.hex() if kind == 'response' else '%08x' % value)
        return
    if not args.addr.startswith('127.'):
        sys.exit('refusing to listen outside 127.0.0.0/8: %s' % args.addr)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s')

    session_setup_pad(args.misaligned_strings)
    if args.windows_compat:
        windows_compat(args.workgroup, args.name)
    srv = smbserver.SimpleSMBServer(listenAddress=args.addr, listenPort=args.port)
    # SimpleSMBServer draws server_name/os/domain at random; fix them (addShare does the same
    # through these attributes).
    cfg = srv._SimpleSMBServer__smbConfig
    cfg.set('global', 'server_name', args.name)
    cfg.set('global', 'server_os', 'Windows 5.1')
    cfg.set('global', 'server_domain', args.workgroup)
    inner = srv._SimpleSMBServer__server
    inner.setServerConfig(cfg)
    inner.processConfigFile()

    if args.mode != 'stock':
        inner._SMBSERVER__registeredNamedPipes = CaseInsensitivePipes(inner.getRegisteredNamedPipes())
        svc = Srvsvc(args.mode, args.name)
        svc.daemon = True
        svc.start()
        for pipe in ('srvsvc', 'browser'):
            srv.registerNamedPipe(pipe, ('127.0.0.1', svc.getListenPort()))

    host, port = inner.server_address[:2]
    print('LISTENING %s:%d' % (host, port), flush=True)
    srv.start()


if __name__ == '__main__':
    main()
