package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// junitNode is a parsed XML element, kept generic so that the validator sees exactly what a
// CI server's parser would, not what our own structs can express.
type junitNode struct {
	name     string
	attrs    map[string]string
	children []*junitNode
	text     string
}

func parseXMLTree(data []byte) (*junitNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*junitNode
	var root *junitNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &junitNode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("second root element <%s>", n.name)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// junitElementRule is one element of the JUnit XML schema Jenkins (junit-10.xsd / the
// jenkins-junit.xsd of the JUnit plugin) and GitLab read: its attributes with their types,
// which are required, and which children it may have.
type junitElementRule struct {
	attrs    map[string]string // attribute → type: string, int, decimal, timestamp
	required []string
	children []string
	text     bool // may carry character data
}

func junitSchema() map[string]junitElementRule {
	result := junitElementRule{attrs: map[string]string{"message": "string", "type": "string"}, text: true}
	return map[string]junitElementRule{
		"testsuites": {attrs: map[string]string{"name": "string", "time": "decimal", "tests": "int", "failures": "int",
			"errors": "int", "disabled": "int", "skipped": "int"}, children: []string{"testsuite"}},
		"testsuite": {attrs: map[string]string{"name": "string", "tests": "int", "failures": "int", "errors": "int",
			"skipped": "int", "disabled": "int", "time": "decimal", "timestamp": "timestamp", "hostname": "string",
			"id": "int", "package": "string", "file": "string"},
			required: []string{"name", "tests"},
			children: []string{"properties", "testcase", "system-out", "system-err"}},
		"properties": {children: []string{"property"}},
		"property":   {attrs: map[string]string{"name": "string", "value": "string"}, required: []string{"name", "value"}},
		"testcase": {attrs: map[string]string{"name": "string", "classname": "string", "time": "decimal",
			"assertions": "int", "status": "string", "file": "string", "line": "int"},
			required: []string{"name"},
			children: []string{"skipped", "error", "failure", "system-out", "system-err"}},
		"failure":    result,
		"error":      result,
		"skipped":    {attrs: map[string]string{"message": "string"}, text: true},
		"system-out": {text: true},
		"system-err": {text: true},
	}
}

var (
	junitInt       = regexp.MustCompile(`^[0-9]+$`)
	junitDecimal   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	junitTimestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`) // the xsd: no zone
)

// validateJUnit checks a JUnit file against the schema above, plus what the readers rely on:
// the tests/failures/errors/skipped counters agree with the elements, and a test case has at
// most one result element.
func validateJUnit(data []byte) []string {
	root, err := parseXMLTree(data)
	if err != nil {
		return []string{"not XML: " + err.Error()}
	}
	schema := junitSchema()
	var errs []string
	bad := func(path, format string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, a...)) }
	if root.name != "testsuites" && root.name != "testsuite" {
		bad("/", "root element <%s>, want <testsuites> or <testsuite>", root.name)
		return errs
	}
	type counts struct{ tests, failures, errors, skipped int }
	var walk func(n *junitNode, path string) counts
	walk = func(n *junitNode, path string) counts {
		path += "/" + n.name
		rule := schema[n.name]
		for a, v := range n.attrs {
			typ, ok := rule.attrs[a]
			switch {
			case !ok:
				bad(path, "attribute %q is not in the schema", a)
			case typ == "int" && !junitInt.MatchString(v),
				typ == "decimal" && !junitDecimal.MatchString(v),
				typ == "timestamp" && !junitTimestamp.MatchString(v):
				bad(path, "attribute %s=%q is not a %s", a, v, typ)
			}
		}
		for _, a := range rule.required {
			if _, ok := n.attrs[a]; !ok {
				bad(path, "required attribute %q missing", a)
			}
		}
		if !rule.text && strings.TrimSpace(n.text) != "" {
			bad(path, "character data where only elements are allowed")
		}
		var c counts
		results := 0
		for _, ch := range n.children {
			if !contains(rule.children, ch.name) {
				bad(path, "<%s> is not allowed here", ch.name)
				continue
			}
			sub := walk(ch, path)
			c.tests += sub.tests
			c.failures += sub.failures
			c.errors += sub.errors
			c.skipped += sub.skipped
			switch ch.name {
			case "failure":
				c.failures++
				results++
			case "error":
				c.errors++
				results++
			case "skipped":
				c.skipped++
				results++
			}
		}
		if n.name == "testcase" {
			c.tests = 1
			if results > 1 {
				bad(path, "%d result elements in one test case", results)
			}
		}
		if n.name == "testsuite" || n.name == "testsuites" {
			for attr, want := range map[string]int{"tests": c.tests, "failures": c.failures, "errors": c.errors, "skipped": c.skipped} {
				if v, ok := n.attrs[attr]; ok {
					if got, _ := strconv.Atoi(v); got != want {
						bad(path, "%s=%q but %d found", attr, v, want)
					}
				}
			}
		}
		return c
	}
	walk(root, "")
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestJUnitSchema(t *testing.T) {
	for name, doc := range map[string]*Document{"golden": goldenDocument(t), "hostile": hostileDocument()} {
		for _, level := range append(FailOnLevels(), "") {
			out := render(t, func(w io.Writer) error { return WriteJUnit(w, doc, level) })
			if errs := validateJUnit(out); len(errs) > 0 {
				t.Errorf("%s at %q: %d schema violations:\n%s", name, level, len(errs), strings.Join(errs, "\n"))
			}
		}
	}
	// A tampered file can put control characters in the words that become attributes.
	bad := goldenDocument(t)
	bad.Hosts = append(bad.Hosts, scanner.HostResult{Address: "10.20.5.3", Port: 445, Status: "error\x00\x1b", Error: "x"})
	bad.Hosts[0].SMB.Findings[0].Verdict = "unknown\x00\x1b[31m"
	Finalize(bad)
	if errs := validateJUnit(render(t, func(w io.Writer) error { return WriteJUnit(w, bad, "") })); len(errs) > 0 {
		t.Errorf("tampered verdict and status: %v", errs)
	}
	// The validator must be able to fail: each mutation is a mistake a CI reader chokes on.
	base := string(render(t, func(w io.Writer) error { return WriteJUnit(w, goldenDocument(t), "") }))
	mutations := []struct{ name, from, to string }{
		{"testcase without name", `<testcase name="ms08-067"`, `<testcase`},
		{"unknown attribute", `<testcase name="ms08-067"`, `<testcase nmae="x" name="ms08-067"`},
		{"counter disagrees", `failures="1"`, `failures="2"`},
		{"time with a unit", `time="0.412"`, `time="0.412s"`},
		{"timestamp with a zone", `timestamp="2026-11-27T09:00:01"`, `timestamp="2026-11-27T09:00:01Z"`},
		{"failure outside a test case", `<testsuite name="10.20.1.5:445"`, `<failure message="x"></failure><testsuite name="10.20.1.5:445"`},
		{"unknown element", `<system-out>`, `<stdout></stdout><system-out>`},
		{"two results in one case", `<failure message=`, `<error message="x"></error><failure message=`},
		{"not xml", `</testsuites>`, `</testsuite>`},
	}
	for _, m := range mutations {
		if !strings.Contains(base, m.from) {
			t.Fatalf("%s: output lacks %s", m.name, m.from)
		}
		bad := strings.Replace(base, m.from, m.to, 1)
		if errs := validateJUnit([]byte(bad)); len(errs) == 0 {
			t.Errorf("%s: validator accepted it", m.name)
		}
	}
}

func TestJUnitVerdicts(t *testing.T) {
	doc := goldenDocument(t)
	// A host the sweep itself failed on, and one whose port answered but whose probe failed
	// before any check: neither was checked, so both are errors.
	doc.Hosts = append(doc.Hosts,
		scanner.HostResult{Address: "10.20.5.1", Port: 445, Status: scanner.StatusError, Error: "connection reset during handshake"},
		scanner.HostResult{Address: "10.20.5.2", Port: 445, Status: scanner.StatusOpen, SMB: &smbprobe.Result{Error: "netbios: frame too long"}})
	Finalize(doc)
	cases := []struct {
		level                   FailOn
		tests, failures, errors int
	}{
		// 7 open hosts with findings: 4+3+2+3+2+2+2 = 18 host×check cases, plus the 2 hosts
		// above. Errors: the DC's conficker check, the failed negotiation's two checks, and
		// the two hosts not checked.
		{"", 20, 5, 5}, // the default is exposed
		{FailOnInfected, 20, 1, 5},
		{FailOnVulnerable, 20, 2, 5},
		{FailOnExposed, 20, 5, 5},
		{FailOnAny, 20, 10, 5},
		{FailOnNone, 20, 0, 5},
	}
	for _, c := range cases {
		out := render(t, func(w io.Writer) error { return WriteJUnit(w, doc, c.level) })
		var got junitSuites
		if err := xml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q: %v", c.level, err)
		}
		var failures, errors, tests int
		for _, s := range got.Suites {
			for _, tc := range s.Cases {
				tests++
				if tc.Failure != nil {
					failures++
				}
				if tc.Error != nil {
					errors++
				}
			}
		}
		if tests != c.tests || failures != c.failures || errors != c.errors ||
			got.Tests != tests || got.Failures != failures || got.Errors != errors {
			t.Errorf("%q: tests/failures/errors = %d/%d/%d (header %d/%d/%d), want %d/%d/%d", c.level,
				tests, failures, errors, got.Tests, got.Failures, got.Errors, c.tests, c.failures, c.errors)
		}
		if bytes.Contains(out, []byte("<skipped")) {
			t.Errorf("%q: a host we could not check is <skipped>; it must be <error>", c.level)
		}
	}
}
