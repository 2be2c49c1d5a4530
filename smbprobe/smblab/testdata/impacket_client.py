#!/usr/bin/python3
"""Drive the smblab server with impacket as an independent client.

usage: impacket_client.py HOST PORT smb1|smb2 [PIPE [USER PASSWORD]]
       impacket_client.py HOST PORT smb1|smb2 --get SHARE PATH USER PASSWORD

Null session (or USER/PASSWORD, NTLMv2), srvsvc bind on PIPE (default \\browser),
NetrServerGetInfo(101) and a SAFE NetprPathCanonicalize. Prints one JSON object. A refused
pipe open is reported as "pipe_error" (exit 0); any other failure exits non-zero.

With --get: log on as USER (NTLMv2) and download PATH from SHARE with SMBConnection.getFile;
prints the size and hex of the file, or "get_error" when the server refused it (exit 0).
"""
import binascii
import json
import sys

from impacket import smb
from impacket.smbconnection import SMBConnection
from impacket.dcerpc.v5 import transport, srvs


def get_file(host, port, proto, share, path, user, password):
    out = {"host": host, "proto": proto, "share": share, "path": path}
    kw = {"sess_port": port, "timeout": 10}
    if proto == "smb1":
        kw["preferredDialect"] = smb.SMB_DIALECT
    conn = SMBConnection(host, host, **kw)
    conn.login(user, password)
    out["dialect"] = conn.getDialect()
    chunks = []
    try:
        conn.getFile(share, path, chunks.append)
    except Exception as e:  # a refusal by the server is a result, not a failure
        out["get_error"] = str(e)
    else:
        data = b"".join(chunks)
        out["size"] = len(data)
        out["hex"] = binascii.hexlify(data).decode()
    conn.logoff()
    print(json.dumps(out))


def main():
    host, port, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if len(sys.argv) > 4 and sys.argv[4] == "--get":
        get_file(host, port, proto, *sys.argv[5:9])
        return
    pipe = sys.argv[4] if len(sys.argv) > 4 else r"\browser"
    user = sys.argv[5] if len(sys.argv) > 5 else ""
    password = sys.argv[6] if len(sys.argv) > 6 else ""
    out = {"host": host, "proto": proto, "pipe": pipe}
    kw = {"sess_port": port, "timeout": 10}
    if proto == "smb1":
        kw["preferredDialect"] = smb.SMB_DIALECT
    conn = SMBConnection(host, host, **kw)
    conn.login(user, password)
    out["dialect"] = conn.getDialect()
    out["server_os"] = conn.getServerOS()
    out["server_name"] = conn.getServerName()
    out["server_domain"] = conn.getServerDomain()
    out["signing_required"] = bool(conn.isSigningRequired())

    rpc = transport.SMBTransport(host, port, filename=pipe, smb_connection=conn)
    dce = rpc.get_dce_rpc()
    try:
        dce.connect()
    except Exception as e:  # the pipe open was refused: a result, not a failure
        out["pipe_error"] = str(e)
        print(json.dumps(out))
        return
    dce.bind(srvs.MSRPC_UUID_SRVS)
    info = srvs.hNetrServerGetInfo(dce, 101)["InfoStruct"]["ServerInfo101"]
    out["platform_id"] = info["sv101_platform_id"]
    out["name"] = info["sv101_name"][:-1] if info["sv101_name"] else ""
    out["version"] = [info["sv101_version_major"], info["sv101_version_minor"]]
    out["type"] = info["sv101_type"]
    # A safe path: no `..` at all (docs/checks.md §0).
    resp = srvs.hNetprPathCanonicalize(dce, "\\A\\B", "\\", 100, 1, 0)
    outbuf = b"".join(resp["Outbuf"]) if isinstance(resp["Outbuf"], list) else bytes(resp["Outbuf"])
    out["canonical"] = outbuf.decode("utf-16-le").split("\x00")[0]
    out["path_type"] = resp["PathType"]
    out["werror"] = resp["ErrorCode"]
    dce.disconnect()
    conn.logoff()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
