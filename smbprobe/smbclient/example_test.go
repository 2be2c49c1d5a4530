package smbclient_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// An authenticated DCE/RPC call: log on, open \winreg on IPC$, bind MS-RRP and call OpenHKLM.
// conn is a fresh connection to the host (readied by the probe's transport on port 139);
// credcheck.Credentials.NTLM gives the account.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", "127.3.1.1:445")
	if err != nil {
		return
	}
	sess, err := smbclient.OpenSession(ctx, conn, smbclient.SessionConfig{
		Host:       "127.3.1.1",
		Cred:       ntlmssp.Credentials{User: "admin", Hash: ntlmssp.NTHash("secret")},
		Dialect:    smbclient.DialectSMB1, // or DialectSMB2 where the host speaks it
		Timeout:    3 * time.Second,
		OnExchange: func(x smbclient.Exchange) { fmt.Println(x.Step, x.Status, x.Err) },
	})
	if err != nil {
		return // a *RefusedError (stage, NTSTATUS), ErrGuest, or a transport error
	}
	defer sess.Close(ctx)
	pipe, err := sess.OpenPipe(ctx, "winreg")
	if err != nil {
		return
	}
	winreg := dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("338cd001-2244-31f1-aaaa-900038001003"), Version: 1}
	rpc, err := smbclient.Bind(ctx, pipe, winreg)
	if err != nil {
		return // ErrBindRejected when the server does not serve the interface
	}
	defer rpc.Close(ctx)
	stub := binary.LittleEndian.AppendUint32(nil, 0)          // ServerName: NULL
	stub = binary.LittleEndian.AppendUint32(stub, 0x02000000) // samDesired: MAXIMUM_ALLOWED
	reply, err := rpc.Call(ctx, 2, stub)                      // OpenHKLM; a fault is a *dcerpc.FaultError
	if err == nil && len(reply) == 24 {
		fmt.Printf("handle % x, WERROR 0x%08x\n", reply[:20], binary.LittleEndian.Uint32(reply[20:]))
	}
}
