package credcheck

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/scan445/scan445/smbprobe/smbclient"
)

// SessionConfig says how ReadNetapiVersionSession reads and what it hands back.
type SessionConfig struct {
	// Dialect is smbclient.DialectSMB1 (our client) or smbclient.DialectSMB2 (go-smb2).
	Dialect smbclient.Dialect
	// Timeout bounds the netapi32.dll read, logon included, as in ReadNetapiVersionSMB1/SMB2.
	Timeout time.Duration
	// ExchangeTimeout bounds each exchange, of the read and of the session handed back
	// (smbclient.DefaultTimeout for the session when 0; the read's Timeout for the read).
	ExchangeTimeout time.Duration
	// OnExchange, when set, hears of every SMB1 exchange of the session handed back (go-smb2
	// does not report its own), for the evidence of whatever uses the session next.
	OnExchange func(smbclient.Exchange)
}

// ReadNetapiVersionSession is ReadNetapiVersionSMB1 or ReadNetapiVersionSMB2 (by
// cfg.Dialect) that leaves its authenticated session open for more reads over the same logon:
// the prober's registry read (\winreg) follows it, so a credentialed host costs one
// connection and one logon, not two of each. The Outcome and error are the read's, exactly as
// the other two functions give them, except that the SMB1 steps end with a TREE_DISCONNECT of
// ADMIN$ (step smb1.tree-disconnect) instead of the LOGOFF: the session is handed on with no
// tree connected, as the SMB2 path unmounts ADMIN$ before handing on.
//
// The Session is non-nil when the logon was accepted and the connection is still sound after
// the read and the release of ADMIN$ — also when the read itself was refused (no ADMIN$,
// access denied, file missing), since the session may still serve other pipes. The caller then owns it and must Close it
// (LOGOFF, then the connection). ctx bounds the session's life: the connection is closed when
// ctx ends. The Session is nil after a refused logon (a second logon attempt would only bring a
// lockout closer), a transport failure or a timeout; conn is then closed.
func ReadNetapiVersionSession(ctx context.Context, conn net.Conn, host string, cred Credentials, cfg SessionConfig) (Outcome, smbclient.Session, error) {
	switch cfg.Dialect {
	case smbclient.DialectSMB1:
		return readNetapiSMB1(ctx, conn, host, cred, cfg.Timeout, smb1Options{}, &cfg)
	case smbclient.DialectSMB2:
		return readNetapiSMB2(ctx, conn, host, cred, cfg.Timeout, &cfg)
	}
	conn.Close()
	out := Outcome{Protocol: cfg.Dialect.String(), Account: cred.Account(), Path: adminPath(host), ServicePack: ServicePackUnavailable}
	err := fmt.Errorf("%w: unknown dialect %s", smbclient.ErrRefused, cfg.Dialect)
	out.fail(ReasonUnsupported, err.Error())
	return out, nil, err
}
