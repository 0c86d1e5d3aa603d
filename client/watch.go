package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// Watch streams the change log's events of the filter after a revision
// (GET /v1/watch, Server-Sent Events) as they come, until ctx ends or the
// stream does, which it yields as an error: go on from the last event's
// revision to miss nothing.
func (c *Client) Watch(ctx context.Context, f roster.EventFilter, after roster.Revision) iter.Seq2[roster.Event, error] {
	return func(yield func(roster.Event, error) bool) {
		q := filterQuery(f)
		q.Set("after", strconv.FormatInt(int64(after), 10))
		body, err := c.stream(ctx, call{method: "GET", path: "/v1/watch", query: q})
		if err != nil {
			yield(roster.Event{}, err)
			return
		}
		defer body.Close()
		lines := bufio.NewScanner(body)
		lines.Buffer(make([]byte, 64<<10), maxAnswer)
		var event, data string
		for lines.Scan() {
			line := lines.Text()
			switch {
			case line == "":
				if event == "change" {
					var e roster.Event
					if err := json.Unmarshal([]byte(data), &e); err != nil {
						yield(roster.Event{}, fmt.Errorf("client: a change of the stream: %w", err))
						return
					}
					if !yield(e, nil) {
						return
					}
				}
				event, data = "", ""
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ")
			}
		}
		if ctx.Err() != nil {
			return
		}
		err = lines.Err()
		if err == nil {
			err = fmt.Errorf("client: the change stream ended")
		}
		yield(roster.Event{}, &Unreachable{URL: c.bases[c.current.Load()].String(), Err: err})
	}
}

// Health reports whether the server is alive (GET /healthz), whatever its
// database.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, call{method: "GET", path: "/healthz", out: &health{}})
	return err
}
