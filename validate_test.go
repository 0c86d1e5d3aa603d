package roster

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestValidatorsMatchPatterns checks that the spelled-out validators accept
// exactly what the documented patterns do.
func TestValidatorsMatchPatterns(t *testing.T) {
	id, key := regexp.MustCompile(IDPattern), regexp.MustCompile(PermissionKeyPattern)
	const alphabet = "aZz09._:@-A_B \n/é\x00"
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []string{"", "a", strings.Repeat("a", 128), strings.Repeat("a", 129), "A", "AB", "A_", "_A", "AB\n",
		"A" + strings.Repeat("B", 63), "A" + strings.Repeat("B", 64), "a@b.c:d-e_f", "ab\n", ".", "..", "...", ".a", "..a", "a.", ".-", "._."}
	for range 20000 {
		n := rng.IntN(70)
		if rng.IntN(10) == 0 {
			n = 120 + rng.IntN(20)
		}
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := ValidID(s), id.MatchString(s); got != want {
			t.Errorf("ValidID(%q): got %v, want %v", s, got, want)
		}
		if got, want := ValidPermissionKey(s), key.MatchString(s); got != want {
			t.Errorf("ValidPermissionKey(%q): got %v, want %v", s, got, want)
		}
	}
}
