package api

import (
	"net/http"

	"github.com/rosterhq/roster"
)

// written is the answer of a write without a body.
type written struct {
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
}

// answer is the answer of a write with a body.
type answer[T any] struct {
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
	Body     T
}

func wrote[T any](body T, rev roster.Revision, err error) (*answer[T], error) {
	if err != nil {
		return nil, err
	}
	return &answer[T]{Revision: int64(rev), Body: body}, nil
}

func wroteNothing(rev roster.Revision, err error) (*written, error) {
	if err != nil {
		return nil, err
	}
	return &written{Revision: int64(rev)}, nil
}

// upserted is the answer of a PUT that creates or updates: 201 or 200.
type upserted[T any] struct {
	Status   int
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
	Body     T
}

func upsert[T any](u roster.Upserted[T], rev roster.Revision, err error) (*upserted[T], error) {
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if u.Created {
		status = http.StatusCreated
	}
	return &upserted[T]{Status: status, Revision: int64(rev), Body: u.Value}, nil
}

// body is the answer of a read.
type body[T any] struct {
	Body T
}

func read[T any](v T, err error) (*body[T], error) {
	if err != nil {
		return nil, err
	}
	return &body[T]{Body: v}, nil
}
