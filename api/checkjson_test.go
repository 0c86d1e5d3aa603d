package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rosterhq/roster"
)

func TestParseCheckBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		body  string
		batch bool
		want  *checkRequest
	}{
		{"single", `{"communityId":"c1","userId":"u1","permission":"SEND_MESSAGES"}`, false,
			&checkRequest{checks: []roster.Check{{CommunityID: "c1", UserID: "u1", Permission: "SEND_MESSAGES"}}}},
		{"spaces and order", " {\n\t\"permission\" : \"P_X\", \"channelId\":\"ch\",\"userId\": \"u\" , \"communityId\":\"c\", \"minRevision\": 42 }\r\n", false,
			&checkRequest{checks: []roster.Check{{CommunityID: "c", ChannelID: "ch", UserID: "u", Permission: "P_X"}}, min: 42}},
		{"platform", `{"userId":"u","permission":"P_X","minRevision":0}`, false,
			&checkRequest{checks: []roster.Check{{UserID: "u", Permission: "P_X"}}}},
		{"batch", `{"minRevision":7,"checks":[{"userId":"a","permission":"P_A"},{"communityId":"c","userId":"b","permission":"P_B","channelId":"x"}]}`, true,
			&checkRequest{min: 7, checks: []roster.Check{{UserID: "a", Permission: "P_A"}, {CommunityID: "c", ChannelID: "x", UserID: "b", Permission: "P_B"}}}},
		{"empty community", `{"communityId":"","userId":"u","permission":"P_X"}`, false, nil},
		{"empty channel in a batch", `{"checks":[{"communityId":"c","channelId":"","userId":"u","permission":"P_X"}]}`, true, nil},
		{"escape", `{"userId":"u\u0041","permission":"P_X"}`, false, nil},
		{"unknown member", `{"userId":"u","permission":"P_X","extra":1}`, false, nil},
		{"member in another case", `{"UserId":"u","permission":"P_X"}`, false, nil},
		{"repeated member", `{"userId":"u","userId":"v","permission":"P_X"}`, false, nil},
		{"null", `{"userId":null,"permission":"P_X"}`, false, nil},
		{"missing user", `{"permission":"P_X"}`, false, nil},
		{"negative revision", `{"userId":"u","permission":"P_X","minRevision":-1}`, false, nil},
		{"fractional revision", `{"userId":"u","permission":"P_X","minRevision":1.5}`, false, nil},
		{"exponent revision", `{"userId":"u","permission":"P_X","minRevision":1e3}`, false, nil},
		{"leading zero", `{"userId":"u","permission":"P_X","minRevision":01}`, false, nil},
		{"huge revision", `{"userId":"u","permission":"P_X","minRevision":1234567890123456789}`, false, nil},
		{"string revision", `{"userId":"u","permission":"P_X","minRevision":"1"}`, false, nil},
		{"trailing data", `{"userId":"u","permission":"P_X"} {}`, false, nil},
		{"trailing comma", `{"userId":"u","permission":"P_X",}`, false, nil},
		{"not an object", `["u"]`, false, nil},
		{"unterminated", `{"userId":"u","permission":"P_X"`, false, nil},
		{"non-ASCII", `{"userId":"é","permission":"P_X"}`, false, nil},
		{"checks in a single", `{"checks":[{"userId":"u","permission":"P_X"}]}`, false, nil},
		{"fields in a batch", `{"userId":"u","permission":"P_X","checks":[{"userId":"u","permission":"P_X"}]}`, true, nil},
		{"empty batch", `{"checks":[]}`, true, nil},
		{"no checks", `{"minRevision":1}`, true, nil},
		{"nested minRevision", `{"checks":[{"userId":"u","permission":"P_X","minRevision":1}]}`, true, nil},
		{"check not an object", `{"checks":["u"]}`, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseCheckBody(tc.body, tc.batch)
			if tc.want == nil {
				if ok {
					t.Fatalf("got %+v, want it left to the operation", got)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, *tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, ok, *tc.want)
			}
		})
	}
}

// TestParseCheckBodyAgreesWithJSON mutates well-formed bodies at random and
// checks that whatever the lean parser accepts, a strict JSON decoder reads
// the same way.
func TestParseCheckBodyAgreesWithJSON(t *testing.T) {
	t.Parallel()
	type item struct {
		CommunityID *string `json:"communityId"`
		ChannelID   *string `json:"channelId"`
		UserID      string  `json:"userId"`
		Permission  string  `json:"permission"`
	}
	type body struct {
		item
		Checks      []item `json:"checks"`
		MinRevision *int64 `json:"minRevision"`
	}
	seeds := []string{
		`{"communityId":"c1","userId":"u1","permission":"SEND_MESSAGES","minRevision":12}`,
		`{"checks":[{"communityId":"c1","channelId":"x","userId":"u1","permission":"P_A"},{"userId":"u2","permission":"P_B"}],"minRevision":3}`,
	}
	const alphabet = `{}[]",:\ 0123456789.-eEnulxPcU`
	rng := rand.New(rand.NewPCG(3, 4))
	accepted := 0
	for range 200000 {
		b := []byte(seeds[rng.IntN(len(seeds))])
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		batch := bytes.Contains(b, []byte(`"checks"`))
		got, ok := parseCheckBody(string(b), batch)
		if !ok {
			continue
		}
		accepted++
		var in body
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || dec.More() {
			t.Fatalf("%s: accepted, but JSON says %v", b, err)
		}
		items := []item{in.item}
		if batch {
			items = in.Checks
		}
		want := checkRequest{}
		if in.MinRevision != nil {
			want.min = roster.Revision(*in.MinRevision)
		}
		for _, it := range items {
			c := roster.Check{UserID: it.UserID, Permission: it.Permission}
			if it.CommunityID != nil {
				c.CommunityID = *it.CommunityID
			}
			if it.ChannelID != nil {
				c.ChannelID = *it.ChannelID
			}
			want.checks = append(want.checks, c)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: lean parser read %+v, JSON %+v", b, got, want)
		}
	}
	if accepted < 1000 {
		t.Errorf("only %d mutated bodies were accepted: the test exercises too little", accepted)
	}
}
