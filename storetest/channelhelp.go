package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

// wantField fails unless err names the field loc ("" to skip).
func wantField(tb testing.TB, what string, err error, loc string) {
	tb.Helper()
	e, _ := err.(*roster.Error)
	if loc == "" || e == nil {
		return
	}
	for _, f := range e.Fields {
		if f.Location == loc {
			return
		}
	}
	tb.Errorf("%s: got fields %+v, want one at %s", what, e.Fields, loc)
}

func roleOW(channel, role string, allow, deny []string) roster.Overwrite {
	return roster.Overwrite{ChannelID: channel, Type: roster.OverwriteRole, ID: role, Allow: allow, Deny: deny}
}

func memberOW(channel, user string, allow, deny []string) roster.Overwrite {
	return roster.Overwrite{ChannelID: channel, Type: roster.OverwriteMember, ID: user, Allow: allow, Deny: deny}
}

func decodeOverwrite(t *testing.T, raw json.RawMessage) roster.Overwrite {
	t.Helper()
	var o roster.Overwrite
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Errorf("overwrite payload %s: %v", raw, err)
	}
	return o
}

func sameOverwrite(a, b roster.Overwrite) bool {
	return a.ChannelID == b.ChannelID && a.Type == b.Type && a.ID == b.ID &&
		slices.Equal(a.Allow, b.Allow) && slices.Equal(a.Deny, b.Deny) && a.Allow != nil && a.Deny != nil
}

func wantOverwrite(tb testing.TB, what string, got, want roster.Overwrite) {
	tb.Helper()
	if !sameOverwrite(got, want) {
		tb.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

// wantOverwrites fails unless the channel has exactly the overwrites want,
// in order.
func wantOverwrites(tb testing.TB, what string, c roster.Channel, want ...roster.Overwrite) {
	tb.Helper()
	if !slices.EqualFunc(c.Overwrites, want, sameOverwrite) || c.Overwrites == nil {
		tb.Errorf("%s: got overwrites %+v, want %+v", what, c.Overwrites, want)
	}
}

// MustPutChannel creates or renames a channel.
func MustPutChannel(tb testing.TB, ctx context.Context, s roster.Store, community, id, name string) roster.Channel {
	tb.Helper()
	put, _, err := s.PutChannel(ctx, roster.Channel{CommunityID: community, ID: id, Name: name})
	c := put.Value
	if err != nil {
		tb.Fatalf("PutChannel(%s, %s): %v", community, id, err)
	}
	return c
}

// MustFindChannel returns a channel with its overwrites.
func MustFindChannel(tb testing.TB, ctx context.Context, s roster.Store, community, id string) roster.Channel {
	tb.Helper()
	c, err := s.FindChannel(ctx, community, id)
	if err != nil {
		tb.Fatalf("FindChannel(%s, %s): %v", community, id, err)
	}
	return c
}

// MustDeleteOverwrite removes an overwrite from a channel.
func MustDeleteOverwrite(tb testing.TB, ctx context.Context, s roster.Store, community string, o roster.Overwrite) {
	tb.Helper()
	if _, err := s.DeleteOverwrite(ctx, community, o); err != nil {
		tb.Fatalf("DeleteOverwrite(%s, %s %s %s): %v", community, o.ChannelID, o.Type, o.ID, err)
	}
}

// MustSetOverwrite sets an overwrite in a channel.
func MustSetOverwrite(tb testing.TB, ctx context.Context, s roster.Store, community string, o roster.Overwrite) roster.Overwrite {
	tb.Helper()
	o, _, err := s.SetOverwrite(ctx, community, o)
	if err != nil {
		tb.Fatalf("SetOverwrite(%s, %s %s %s): %v", community, o.ChannelID, o.Type, o.ID, err)
	}
	return o
}
