package credcheck

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hirochachacha/go-smb2"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// redacted replaces every secret in formatted output.
const redacted = "[REDACTED]"

// maxPasswordFile bounds --password-file: a password file larger than this is a mistake
// (a wrong path), and reading it whole would be pointless.
const maxPasswordFile = 4096

// Credentials is the account the credentialed check logs on with. Password and NTHash are
// secrets: String, GoString, Format and LogValue redact them, and they are never marshalled
// to JSON. Set NTHash (16 bytes) for a pass-the-hash logon; it wins over Password.
type Credentials struct {
	Domain   string `json:"domain,omitempty"`
	User     string `json:"user"`
	Password string `json:"-"`
	NTHash   []byte `json:"-"`
}

// ParseUser splits an account name written as `DOMAIN\name`, `name@domain` or `name` (the
// domain then stays empty, which NTLM treats as the server's own accounts).
func ParseUser(s string) (Credentials, error) {
	if s == "" {
		return Credentials{}, fmt.Errorf("%w: empty user name", ErrBadCredentials)
	}
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return Credentials{}, fmt.Errorf("%w: user name is not printable text", ErrBadCredentials)
	}
	var c Credentials
	switch {
	case strings.Contains(s, `\`):
		c.Domain, c.User, _ = strings.Cut(s, `\`)
	case strings.Contains(s, "@"):
		i := strings.LastIndex(s, "@")
		c.User, c.Domain = s[:i], s[i+1:]
	default:
		c.User = s
	}
	if c.User == "" || strings.ContainsAny(c.User, `\@`) {
		return Credentials{}, fmt.Errorf("%w: user name %q: want DOMAIN\\name, name@domain or name", ErrBadCredentials, s)
	}
	if strings.Contains(c.Domain, `\`) {
		return Credentials{}, fmt.Errorf("%w: user name %q: more than one backslash", ErrBadCredentials, s)
	}
	return c, nil
}

// LoadPassword reads the password from the environment variable env or from file; exactly
// one of them must be given (a password on the command line would leak into ps and shell
// history). A file may end in one newline, which is dropped. Errors name the variable or the
// file, never the content.
func LoadPassword(env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", fmt.Errorf("%w: give either a password variable or a password file, not both", ErrBadCredentials)
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("%w: environment variable %s is not set", ErrBadCredentials, env)
		}
		if v == "" {
			return "", fmt.Errorf("%w: environment variable %s is empty", ErrBadCredentials, env)
		}
		return v, nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("%w: password file: %v", ErrBadCredentials, err)
		}
		defer f.Close()
		b := make([]byte, maxPasswordFile+1)
		n, _ := readFull(f, b)
		if n > maxPasswordFile {
			return "", fmt.Errorf("%w: password file %s is larger than %d bytes", ErrBadCredentials, file, maxPasswordFile)
		}
		s := string(b[:n])
		s = strings.TrimSuffix(s, "\n")
		s = strings.TrimSuffix(s, "\r")
		if s == "" {
			return "", fmt.Errorf("%w: password file %s is empty", ErrBadCredentials, file)
		}
		if strings.ContainsAny(s, "\r\n") {
			return "", fmt.Errorf("%w: password file %s holds more than one line", ErrBadCredentials, file)
		}
		return s, nil
	}
	return "", fmt.Errorf("%w: no password source (environment variable or file)", ErrBadCredentials)
}

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ParseHash accepts an NT hash for pass-the-hash logons, as 32 hex digits or "LM:NT". The
// error never repeats the input.
func ParseHash(s string) ([]byte, error) {
	h, err := ntlmssp.ParseNTHash(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%w: NT hash must be 32 hex digits or LM:NT", ErrBadCredentials)
	}
	return h[:], nil
}

// validate checks that c can log on at all, before any packet is sent.
func (c Credentials) validate() error {
	switch {
	case c.User == "":
		// Anonymous sessions cannot read ADMIN$, and go-smb2 refuses them anyway.
		return fmt.Errorf("%w: no user name", ErrBadCredentials)
	case len(c.NTHash) != 0 && len(c.NTHash) != 16:
		return fmt.Errorf("%w: NT hash must be 16 bytes, got %d", ErrBadCredentials, len(c.NTHash))
	case len(c.NTHash) == 0 && c.Password == "":
		return fmt.Errorf("%w: no password or NT hash", ErrBadCredentials)
	}
	return nil
}

// ntHash is the NT one-way function input of NTLMv2: the given hash, or MD4 of the password.
func (c Credentials) ntHash() [16]byte {
	if len(c.NTHash) == 16 {
		return [16]byte(c.NTHash)
	}
	return ntlmssp.NTHash(c.Password)
}

// NTLM is the account as an NTLMv2 logon needs it (smbclient.SessionConfig.Cred): the user,
// the domain and the NT hash, never the password. The hash is a secret: never print it.
func (c Credentials) NTLM() ntlmssp.Credentials {
	return ntlmssp.Credentials{User: c.User, Domain: c.Domain, Hash: c.ntHash()}
}

func (c Credentials) initiator() *smb2.NTLMInitiator { return smbclient.NTLMInitiator(c.NTLM()) }

// Account is the account name as reports print it: `DOMAIN\user` or `user`.
func (c Credentials) Account() string {
	if c.Domain == "" {
		return c.User
	}
	return c.Domain + `\` + c.User
}

func (c Credentials) secretKind() string {
	switch {
	case len(c.NTHash) != 0:
		return "nt-hash " + redacted
	case c.Password != "":
		return "password " + redacted
	}
	return "no secret"
}

// String redacts the secret.
func (c Credentials) String() string { return c.Account() + " (" + c.secretKind() + ")" }

// GoString redacts the secret under %#v.
func (c Credentials) GoString() string {
	return fmt.Sprintf("credcheck.Credentials{Domain:%q, User:%q, Password:%q, NTHash:%q}",
		c.Domain, c.User, redactIf(c.Password != ""), redactIf(len(c.NTHash) != 0))
}

func redactIf(b bool) string {
	if b {
		return redacted
	}
	return ""
}

// Format makes every verb redact, including %d and %x, which would otherwise print the
// struct's fields one by one.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue redacts the secret in log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("domain", c.Domain),
		slog.String("user", c.User),
		slog.String("secret", c.secretKind()),
	)
}

var (
	_ fmt.Formatter  = Credentials{}
	_ fmt.Stringer   = Credentials{}
	_ fmt.GoStringer = Credentials{}
	_ slog.LogValuer = Credentials{}
)
