package report

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the Document, for `scan445 schema` and for
// consumers that validate reports.
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}
