package roster

import "unicode"

// isFormat reports whether r is a format character (Unicode category Cf):
// invisible, it changes how text around it shows, such as a zero-width
// space or joiner, a bidirectional override, or a byte order mark.
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }
