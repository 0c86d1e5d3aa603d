package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster"
)

// list is a page of a list as the API answers it.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// pageQuery adds a page's limit and cursor to a query.
func pageQuery(q url.Values, p roster.Page) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// getList reads one page of a list.
func getList[T any](ctx context.Context, c *Client, p string, q url.Values, page roster.Page) ([]T, string, error) {
	var out list[T]
	_, err := c.do(ctx, call{method: "GET", path: p, query: pageQuery(q, page), out: &out})
	if err != nil {
		return nil, "", err
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out.Items, out.NextCursor, nil
}

// All pages through a list, one request per page of limit items (the
// server's default when 0), yielding each item, or the error that ended
// it. list is one of the client's List methods with its other arguments
// bound:
//
//	for m, err := range client.All(0, func(p roster.Page) ([]roster.Member, string, error) {
//		return c.ListMembers(ctx, "guild", roster.MemberFilter{}, p)
//	}) { … }
func All[T any](limit int, list func(roster.Page) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		page := roster.Page{Limit: limit}
		for {
			items, next, err := list(page)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			page.Cursor = next
		}
	}
}
