package smbprobe

import (
	"errors"
	"strings"

	"github.com/scan445/scan445/smbprobe/smbclient"
)

// Errors a probe step can fail with; verdict reasons quote them. The transport ones are the
// SMB client's (package smbclient), so errors.Is works across both packages.
var (
	// ErrProtocol means the host answered something that is not the protocol reply expected.
	ErrProtocol = smbclient.ErrProtocol
	// ErrDropped means the host closed or reset the connection.
	ErrDropped = smbclient.ErrDropped
	// ErrTimeout means a reply did not arrive within Options.ReadTimeout or the host budget.
	ErrTimeout = smbclient.ErrTimeout
	// ErrNotSent marks a failure before the request was completely written: the host never
	// received it, so nothing it did can be blamed on it.
	ErrNotSent = smbclient.ErrNotSent
	// ErrRefused is the srvsvc chokepoint refusing a request that is not in the plan or not
	// allowed by the options (the intrusive probe without --intrusive).
	ErrRefused = errors.New("smbprobe: request refused by the safety chokepoint")
)

// cause is a protocol error's text without the sentinel's prefix, as evidence quotes it next
// to "malformed reply".
func cause(err error) string {
	return strings.TrimPrefix(err.Error(), ErrProtocol.Error()+": ")
}
