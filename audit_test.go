package roster

import (
	"slices"
	"strings"
	"testing"
)

// TestEventFilterClean checks the audit filter's texts.
func TestEventFilterClean(t *testing.T) {
	for _, tc := range []struct {
		f    EventFilter
		locs []string
	}{
		{EventFilter{}, nil},
		{EventFilter{CommunityID: "guild", Actor: "bob", Action: ActionRoleCreated, Target: "c1"}, nil},
		{EventFilter{Actor: "é" + strings.Repeat("x", 127), Target: strings.Repeat("x", 128), Action: strings.Repeat("x", 64)}, nil},
		{EventFilter{Actor: "\x00"}, []string{"actor"}},
		{EventFilter{Action: "a\x00"}, []string{"action"}},
		{EventFilter{Target: "\x00b"}, []string{"target"}},
		{EventFilter{Actor: "\xff"}, []string{"actor"}},
		{EventFilter{Target: "a\xc3"}, []string{"target"}},
		{EventFilter{Actor: strings.Repeat("x", 129)}, []string{"actor"}},
		{EventFilter{Action: strings.Repeat("x", 65)}, []string{"action"}},
		{EventFilter{Target: strings.Repeat("x", 129)}, []string{"target"}},
		{EventFilter{CommunityID: "bad id"}, []string{"communityId"}},
		{EventFilter{Actor: "\x00", Action: "\xff", Target: "\x00"}, []string{"actor", "action", "target"}},
	} {
		err := tc.f.Clean()
		if locs, _ := locations(err); !slices.Equal(locs, tc.locs) || (err == nil) != (tc.locs == nil) {
			t.Errorf("%+v: got %v, want %q refused", tc.f, err, tc.locs)
		}
	}
}
