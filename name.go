package roster

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NameKey returns the form of a role name that uniqueness compares, so
// that names that look alike cannot sit side by side: NFKC (full-width
// and other compatibility forms become their plain letters), case-folded
// (Straße and STRASSE, Σ and ς), NFKC again (folding can undo the
// normalisation), without the characters Unicode says to ignore
// (Default_Ignorable_Code_Point: zero-width and format characters,
// variation selectors, fillers), and NFKC once more, since taking one of
// those out can leave a letter and its accent to compose. This is, near
// enough, Unicode's NFKC_Casefold mapping; a key is its own key.
func NameKey(name string) string {
	k := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(name)))
	if strings.IndexFunc(k, ignorable) >= 0 {
		k = norm.NFKC.String(strings.Map(func(r rune) rune {
			if ignorable(r) {
				return -1
			}
			return r
		}, k))
	}
	return k
}

// ignorable reports whether r is a default-ignorable code point: one a
// renderer shows as nothing.
func ignorable(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) &&
		!unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

// isFormat reports whether r is a format character (Unicode category Cf):
// invisible, it changes how text around it shows, such as a zero-width
// space or joiner, a bidirectional override, or a byte order mark.
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }
