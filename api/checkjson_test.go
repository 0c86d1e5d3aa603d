package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// checkBodyCases are bodies of the lean check path: want is what it reads,
// or nil when it leaves the body to the documented operation.
var checkBodyCases = []struct {
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
	{"revision past int64", `{"userId":"u","permission":"P_X","minRevision":9223372036854775808}`, false, nil},
	{"string revision", `{"userId":"u","permission":"P_X","minRevision":"1"}`, false, nil},
	{"trailing data", `{"userId":"u","permission":"P_X"} {}`, false, nil},
	{"form feed", "{\f\"userId\":\"u\",\"permission\":\"P_X\"}", false, nil},
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

func TestParseCheckBody(t *testing.T) {
	t.Parallel()
	for _, tc := range checkBodyCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseCheckBody(tc.body, tc.batch, nil)
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

// FuzzParseCheckBody checks that whatever the lean parser accepts, the
// documented operation reads the same way: encoding/json, refusing unknown
// members and trailing data, decodes it into the operation's body type to
// the same checks and minRevision, and the body has none of what the
// operation's schema refuses and that decoding lets through.
func FuzzParseCheckBody(f *testing.F) {
	valid := []struct {
		body  string
		batch bool
	}{
		{`{"communityId":"c1","userId":"u1","permission":"SEND_MESSAGES","minRevision":12}`, false},
		{`{"userId":"u","permission":"P_X"}`, false},
		{` {"channelId":"ch","communityId":"c","permission":"P_X","userId":"u","minRevision":999999999999999999}` + "\n", false},
		{`{"checks":[{"communityId":"c1","channelId":"x","userId":"u1","permission":"P_A"},{"userId":"u2","permission":"P_B"}],"minRevision":3}`, true},
		{`{"checks":[{"userId":"u","permission":"P_X"}]}`, true},
		{"{\"minRevision\" : 0 ,\r\n\t\"checks\" : [ {\"permission\":\"P\",\"userId\":\"u\"} , {\"userId\":\"v\",\"permission\":\"Q\"} ] }", true},
	}
	for _, v := range valid {
		// The property holds of nothing unless some bodies are accepted.
		if _, ok := parseCheckBody(v.body, v.batch, nil); !ok {
			f.Fatalf("%s: refused; want it read", v.body)
		}
		f.Add(v.body, v.batch)
		f.Add(v.body, !v.batch)
	}
	for _, tc := range checkBodyCases {
		f.Add(tc.body, false)
		f.Add(tc.body, true)
	}
	f.Fuzz(func(t *testing.T, body string, batch bool) {
		got, ok := parseCheckBody(body, batch, nil)
		if !ok {
			return
		}
		want, err := decodeCheckBody(body, batch)
		if err != nil {
			t.Fatalf("%q (batch %v): read as %+v, but JSON says %v", body, batch, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q (batch %v): lean parser read %+v, JSON %+v", body, batch, got, want)
		}
		if err := checkBodyShape(body, batch); err != nil {
			t.Fatalf("%q (batch %v): read as %+v, but the operation refuses it: %v", body, batch, got, err)
		}
	})
}

// decodeCheckBody reads a body as the documented operation's body type,
// refusing unknown members and anything after the object.
func decodeCheckBody(body string, batch bool) (checkRequest, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var in checkBatchBody
	var single checkBody
	var err error
	if batch {
		err = dec.Decode(&in)
	} else {
		err = dec.Decode(&single)
		in = checkBatchBody{Checks: []CheckItem{single.CheckItem}, MinRevision: single.MinRevision}
	}
	if err != nil {
		return checkRequest{}, err
	}
	if rest := strings.TrimLeft(body[dec.InputOffset():], " \t\r\n"); rest != "" {
		return checkRequest{}, fmt.Errorf("%q after the body", rest)
	}
	out := checkRequest{min: roster.Revision(in.MinRevision)}
	for _, c := range in.Checks {
		out.checks = append(out.checks, c.check())
	}
	return out, nil
}

// checkBodyShape reports what the operation's schema refuses in a body that
// decoding into its type lets through: a member named in another case, a
// null, a missing or empty id or permission, or a negative minRevision.
func checkBodyShape(body string, batch bool) error {
	var top map[string]any
	if err := json.Unmarshal([]byte(body), &top); err != nil {
		return err
	}
	const fields = "communityId channelId userId permission"
	items, members := []any{top}, fields+" minRevision"
	if batch {
		checks, ok := top["checks"].([]any)
		if !ok || len(checks) == 0 {
			return fmt.Errorf("checks is %#v", top["checks"])
		}
		items, members = checks, "checks minRevision"
	}
	if err := onlyMembers(top, members); err != nil {
		return err
	}
	if v, ok := top["minRevision"]; ok {
		if n, ok := v.(float64); !ok || n < 0 {
			return fmt.Errorf("minRevision is %#v", v)
		}
	}
	for i, it := range items {
		c, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("checks[%d] is %#v", i, it)
		}
		if batch {
			if err := onlyMembers(c, fields); err != nil {
				return fmt.Errorf("checks[%d]: %v", i, err)
			}
		}
		for _, k := range strings.Fields(fields) {
			v, present := c[k]
			required := k == "userId" || k == "permission"
			if s, ok := v.(string); present && (!ok || s == "") || !present && required {
				return fmt.Errorf("%s is %#v", k, v)
			}
		}
	}
	return nil
}

// onlyMembers reports a member of m not named in names, which are matched
// exactly (encoding/json matches them in any case).
func onlyMembers(m map[string]any, names string) error {
	for k := range m {
		if !strings.Contains(" "+names+" ", " "+k+" ") {
			return fmt.Errorf("unknown member %q", k)
		}
	}
	return nil
}
