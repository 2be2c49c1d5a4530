package report

import "errors"

// Sentinel errors; every error the package returns wraps one of these.
var (
	ErrSchema    = errors.New("report: unsupported schema")
	ErrMalformed = errors.New("report: malformed document")
	ErrConflict  = errors.New("report: conflicting documents")
	ErrFailOn    = errors.New("report: unknown fail-on level")
)
