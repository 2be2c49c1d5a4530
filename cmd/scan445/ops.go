package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/report"
)

// opsSettings are what a scheduled run needs beyond the scan itself: the webhook's
// authentication and time budget, and progress lines for logs.
type opsSettings struct {
	webhookHeader http.Header   // from --webhook-header-env / --webhook-header-file, never a flag value
	webhookWait   time.Duration // the most the webhook may add after the scan
	progressEvery time.Duration // plain progress lines when stderr is not a terminal; 0: none
}

// Defaults documented in README.md.
const (
	defaultWebhookWait   = 10 * time.Second
	defaultProgressEvery = 30 * time.Second
	maxHeaderFile        = 64 << 10
)

// opsFlags are the scheduled-run flags of scan. Like the password, a webhook header (it usually
// carries a token) is never a flag value: it comes from a variable or a file.
func opsFlags() []cli.Flag {
	return []cli.Flag{
		altsrc.NewStringSliceFlag(&cli.StringSliceFlag{Name: "webhook-header-env", EnvVars: envs("webhook-header-env"),
			Usage: "add the HTTP header held in environment variable `VAR` (\"Name: value\", e.g. \"Authorization: Bearer TOKEN\") to each webhook request; repeatable"}),
		altsrc.NewStringFlag(&cli.StringFlag{Name: "webhook-header-file", EnvVars: envs("webhook-header-file"),
			Usage: "add the HTTP headers in `FILE` (one \"Name: value\" per line, # comments) to each webhook request"}),
		altsrc.NewDurationFlag(&cli.DurationFlag{Name: "webhook-wait", Value: defaultWebhookWait, EnvVars: envs("webhook-wait"),
			Usage: "after the scan, wait at most this long for the webhook to deliver what is queued (a receiver that is down fails at once)"}),
		altsrc.NewDurationFlag(&cli.DurationFlag{Name: "progress-interval", Value: defaultProgressEvery, EnvVars: envs("progress-interval"),
			Usage: "when stderr is not a terminal (CI logs), print a progress line this often; 0 for none"}),
	}
}

func readOpsSettings(c *cli.Context) (opsSettings, error) {
	o := opsSettings{webhookWait: c.Duration("webhook-wait"), progressEvery: c.Duration("progress-interval")}
	if o.webhookWait <= 0 {
		return o, fmt.Errorf("--webhook-wait %v: must be positive", o.webhookWait)
	}
	if o.progressEvery < 0 {
		return o, fmt.Errorf("--progress-interval %v: must be 0 (none) or positive", o.progressEvery)
	}
	if raw := c.String("webhook"); raw != "" {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, fmt.Errorf("--webhook %q: want an http:// or https:// URL", redactURL(raw))
		}
	}
	h, err := readWebhookHeaders(c.StringSlice("webhook-header-env"), c.String("webhook-header-file"))
	if err != nil {
		return o, err
	}
	o.webhookHeader = h
	return o, nil
}

// readWebhookHeaders collects the headers. Errors name the variable or the file and line,
// never the value.
func readWebhookHeaders(vars []string, file string) (http.Header, error) {
	h := http.Header{}
	for _, v := range vars {
		val, ok := os.LookupEnv(v)
		if !ok || strings.TrimSpace(val) == "" {
			return nil, fmt.Errorf("--webhook-header-env %s: the variable is not set or empty", v)
		}
		if err := addHeader(h, val); err != nil {
			return nil, fmt.Errorf("--webhook-header-env %s: %v", v, err)
		}
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--webhook-header-file %s: %v", file, pathProblem(err))
		}
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, maxHeaderFile))
		line, n := 0, 0
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			if err := addHeader(h, text); err != nil {
				return nil, fmt.Errorf("--webhook-header-file %s:%d: %v", file, line, err)
			}
			n++
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--webhook-header-file %s: %v", file, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("--webhook-header-file %s: no \"Name: value\" line", file)
		}
	}
	if len(h) == 0 {
		return nil, nil
	}
	return h, nil
}

// addHeader parses one "Name: value" header. Headers the webhook sets itself, or that would
// change the request's framing, are refused.
func addHeader(h http.Header, line string) error {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return fmt.Errorf(`want "Name: value"`)
	}
	for _, r := range name {
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", r) && !(r >= '0' && r <= '9') && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') {
			return fmt.Errorf("%q is not a header name", name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("the value of %s holds a line break", name)
	}
	switch textproto.CanonicalMIMEHeaderKey(name) {
	case "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection":
		return fmt.Errorf("%s is set by scan445 itself", name)
	}
	h.Add(name, value)
	return nil
}

// newWebhook starts the webhook with the headers and the per-request timeout.
func newWebhook(rawURL string, o opsSettings) (*report.Webhook, error) {
	return report.NewWebhook(rawURL, &http.Client{Timeout: 10 * time.Second}, report.WebhookOptions{Header: o.webhookHeader})
}

// reportWebhook prints one line on stderr when tickets were not delivered: a scheduled run
// must not fail silently. The exit code stays the scan's (README: "Exit codes").
func reportWebhook(w io.Writer, wh *report.Webhook, rawURL string) {
	out := wh.Outcome()
	if out.Failed == 0 {
		return
	}
	fmt.Fprintf(w, "scan445: webhook: %d of %d findings not delivered to %s (last error: %s); each is listed under webhook_failures in the JSON report\n",
		out.Failed, out.Failed+out.Delivered, redactURL(rawURL), report.TermSafe(out.LastError))
}

// redactArgURL is redactURL on a command-line argument, which may be --flag=URL.
func redactArgURL(a string) string {
	if name, value, ok := strings.Cut(a, "="); ok && strings.HasPrefix(name, "-") {
		return name + "=" + redactURL(value)
	}
	return redactURL(a)
}

// redactURL keeps a URL recognisable but drops what may be a secret: the password and user
// name, the query and the fragment. Anything that is not a URL is returned as it is.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || !strings.Contains(s, "://") {
		return s
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return s
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED" // names may be secrets too (?s3cret)
	}
	if u.Fragment != "" {
		u.Fragment = "REDACTED"
	}
	return u.String()
}
