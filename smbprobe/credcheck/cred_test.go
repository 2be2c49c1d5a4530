package credcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		in           string
		domain, user string
		ok           bool
	}{
		{`CORP\admin`, "CORP", "admin", true},
		{`.\Administrator`, ".", "Administrator", true},
		{`admin@corp.example`, "corp.example", "admin", true},
		{`first.last@x@corp`, "corp", "first.last@x", false}, // '@' left in the name
		{`admin`, "", "admin", true},
		{`\admin`, "", "admin", true},
		{``, "", "", false},
		{`CORP\`, "", "", false},
		{`@corp`, "", "", false},
		{`A\B\c`, "", "", false},
		{"adm\x00in", "", "", false},
		{"adm\nin", "", "", false},
		{"\xff\xfe", "", "", false},
	} {
		c, err := ParseUser(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseUser(%q): err %v, want ok=%t", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBadCredentials) {
				t.Errorf("ParseUser(%q): %v does not wrap ErrBadCredentials", tc.in, err)
			}
			continue
		}
		if c.Domain != tc.domain || c.User != tc.user {
			t.Errorf("ParseUser(%q) = %q\\%q, want %q\\%q", tc.in, c.Domain, c.User, tc.domain, tc.user)
		}
	}
}

const secret = "S3cr3t-Pa55!"

func TestLoadPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("S445_PW", secret)
	t.Setenv("S445_EMPTY", "")
	for _, tc := range []struct {
		name, env, file string
		want            string
		ok              bool
	}{
		{"env", "S445_PW", "", secret, true},
		{"env-unset", "S445_NOPE_UNSET", "", "", false},
		{"env-empty", "S445_EMPTY", "", "", false},
		{"file", "", write("a", secret), secret, true},
		{"file-lf", "", write("b", secret+"\n"), secret, true},
		{"file-crlf", "", write("c", secret+"\r\n"), secret, true},
		{"file-keeps-spaces", "", write("d", " "+secret+" \n"), " " + secret + " ", true},
		{"file-two-lines", "", write("e", secret+"\n"+secret+"\n"), "", false},
		{"file-empty", "", write("f", ""), "", false},
		{"file-huge", "", write("g", strings.Repeat(secret, 1000)), "", false},
		{"file-missing", "", filepath.Join(dir, "missing"), "", false},
		{"both", "S445_PW", write("h", secret), "", false},
		{"neither", "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadPassword(tc.env, tc.file)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %q, %v; want %q ok=%t", got, err, tc.want, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrBadCredentials) {
					t.Errorf("%v does not wrap ErrBadCredentials", err)
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Pa55") {
					t.Errorf("error leaks the secret: %v", err)
				}
			}
		})
	}
}

func TestParseHash(t *testing.T) {
	const nt = "8846f7eaee8fb117ad06bdd830b7586c" // NT hash of "password"
	for _, in := range []string{nt, strings.ToUpper(nt), "aad3b435b51404eeaad3b435b51404ee:" + nt, " " + nt + "\n"} {
		h, err := ParseHash(in)
		if err != nil || fmt.Sprintf("%x", h) != nt {
			t.Errorf("ParseHash(%q) = %x, %v", in, h, err)
		}
	}
	for _, in := range []string{"", "8846f7eaee8fb117ad06bdd830b7586", "zz46f7eaee8fb117ad06bdd830b7586c", "8846f7eaee8fb117ad06bdd830b7586c00"} {
		_, err := ParseHash(in)
		if !errors.Is(err, ErrBadCredentials) {
			t.Errorf("ParseHash(%q): %v", in, err)
			continue
		}
		if in != "" && strings.Contains(err.Error(), in[:8]) {
			t.Errorf("error echoes the input: %v", err)
		}
	}
}

// TestRedaction formats credentials every way a stray log line could, and checks that neither
// the password nor the hash (in any encoding) shows up.
func TestRedaction(t *testing.T) {
	hash := []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c}
	creds := []Credentials{
		{Domain: "CORP", User: "admin", Password: secret},
		{Domain: "CORP", User: "admin", NTHash: hash},
		{User: "admin", Password: secret, NTHash: hash},
	}
	forbidden := []string{secret, "Pa55", "deadbeef", "DEADBEEF", "de ad be ef", "222 173 190 239", "[222 173", "3q2+7w"}
	for _, c := range creds {
		var outs []string
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x", "%T %v"} {
			outs = append(outs, fmt.Sprintf(f, c), fmt.Sprintf(f, &c), fmt.Sprintf(f, []Credentials{c}), fmt.Sprintf(f, struct{ C Credentials }{c}))
		}
		outs = append(outs, fmt.Sprint(c), fmt.Sprintln(c), c.String(), c.GoString())
		var buf bytes.Buffer
		for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
			slog.New(h).Info("logon", "cred", c, "ptr", &c)
		}
		outs = append(outs, buf.String())
		j, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(j))
		for _, o := range outs {
			for _, f := range forbidden {
				if strings.Contains(o, f) {
					t.Errorf("%q leaks %q", o, f)
				}
			}
		}
		if !strings.Contains(fmt.Sprint(c), "admin") || !strings.Contains(buf.String(), redacted) {
			t.Errorf("redacted output lost the account or the marker: %q / %q", fmt.Sprint(c), buf.String())
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c  Credentials
		ok bool
	}{
		{Credentials{User: "a", Password: "p"}, true},
		{Credentials{User: "a", NTHash: make([]byte, 16)}, true},
		{Credentials{User: "a"}, false},
		{Credentials{Password: "p"}, false},
		{Credentials{User: "a", NTHash: make([]byte, 15)}, false},
	} {
		if err := tc.c.validate(); (err == nil) != tc.ok {
			t.Errorf("%v: %v", tc.c, err)
		}
	}
	// The hash wins over the password; the password gives MD4(UTF-16LE).
	h := Credentials{User: "a", Password: "password"}.ntHash()
	if fmt.Sprintf("%x", h) != "8846f7eaee8fb117ad06bdd830b7586c" {
		t.Errorf("NT hash of password: %x", h)
	}
	h2 := Credentials{User: "a", Password: "password", NTHash: make([]byte, 16)}.ntHash()
	if h2 != [16]byte{} {
		t.Errorf("NTHash did not win: %x", h2)
	}
}
