#!/usr/bin/python3
"""Drive the smblab SAMR server and its lockout model with impacket as an independent client.

usage: impacket_samr.py HOST PORT smb1|smb2 ADMIN ADMINPW [USER PW]...

Logs on as ADMIN (NTLMv2), binds \\samr, reads the account domain, its lockout policy and
its normal user accounts (SamrConnect2, EnumerateDomains, LookupDomain, OpenDomain,
QueryInformationDomain 12, EnumerateUsers, CloseHandle), then makes one fresh logon per
USER PW pair and records the NTSTATUS name each got. Prints one JSON object.
"""
import json
import sys

from impacket import smb
from impacket.smbconnection import SMBConnection, SessionError
from impacket.dcerpc.v5 import transport, samr
from impacket.nt_errors import ERROR_MESSAGES


def connect(host, port, proto):
    kw = {"sess_port": port, "timeout": 10}
    if proto == "smb1":
        kw["preferredDialect"] = smb.SMB_DIALECT
    return SMBConnection(host, host, **kw)


def main():
    host, port, proto, admin, adminpw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    pairs = sys.argv[6:]
    out = {}
    conn = connect(host, port, proto)
    conn.login(admin, adminpw, ntlmFallback=False)
    rpct = transport.SMBTransport(host, port, r"\samr", smb_connection=conn)
    dce = rpct.get_dce_rpc()
    dce.connect()
    dce.bind(samr.MSRPC_UUID_SAMR)
    sh = samr.hSamrConnect2(dce, desiredAccess=0x31)["ServerHandle"]
    doms = [d["Name"] for d in samr.hSamrEnumerateDomainsInSamServer(dce, sh)["Buffer"]["Buffer"]]
    out["domains"] = doms
    sid = samr.hSamrLookupDomainInSamServer(dce, sh, doms[0])["DomainId"]
    out["sid"] = sid.formatCanonical()
    dh = samr.hSamrOpenDomain(dce, sh, 0x301, sid)["DomainHandle"]
    lo = samr.hSamrQueryInformationDomain(dce, dh, samr.DOMAIN_INFORMATION_CLASS.DomainLockoutInformation)["Buffer"]["Lockout"]
    out["threshold"] = lo["LockoutThreshold"]
    out["window"] = lo["LockoutObservationWindow"]
    users = []
    ctx = 0
    while True:
        try:
            r = samr.hSamrEnumerateUsersInDomain(dce, dh, samr.USER_NORMAL_ACCOUNT, enumerationContext=ctx)
        except samr.DCERPCSessionError as e:
            if e.get_error_code() != 0x105:
                raise
            r = e.get_packet()
        users += [(u["Name"], u["RelativeId"]) for u in r["Buffer"]["Buffer"]]
        if r["ErrorCode"] != 0x105:
            break
        ctx = r["EnumerationContext"]
    out["users"] = users
    samr.hSamrCloseHandle(dce, dh)
    samr.hSamrCloseHandle(dce, sh)
    dce.disconnect()
    logons = []
    for i in range(0, len(pairs), 2):
        c = connect(host, port, proto)
        try:
            c.login(pairs[i], pairs[i + 1], ntlmFallback=False)
            logons.append("STATUS_SUCCESS")
        except SessionError as e:
            logons.append(ERROR_MESSAGES.get(e.getErrorCode(), ("0x%08x" % e.getErrorCode(),))[0])
        c.close()
    out["logons"] = logons
    print(json.dumps(out))


if __name__ == "__main__":
    main()
