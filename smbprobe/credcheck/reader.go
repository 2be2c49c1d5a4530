package credcheck

import (
	"errors"
	"fmt"
	"io"
)

const (
	// minFetch is the smallest remote read: the PE parser asks for many small pieces (DOS
	// header, PE header, section table, directory entries) that mostly sit in the first page
	// and in the first page of .rsrc, so fetching a page at a time saves round trips.
	minFetch = 4096
	// maxFetched bounds what one check reads from a host: the parser needs a few KiB, and a
	// hostile file whose headers point all over a huge file must not turn into a download.
	maxFetched = 1 << 20
)

// errReadBudget means the parser wanted more than maxFetched bytes.
var errReadBudget = errors.New("read budget exhausted")

// chunkReader turns a remote file into the io.ReaderAt netapi.ParseVersionInfo wants: each
// miss fetches at least minFetch bytes (never past the end of the file) and keeps the last
// chunk, so the parser's small reads cost few round trips. It counts what it fetched for the
// evidence and remembers the first transport error, so a failed read is reported as
// "unreadable" rather than as a malformed file.
type chunkReader struct {
	r       io.ReaderAt
	size    int64
	maxRead int // largest single remote read the transport allows; 0: no limit

	buf     []byte
	bufOff  int64
	fetched int64
	calls   int
	readErr error
}

func newChunkReader(r io.ReaderAt, size int64, maxRead int) *chunkReader {
	return &chunkReader{r: r, size: size, maxRead: maxRead}
}

// ReadAt implements io.ReaderAt; a read past the end returns what exists and io.EOF.
func (c *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	if off >= c.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	short := false
	if want > c.size-off {
		want, short = c.size-off, true
	}
	if off < c.bufOff || off+want > c.bufOff+int64(len(c.buf)) {
		if err := c.fill(off, want); err != nil {
			return 0, err
		}
	}
	n := copy(p[:want], c.buf[off-c.bufOff:])
	if short {
		return n, io.EOF
	}
	return n, nil
}

// fill fetches [off, off+max(want, minFetch)) clipped to the file.
func (c *chunkReader) fill(off, want int64) error {
	n := max(want, minFetch)
	if n > c.size-off {
		n = c.size - off
	}
	if c.fetched+n > maxFetched {
		c.readErr = fmt.Errorf("%w: the parser asked for more than %d bytes", errReadBudget, maxFetched)
		return c.readErr
	}
	buf := make([]byte, n)
	got := 0
	for got < len(buf) {
		end := len(buf)
		if c.maxRead > 0 && end-got > c.maxRead {
			end = got + c.maxRead
		}
		c.calls++
		m, err := c.r.ReadAt(buf[got:end], off+int64(got))
		if m < 0 || m > end-got {
			c.readErr = fmt.Errorf("%w: remote read returned %d bytes for %d", ErrProtocol, m, end-got)
			return c.readErr
		}
		got += m
		c.fetched += int64(m)
		if got < end && (err == nil || errors.Is(err, io.EOF)) && m == 0 {
			// The file is shorter than its announced size (it shrank, or the server lies).
			c.readErr = fmt.Errorf("%w: file ends at %d, before its size %d", io.ErrUnexpectedEOF, off+int64(got), c.size)
			return c.readErr
		}
		if err != nil && !errors.Is(err, io.EOF) {
			c.readErr = err
			return err
		}
		if err != nil && got < end {
			c.readErr = fmt.Errorf("%w: file ends at %d, before its size %d", io.ErrUnexpectedEOF, off+int64(got), c.size)
			return c.readErr
		}
	}
	c.buf, c.bufOff = buf, off
	return nil
}
