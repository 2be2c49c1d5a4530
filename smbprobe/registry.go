package smbprobe

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/winreg"
)

// The credentialed registry read (docs/checks.md §6a): over the session the netapi32.dll read
// logged on as Options.Credentials (r.credSess), or its own connection and logon when that read
// left none, the \winreg pipe, and only the four read-only MS-RRP calls of package
// winreg. What it reads feeds the autorun-enabled check, the OS record (ProductName,
// CurrentVersion, CSDVersion, CurrentBuildNumber) and a KB958644 hint next to the netapi32.dll
// file version.

// Registry paths below HKLM.
const (
	regCurrentVersion = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	regExplorerPolicy = `SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer`
	regAutorunInf     = `SOFTWARE\Microsoft\Windows NT\CurrentVersion\IniFileMapping\Autorun.inf`
	regUpdates        = `SOFTWARE\Microsoft\Updates`
)

// The updates whose registration the read looks for: MS08-067, and the two AutoRun updates
// (KB967715 makes NoDriveTypeAutoRun honoured; KB971029 limits AutoRun to CD/DVD).
const (
	kbMS08067      = "KB958644"
	kbAutorunFix   = "KB967715"
	kbAutorunLimit = "KB971029"
)

// regValue is one value as read, with the exchanges it rests on.
type regValue struct {
	found bool
	val   winreg.Value
	why   string // why not found: "absent", "key absent", the status or error
	// failed: not found for another reason than WERR_FILE_NOT_FOUND (access denied, a fault,
	// a dropped connection): absence is then not known, and no rule may read it as absent.
	failed bool
	ev     []int
}

// regFacts is what the registry read established.
type regFacts struct {
	// blocked says why nothing could be read ("" when HKLM was opened); blockKind is
	// "remote-registry-off", "access-denied", "logon" or "error".
	blocked   string
	blockKind string
	blockEv   []int
	values    map[string]regValue // `path\name`; name "" is the key's default value
	updates   map[string]regValue // KB → where it is registered (found) or that it is not
}

func (g *regFacts) value(path, name string) regValue { return g.values[path+`\`+name] }

// block records why nothing could be read: kind is one of regFacts.blockKind's values.
func (g *regFacts) block(kind, why string, ev ...int) {
	g.blocked, g.blockKind = why, kind
	g.blockEv = append(g.blockEv, ev...)
}

// updateDirs are the Updates subkeys a pre-Vista Windows registers hotfixes under: a hotfix
// goes below the service pack after the installed one, so both the installed and the next SP
// are tried. Vista and later register updates in the component store, not here.
func updateDirs(product, csd string) []string {
	p := strings.ToLower(product)
	var base string
	switch {
	case strings.Contains(p, "xp"):
		base = "Windows XP"
	case strings.Contains(p, "2003"):
		base = "Windows Server 2003"
	case strings.Contains(p, "2000"):
		base = "Windows 2000"
	default:
		return nil
	}
	sp := 0
	if m := reServicePack.FindStringSubmatch(csd); m != nil {
		sp = int(m[1][0] - '0')
	}
	return []string{fmt.Sprintf(`%s\SP%d`, base, sp+1), fmt.Sprintf(`%s\SP%d`, base, sp+2)}
}

// regRecorder turns the winreg client's transcript into Exchanges, each with the exact stub sent.
type regRecorder struct {
	r    *run
	c    *winreg.Client
	done int
}

// flush turns the calls made since the last flush into Exchanges and returns their indexes.
func (w *regRecorder) flush() []int {
	calls := w.c.Calls()
	var ev []int
	for _, c := range calls[w.done:] {
		status := "no reply"
		if c.Replied {
			status = fmt.Sprintf("WERROR 0x%08x %s", uint32(c.Status), c.Status.Name())
		}
		resp := c.Result
		if c.Err != nil && !c.Replied {
			resp = c.Err.Error()
		}
		w.r.res.Exchanges = append(w.r.res.Exchanges, Exchange{
			Step: "winreg." + c.Op, Class: ClassCredentialed, Request: clean(strings.TrimSpace(c.Op + " " + c.Args)),
			SentHex: hex.EncodeToString(c.Stub), Status: clean(strings.TrimSpace(status)), Response: clean(resp),
			Millis: c.Elapsed.Milliseconds(),
		})
		w.r.res.RoundTrips++
		ev = append(ev, len(w.r.res.Exchanges)-1)
	}
	w.done = len(calls)
	return ev
}

// registry reads the values the registry checks need, once per probe.
func (r *run) registry(ctx context.Context) {
	cred := r.opts.Credentials
	if cred == nil || !r.sel.wants(stepRegistry) || r.redial == nil || ctx.Err() != nil || r.f.reg != nil {
		return
	}
	g := &regFacts{values: map[string]regValue{}, updates: map[string]regValue{}}
	r.f.reg = g
	block := g.block
	if c := r.f.cred; c != nil && c.Reason == credcheck.ReasonLogonFailure {
		// The netapi32.dll read logged on with the same account a moment ago and was refused:
		// a second failed logon would only bring a lockout closer.
		block("logon", "not tried: the logon of the credentialed MS08-067 read was refused ("+string(c.Reason)+"), and a failed logon is not repeated", r.f.credIdx)
		return
	}
	budget := 4 * r.opts.ReadTimeout
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl))
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var (
		s     smbclient.Session
		x     *xrec
		steps func() []string
	)
	if cs := r.credSess; cs != nil {
		// The netapi32.dll read's session, still logged on (issue #15: the same session):
		// no second connection, no second logon. The probe closes it after this read.
		s, steps = cs.s, cs.take
		cs.take() // what came before belongs to the netapi32.dll read's evidence
		x = r.begin("winreg.connect", ClassCredentialed, fmt.Sprintf("on the %s session of the credentialed MS08-067 read (NTLMv2 logon as %s): open \\winreg, bind MS-RRP (read-only calls only)", cs.dialect, cred.Account()))
	} else {
		var ok bool
		if s, x, steps, ok = r.registrySession(ctx, g); !ok {
			return
		}
		defer s.Close(ctx)
	}
	p, err := s.OpenPipe(ctx, "winreg")
	if err != nil {
		i := x.done("pipe refused", strings.Join(append([]string{err.Error()}, steps()...), "; "))
		switch {
		case errors.Is(err, ntstatus.ObjectNameNotFound):
			block("remote-registry-off", `the Remote Registry service is not running: opening \winreg gave STATUS_OBJECT_NAME_NOT_FOUND`, i)
		case errors.Is(err, ntstatus.AccessDenied):
			block("access-denied", `access denied: opening \winreg gave STATUS_ACCESS_DENIED`, i)
		default:
			block("error", `\winreg could not be opened: `+err.Error(), i)
		}
		return
	}
	rpc, err := smbclient.Bind(ctx, p, winreg.Interface())
	if err != nil {
		p.Close(ctx)
		block("error", "the winreg bind failed: "+err.Error(), x.done("bind refused", err.Error()))
		return
	}
	defer rpc.Close(ctx)
	x.done("bound", strings.Join(steps(), "; "))

	c := winreg.NewClient(rpc)
	rec := &regRecorder{r: r, c: c}
	hklm, err := c.OpenLocalMachine(ctx)
	ev := rec.flush()
	if err != nil {
		if st, ok := winreg.Status(err); ok && st == winreg.WerrAccessDenied {
			block("access-denied", "access denied: OpenLocalMachine gave WERR_ACCESS_DENIED (the account is not an administrator, or remote registry access is restricted)", ev...)
		} else {
			block("error", "OpenLocalMachine failed: "+err.Error(), ev...)
		}
		return
	}
	read := func(path string, names ...string) {
		k := c.ReadKey(ctx, hklm, path, names...)
		ev := rec.flush()
		for _, n := range names {
			v := regValue{ev: ev}
			if val, ok := k.Found(n); ok {
				v.found, v.val = true, val
			} else {
				v.why, v.failed = regWhy(k.Err, k.Errs[n]), !absent(k.Err, k.Errs[n])
			}
			g.values[path+`\`+n] = v
		}
	}
	read(regCurrentVersion, "ProductName", "CurrentVersion", "CSDVersion", "CurrentBuildNumber")
	read(regExplorerPolicy, "NoDriveTypeAutoRun", "HonorAutorunSetting")
	read(regAutorunInf, "")
	product, _ := g.value(regCurrentVersion, "ProductName").val.String()
	csd, _ := g.value(regCurrentVersion, "CSDVersion").val.String()
	dirs := updateDirs(product, csd)
	for _, kb := range []string{kbMS08067, kbAutorunFix, kbAutorunLimit} {
		v := regValue{why: "not registered under " + regUpdates + " (" + strings.Join(dirs, ", ") + ")"}
		if len(dirs) == 0 {
			v.why = "no Updates key to read: Vista and later register updates in the component store"
		}
		for _, d := range dirs {
			path := regUpdates + `\` + d + `\` + kb
			ok, err := c.KeyExists(ctx, hklm, path)
			v.ev = append(v.ev, rec.flush()...)
			if ok {
				v.found, v.why = true, `HKLM\`+path
				break
			}
			if err != nil {
				v.why, v.failed = regWhy(err, nil), true
				break
			}
		}
		g.updates[kb] = v
	}
	c.CloseKey(ctx, hklm)
	rec.flush()
	r.absorbRegistry(g)
}

// registrySession opens the registry read's own session, when the netapi32.dll read left none
// (it did not run: the fingerprint cleared the host, or its check was not selected; or its
// connection failed). It records the failure in g and returns ok=false when there is no
// session; steps returns the session's SMB1 exchanges for the evidence.
func (r *run) registrySession(ctx context.Context, g *regFacts) (s smbclient.Session, x *xrec, steps func() []string, ok bool) {
	cred := r.opts.Credentials
	block := g.block
	dialect, ok := r.logonDialect()
	if !ok {
		block("error", "no SMB dialect answered: nothing to log on to")
		return nil, x, nil, false
	}
	x = r.begin("winreg.connect", ClassCredentialed, fmt.Sprintf("%s NTLMv2 logon as %s, open \\winreg, bind MS-RRP (read-only calls only)", dialect, cred.Account()))
	conn, err := r.redial(ctx, "tcp", r.addr.String())
	if err != nil {
		block("error", "connection for the registry read: "+err.Error(), x.fail(err))
		return nil, x, nil, false
	}
	r.res.Connections++
	if conn, err = r.open(ctx, conn); err != nil {
		block("error", "connection for the registry read: "+err.Error(), x.fail(err))
		return nil, x, nil, false
	}
	var log []string
	s, err = smbclient.OpenSession(ctx, conn, smbclient.SessionConfig{
		Host: r.addr.Addr().String(), Cred: cred.NTLM(), Dialect: dialect, Timeout: r.opts.ReadTimeout,
		OnExchange: func(e smbclient.Exchange) { log = append(log, strings.TrimSpace(e.Step+" "+statusName(e.Status))) },
	})
	if err != nil {
		i := x.done("logon refused", err.Error())
		block("logon", "the logon for the registry read failed: "+err.Error(), i)
		return nil, x, nil, false
	}
	return s, x, func() []string { l := log; log = nil; return l }, true
}

// absent reports whether a value that was not read is known to be absent: its key, or the
// value itself, answered WERR_FILE_NOT_FOUND.
func absent(keyErr, valErr error) bool {
	err := keyErr
	if err == nil {
		err = valErr
	}
	st, ok := winreg.Status(err)
	return ok && st == winreg.WerrFileNotFound
}

// regWhy says why a value was not read: its key is absent, the value is, or the error.
func regWhy(keyErr, valErr error) string {
	if keyErr != nil {
		if st, ok := winreg.Status(keyErr); ok && st == winreg.WerrFileNotFound {
			return "key absent"
		}
		return "key not readable: " + keyErr.Error()
	}
	if st, ok := winreg.Status(valErr); ok && st == winreg.WerrFileNotFound {
		return "absent"
	}
	if valErr != nil {
		return valErr.Error()
	}
	return "not read"
}

// absorbRegistry puts the OS values into the fingerprint, where identifyOS weighs them as one
// more signal.
func (r *run) absorbRegistry(g *regFacts) {
	str := func(name string) string {
		s, _ := g.value(regCurrentVersion, name).val.String()
		return clean(s)
	}
	reg := &RegistryOS{
		ProductName: str("ProductName"), CurrentVersion: str("CurrentVersion"),
		CSDVersion: str("CSDVersion"), CurrentBuildNumber: str("CurrentBuildNumber"),
	}
	if u := g.updates[kbMS08067]; u.found {
		reg.KB958644 = "registered: " + u.why
	} else {
		reg.KB958644 = "not found: " + u.why
	}
	r.res.Fingerprint.Registry = reg
	r.f.osEv = append(r.f.osEv, g.value(regCurrentVersion, "ProductName").ev...)
}

// registryHint is what the credentialed MS08-067 verdict's reason gains from the registry: the
// KB958644 registration, as a hint only — the file version decides.
func (r *run) registryHint() string {
	g := r.f.reg
	if g == nil || g.blocked != "" {
		return ""
	}
	u := g.updates[kbMS08067]
	if u.found {
		return "; registry hint (not used for the verdict): KB958644 registered at " + u.why
	}
	return "; registry hint (not used for the verdict): KB958644 " + u.why
}
