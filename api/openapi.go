package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
)

// upsertKey marks, in an operation's metadata, a PUT that creates or
// updates.
const upsertKey = "roster.upsert"

// upserting registers a PUT whose handler answers 201 when it creates and
// 200 when it updates (upserted); describeAnswers documents both.
func upserting[I, T any](api huma.API, o huma.Operation, handler func(context.Context, *I) (*upserted[T], error)) {
	if o.Metadata == nil {
		o.Metadata = map[string]any{}
	}
	o.Metadata[upsertKey] = true
	huma.Register(api, o, handler)
}

// describeAnswers completes what huma documents of an operation's answers
// (an OnAddOperation hook): the 201 of an upserting PUT beside its 200.
func describeAnswers(_ *huma.OpenAPI, o *huma.Operation) {
	if up, _ := o.Metadata[upsertKey].(bool); up {
		ok := o.Responses["200"]
		o.Responses["201"] = &huma.Response{Description: "Created", Content: ok.Content, Headers: ok.Headers}
		ok.Description = "Updated: it existed"
	}
}
