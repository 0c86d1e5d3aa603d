package sqlstore

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// cursorMark starts every cursor, so that made-up ones are refused rather
// than read as a key.
const cursorMark = "roster:"

// page is a validated page request: at most limit rows after the key the
// cursor carries ("" for the first page).
type page struct {
	limit  int
	after  string
	cursor string
}

func (pg page) badCursor() error {
	return roster.Invalid(roster.FieldError{Location: "cursor", Message: "is not a cursor this API returned", Value: pg.cursor})
}

// parsePage validates a page request.
func parsePage(p roster.Page) (page, error) {
	pg := page{limit: p.Limit, cursor: p.Cursor}
	if err := p.Check(); err != nil {
		return pg, err
	}
	if pg.limit == 0 {
		pg.limit = roster.DefaultPageLimit
	}
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after, ok := strings.CutPrefix(string(b), cursorMark)
		// The key goes to the database as text: it must be text.
		if err != nil || !ok || after == "" || !roster.ValidText(after) {
			return pg, pg.badCursor()
		}
		pg.after = after
	}
	return pg, nil
}

// afterInt returns the cursor's key as a number, for lists ordered by one.
func (pg page) afterInt() (int64, error) {
	if pg.after == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(pg.after, 10, 64)
	if err != nil {
		return 0, pg.badCursor()
	}
	return n, nil
}

// fetch is how many rows a query reads: one more than the page holds, to
// tell whether another page follows.
func (pg page) fetch() int { return pg.limit + 1 }

// paginate trims the rows read to the page and returns the cursor of the
// next page, or "" when none follows.
func paginate[T any](pg page, rows []T, key func(T) string) ([]T, string) {
	if len(rows) <= pg.limit {
		return rows, ""
	}
	rows = rows[:pg.limit]
	return rows, base64.RawURLEncoding.EncodeToString([]byte(cursorMark + key(rows[len(rows)-1])))
}
