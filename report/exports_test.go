package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// defectDojoFields is the documented field list of DefectDojo's Generic Findings Import JSON
// (docs.defectdojo.com, "Generic Findings Import", Supported Attributes (JSON)), with each
// field's type, plus the three list fields the parser takes apart itself (endpoints, files,
// tags). The importer hands every other key to its Finding model, which rejects unknown ones.
func defectDojoFields() map[string]string {
	return map[string]string{
		"title": "string", "severity": "severity", "description": "string", "date": "date", "cwe": "int",
		"cve": "string", "epss_score": "float", "epss_percentile": "float", "cvssv3": "string",
		"cvssv3_score": "float", "cvssv4": "string", "cvssv4_score": "float", "mitigation": "string",
		"impact": "string", "steps_to_reproduce": "string", "severity_justification": "string",
		"references": "string", "active": "bool", "verified": "bool", "false_p": "bool",
		"out_of_scope": "bool", "risk_accepted": "bool", "under_review": "bool", "is_mitigated": "bool",
		"thread_id": "string", "mitigated": "date", "numerical_severity": "int", "param": "string",
		"payload": "string", "line": "int", "file_path": "string", "component_name": "string",
		"component_version": "string", "static_finding": "bool", "dynamic_finding": "bool",
		"scanner_confidence": "int", "unique_id_from_tool": "string", "vuln_id_from_tool": "string",
		"sast_source_object": "string", "sast_sink_object": "string", "sast_source_line": "int",
		"sast_source_file_path": "string", "nb_occurences": "int", "publish_date": "date",
		"service": "string", "planned_remediation_date": "date", "planned_remediation_version": "string",
		"effort_for_fixing": "effort", "tags": "strings", "kev_date": "date", "known_exploited": "bool",
		"ransomware_used": "bool", "fix_available": "bool", "fix_version": "string",
		"endpoints": "endpoints", "files": "files",
	}
}

// validateDefectDojo checks a file against the documented format: the top-level keys the parser
// reads, required title/severity/description, every finding key documented and of its type.
func validateDefectDojo(data []byte) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	for k := range top {
		switch k {
		case "name", "type", "version", "description", "dynamic_tool", "static_tool", "soc", "findings":
		default:
			bad("top-level key %q is not read by the importer", k)
		}
	}
	var findings []map[string]any
	if err := json.Unmarshal(top["findings"], &findings); err != nil {
		return append(errs, "findings is not a list of objects: "+err.Error())
	}
	fields := defectDojoFields()
	date := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	for i, f := range findings {
		for _, req := range []string{"title", "severity", "description"} {
			if s, ok := f[req].(string); !ok || s == "" {
				bad("finding %d: required %s missing or empty", i, req)
			}
		}
		for k, v := range f {
			typ, ok := fields[k]
			if !ok {
				bad("finding %d: %q is not a documented field", i, k)
				continue
			}
			okType := false
			switch typ {
			case "string":
				_, okType = v.(string)
			case "severity":
				s, _ := v.(string)
				okType = s == "Critical" || s == "High" || s == "Medium" || s == "Low" || s == "Info"
			case "effort":
				s, _ := v.(string)
				okType = s == "High" || s == "Medium" || s == "Low"
			case "date":
				s, _ := v.(string)
				okType = date.MatchString(s)
			case "bool":
				_, okType = v.(bool)
			case "int":
				n, isNum := v.(float64)
				okType = isNum && n == float64(int64(n))
			case "float":
				_, okType = v.(float64)
			case "strings":
				list, isList := v.([]any)
				okType = isList
				for _, x := range list {
					if _, s := x.(string); !s {
						okType = false
					}
				}
			case "endpoints":
				list, isList := v.([]any)
				okType = isList && len(list) > 0
				for _, x := range list {
					ep, isObj := x.(map[string]any)
					if _, isStr := x.(string); isStr {
						continue
					}
					if !isObj {
						okType = false
						continue
					}
					for ek, ev := range ep {
						switch ek {
						case "host", "protocol", "path", "query", "fragment", "userinfo":
							if _, s := ev.(string); !s {
								okType = false
							}
						case "port":
							n, isNum := ev.(float64)
							okType = okType && isNum && n >= 1 && n <= 65535
						default:
							okType = false
						}
					}
				}
			case "files":
				_, okType = v.([]any)
			}
			if !okType {
				bad("finding %d: %s = %v is not a valid %s", i, k, v, typ)
			}
		}
	}
	return errs
}

func TestDefectDojoFormat(t *testing.T) {
	for name, doc := range map[string]*Document{"golden": goldenDocument(t), "hostile": hostileDocument()} {
		out := render(t, func(w io.Writer) error { return WriteDefectDojo(w, doc) })
		if errs := validateDefectDojo(out); len(errs) > 0 {
			t.Errorf("%s: %d violations:\n%s", name, len(errs), strings.Join(errs, "\n"))
		}
	}
	out := render(t, func(w io.Writer) error { return WriteDefectDojo(w, goldenDocument(t)) })
	var rep ddReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	// Every actionable finding, baseline or not (the re-import closes what is gone).
	if len(rep.Findings) != 10 || rep.Findings[0].Severity != "Critical" || !rep.Findings[0].Verified {
		t.Fatalf("%d findings, first %+v", len(rep.Findings), rep.Findings[0])
	}
	ids := map[string]bool{}
	for _, f := range rep.Findings {
		if ids[f.UniqueIDFromTool] {
			t.Errorf("duplicate unique_id_from_tool %s", f.UniqueIDFromTool)
		}
		ids[f.UniqueIDFromTool] = true
		if f.Verified && !strings.HasPrefix(f.Title, "infected") && !strings.HasPrefix(f.Title, "vulnerable") {
			t.Errorf("an inferred finding is marked verified: %s", f.Title)
		}
	}
	// The validator must be able to fail.
	base := string(out)
	mutations := []struct{ name, from, to string }{
		{"undocumented field", `"active": true`, `"active": true, "host": "x"`},
		{"severity word", `"severity": "Critical"`, `"severity": "critical"`},
		{"missing title", `"title": "infected`, `"titel": "infected`},
		{"bad date", `"date": "2026-11-27"`, `"date": "27/11/2026"`},
		{"bool as string", `"verified": true`, `"verified": "true"`},
		{"port out of range", `"port": 445`, `"port": 70000`},
		{"top-level key", `"name": "scan445"`, `"name": "scan445", "engagement": 1`},
	}
	for _, m := range mutations {
		if !strings.Contains(base, m.from) {
			t.Fatalf("%s: output lacks %s", m.name, m.from)
		}
		if errs := validateDefectDojo([]byte(strings.Replace(base, m.from, m.to, 1))); len(errs) == 0 {
			t.Errorf("%s: validator accepted it", m.name)
		}
	}
}

// promLine is one parsed line of the text exposition format.
var (
	promName      = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	promLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// validateMetrics checks the Prometheus text exposition format (version 0.0.4) as node_exporter's
// textfile collector reads it: HELP and TYPE at most once per family and before its samples,
// the samples of a family together, metric and label names from their character sets, label
// values with only the \\ \" \n escapes, no duplicate series, float values, no timestamps.
func validateMetrics(data []byte) []string {
	var errs []string
	bad := func(n int, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("line %d: ", n)+fmt.Sprintf(format, a...))
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		errs = append(errs, "the last line does not end with a line feed")
	}
	help, typ := map[string]bool{}, map[string]bool{}
	done := map[string]bool{} // families whose samples are over
	current := ""
	series := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a plain comment
			}
			name := f[2]
			if !promName.MatchString(name) {
				bad(n, "metric name %q", name)
			}
			if done[name] || current == name {
				bad(n, "%s for %s after its samples", f[1], name)
			}
			seen := help
			if f[1] == "TYPE" {
				seen = typ
				if len(f) != 4 || !contains([]string{"counter", "gauge", "histogram", "summary", "untyped"}, f[3]) {
					bad(n, "TYPE line %q", line)
				}
			} else if len(f) == 4 && regexp.MustCompile(`\\[^\\n]`).MatchString(strings.ReplaceAll(f[3], `\\`, "")) {
				bad(n, "HELP escape other than \\\\ and \\n")
			}
			if seen[name] {
				bad(n, "second %s for %s", f[1], name)
			}
			seen[name] = true
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !promName.MatchString(name) {
			bad(n, "metric name %q", name)
		}
		if name != current {
			if done[name] {
				bad(n, "samples of %s are not together", name)
			}
			if current != "" {
				done[current] = true
			}
			current = name
		}
		labels := ""
		if strings.HasPrefix(rest, "{") {
			end, err := scanLabels(rest)
			if err != nil {
				bad(n, "%v", err)
				continue
			}
			labels, rest = rest[:end], rest[end:]
		}
		key := name + labels
		if series[key] {
			bad(n, "duplicate series %s", key)
		}
		series[key] = true
		fields := strings.Fields(rest)
		switch {
		case len(fields) == 0:
			bad(n, "no value")
		case len(fields) > 1:
			bad(n, "a timestamp (the textfile collector refuses them) or trailing text: %q", rest)
		default:
			if _, err := strconv.ParseFloat(fields[0], 64); err != nil && fields[0] != "NaN" && fields[0] != "+Inf" && fields[0] != "-Inf" {
				bad(n, "value %q", fields[0])
			}
		}
	}
	return errs
}

// scanLabels reads a {name="value",...} block and returns its length.
func scanLabels(s string) (int, error) {
	i := 1
	names := map[string]bool{}
	for {
		if i < len(s) && s[i] == '}' {
			return i + 1, nil
		}
		j := strings.IndexByte(s[i:], '=')
		if j < 0 {
			return 0, fmt.Errorf("label without =: %q", s)
		}
		ln := s[i : i+j]
		if !promLabelName.MatchString(ln) || strings.HasPrefix(ln, "__") {
			return 0, fmt.Errorf("label name %q", ln)
		}
		if names[ln] {
			return 0, fmt.Errorf("label %q twice", ln)
		}
		names[ln] = true
		i += j + 1
		if i >= len(s) || s[i] != '"' {
			return 0, fmt.Errorf("label value of %s not quoted", ln)
		}
		i++
		for {
			if i >= len(s) {
				return 0, fmt.Errorf("unterminated label value")
			}
			c := s[i]
			if c == '\\' {
				if i+1 >= len(s) || !strings.ContainsRune(`\"n`, rune(s[i+1])) {
					return 0, fmt.Errorf("bad escape in label value of %s", ln)
				}
				i += 2
				continue
			}
			if c == '"' {
				i++
				break
			}
			i++
		}
		if i < len(s) && s[i] == ',' {
			i++
		}
	}
}

func TestMetricsFormat(t *testing.T) {
	for name, doc := range map[string]*Document{"golden": goldenDocument(t), "hostile": hostileDocument()} {
		out := render(t, func(w io.Writer) error { return WriteMetrics(w, doc) })
		if errs := validateMetrics(out); len(errs) > 0 {
			t.Errorf("%s: %d violations:\n%s", name, len(errs), strings.Join(errs, "\n"))
		}
	}
	out := string(render(t, func(w io.Writer) error { return WriteMetrics(w, goldenDocument(t)) }))
	for _, want := range []string{
		`scan445_hosts{verdict="infected"} 1`, // the 2003 file server
		`scan445_hosts{verdict="vulnerable"} 1`,
		`scan445_hosts{verdict="exposed"} 2`, // the XP and the 2008 DC
		`scan445_hosts{verdict="unknown"} 1`, // the failed negotiation
		`scan445_hosts{verdict="none"} 2`,    // closed and filtered
		`scan445_findings{check="conficker",verdict="infected"} 1`,
		`scan445_findings{check="ms17-010",verdict="infected"} 0`, // zero series stay
		"scan445_scan_complete 1",
		"scan445_scan_duration_seconds 47",
		"scan445_last_scan_timestamp_seconds 1795770047",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if want := time.Date(2026, 11, 27, 9, 0, 47, 0, time.UTC).Unix(); want != 1795770047 {
		t.Fatalf("fixture finish time moved: %d", want)
	}
	mutations := []struct{ name, from, to string }{
		{"timestamp", "scan445_scan_complete 1\n", "scan445_scan_complete 1 1764234047000\n"},
		{"bad name", "scan445_targets 1024", "scan445-targets 1024"},
		{"bad escape", `verdict="infected"`, `verdict="in\fected"`},
		{"reserved label", `verdict="infected"`, `__verdict="infected"`},
		{"duplicate series", "scan445_targets 1024\n", "scan445_targets 1024\nscan445_targets 1024\n"},
		{"second TYPE", "# TYPE scan445_targets gauge\n", "# TYPE scan445_targets gauge\n# TYPE scan445_targets gauge\n"},
		{"bad value", "scan445_targets 1024", "scan445_targets many"},
		{"split family", "# HELP scan445_hosts_scanned", "scan445_hosts{verdict=\"x\"} 1\n# HELP scan445_hosts_scanned"},
	}
	for _, m := range mutations {
		if !strings.Contains(out, m.from) {
			t.Fatalf("%s: output lacks %q", m.name, m.from)
		}
		if errs := validateMetrics([]byte(strings.Replace(out, m.from, m.to, 1))); len(errs) == 0 {
			t.Errorf("%s: validator accepted it", m.name)
		}
	}
}

func TestJiraWikiMarkup(t *testing.T) {
	out := render(t, func(w io.Writer) error { return WriteJiraCSV(w, hostileDocument(), JiraOptions{}) })
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "Description" {
			col = i
		}
	}
	if col < 0 || len(rows) < 2 {
		t.Fatalf("no Description column or no rows: %v", rows[0])
	}
	// Unescaped Jira markup a payload could open: a link or image, a macro, a table cell.
	markup := regexp.MustCompile(`(^|[^\\])(\[[^\]]*\]|![^!\s]+!|\{[a-z]+[:}]|\|)`)
	for _, r := range rows[1:] {
		d := r[col]
		if regexp.MustCompile(`\*\*\S`).MatchString(d) || strings.Contains(d, "### ") || strings.Contains(d, "\n- ") {
			t.Errorf("Markdown in a Jira description: %.200q", d)
		}
		if !strings.Contains(d, "h3. Evidence") {
			t.Errorf("no wiki heading: %.200q", d)
		}
		if loc := markup.FindStringIndex(d); loc != nil {
			t.Errorf("live Jira markup %q in %.300q", d[loc[0]:loc[1]], d)
		}
	}
	cases := []struct{ in, want string }{
		{`[click|http://x]`, `\[click\|http://x\]`},
		{`!http://x/a.png!`, `\!http://x/a.png\!`},
		{`{noformat}`, `\{noformat\}`},
		{`\\IPC$`, `&#92;&#92;IPC$`},
		{"a\nh1. b", "a h1. b"},
		{"*bold* _it_", `\*bold\* \_it\_`},
	}
	for _, c := range cases {
		if got := jiraEscape(c.in); got != c.want {
			t.Errorf("jiraEscape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
