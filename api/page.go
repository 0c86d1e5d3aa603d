package api

import (
	"github.com/rosterhq/roster"
)

// PageParams are the query parameters of every list.
type PageParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Items per page, 1-1000."`
	Cursor string `query:"cursor" maxLength:"512" doc:"The nextCursor of the previous page."`
}

func (p PageParams) page() roster.Page { return roster.Page{Limit: p.Limit, Cursor: p.Cursor} }

// List is a page of a list.
type List[T any] struct {
	Items []T `json:"items"`
	// NextCursor is absent on the last page.
	NextCursor string `json:"nextCursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page."`
}

type listOutput[T any] struct {
	Body List[T]
}

func listOf[T any](items []T, next string, err error) (*listOutput[T], error) {
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []T{}
	}
	return &listOutput[T]{Body: List[T]{Items: items, NextCursor: next}}, nil
}
