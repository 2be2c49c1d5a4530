package report

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// A validator for the subset of JSON Schema 2020-12 that schema.json uses. It refuses keywords
// it does not implement, so the schema cannot quietly grow beyond what the tests check.

var supportedKeywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "format": true, "$defs": true,
	"$ref": true, "type": true, "enum": true, "pattern": true, "minimum": true, "maximum": true,
	"minLength": true, "required": true, "properties": true, "additionalProperties": true, "items": true,
}

type schemaValidator struct {
	root map[string]any
}

func newSchemaValidator(schema []byte) (*schemaValidator, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, err
	}
	v := &schemaValidator{root: root}
	if err := v.checkKeywords(root, "#"); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *schemaValidator) checkKeywords(s map[string]any, at string) error {
	for k, val := range s {
		if !supportedKeywords[k] {
			return fmt.Errorf("%s: unsupported keyword %q", at, k)
		}
		switch k {
		case "$defs", "properties":
			for name, sub := range val.(map[string]any) {
				if err := v.checkKeywords(sub.(map[string]any), at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case "items", "additionalProperties":
			if sub, ok := val.(map[string]any); ok {
				if err := v.checkKeywords(sub, at+"/"+k); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// validate returns every violation, sorted.
func (v *schemaValidator) validate(doc []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	var inst any
	if err := dec.Decode(&inst); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	v.walk(v.root, inst, "$", &errs)
	sort.Strings(errs)
	return errs
}

func (v *schemaValidator) resolve(ref string) map[string]any {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil
	}
	defs, _ := v.root["$defs"].(map[string]any)
	s, _ := defs[name].(map[string]any)
	return s
}

func jsonType(x any) string {
	switch t := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if f, err := t.Float64(); err == nil && f == math.Trunc(f) && !strings.ContainsAny(t.String(), ".eE") {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

func (v *schemaValidator) walk(s map[string]any, x any, at string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		r := v.resolve(ref)
		if r == nil {
			fail("unresolvable $ref %s", ref)
			return
		}
		v.walk(r, x, at, errs)
	}
	got := jsonType(x)
	if t, ok := s["type"]; ok {
		var want []string
		switch tt := t.(type) {
		case string:
			want = []string{tt}
		case []any:
			for _, w := range tt {
				want = append(want, w.(string))
			}
		}
		match := false
		for _, w := range want {
			if w == got || (w == "number" && got == "integer") {
				match = true
			}
		}
		if !match {
			fail("type %s, want %v", got, want)
			return
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(x) && jsonType(x) == "string" {
				found = true
			}
		}
		if !found {
			fail("%v not in enum %v", x, enum)
		}
	}
	switch got {
	case "string":
		str := x.(string)
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
		if m, ok := s["minLength"].(float64); ok && float64(len([]rune(str))) < m {
			fail("shorter than %v", m)
		}
	case "integer", "number":
		f, _ := x.(json.Number).Float64()
		if m, ok := s["minimum"].(float64); ok && f < m {
			fail("%v < minimum %v", f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			fail("%v > maximum %v", f, m)
		}
	case "array":
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x.([]any) {
				v.walk(items, e, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	case "object":
		obj := x.(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					fail("missing required %q", r)
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range obj {
			if p, ok := props[k].(map[string]any); ok {
				v.walk(p, val, at+"."+k, errs)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unexpected property %q", k)
				}
			case map[string]any:
				v.walk(ap, val, at+"."+k, errs)
			}
		}
	}
}

// Validate checks a JSON report against report/schema.json and returns every violation (none:
// valid). Tests of every producer of reports use it, so the schema and the code cannot drift.
func Validate(doc []byte) []string {
	v, err := newSchemaValidator(Schema())
	if err != nil {
		return []string{"schema.json itself: " + err.Error()}
	}
	return v.validate(doc)
}
