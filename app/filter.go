package app

import (
	"strings"
	"unicode"
)

// filter is a parsed filter box: a row is shown when every term matches.
type filter struct {
	terms []filterTerm
}

// filterTerm is one word of the filter box: text to find, in one field
// ("state:running") or in any ("web"), or not at all ("-state:running").
type filterTerm struct {
	field string // lower case letters; "" for any field
	text  string // lower case, never empty
	not   bool
}

// filterField is one searchable text of a row, named like its column.
type filterField struct {
	name, text string
}

// parseFilter reads the filter box. Terms are separated by spaces; double
// quotes keep spaces in a term ("exited (2)"); a leading "-" negates a term;
// "field:text" looks in one field only, where field is a column's title in
// lower case without spaces (state, image, host, ip…). A field the table does
// not have is looked for as plain text, so "qemu:///system" works too. A
// field with no text yet ("state:") is ignored while it is being typed.
func parseFilter(s string) filter {
	var f filter
	for _, tok := range splitTerms(s) {
		t := filterTerm{}
		raw, quoted := tok.text, tok.quotedFrom
		if strings.HasPrefix(raw, "-") && quoted != 0 && len(raw) > 1 {
			t.not, raw, quoted = true, raw[1:], quoted-1
		}
		if i := strings.IndexByte(raw, ':'); i > 0 && (quoted < 0 || i < quoted) && isFieldName(raw[:i]) {
			t.field, raw = strings.ToLower(raw[:i]), raw[i+1:]
		}
		t.text = strings.ToLower(raw)
		if t.text == "" {
			continue
		}
		f.terms = append(f.terms, t)
	}
	return f
}

// token is one space-separated word; quotedFrom is the byte offset in text
// where the first quoted part began, -1 when none was quoted.
type token struct {
	text       string
	quotedFrom int
}

// splitTerms splits s at spaces outside double quotes, dropping the quotes.
func splitTerms(s string) []token {
	var (
		out    []token
		cur    strings.Builder
		quoted = -1
		in     bool // inside quotes
		any    bool // a term has started (a "" term is still a term)
	)
	flush := func() {
		if any {
			out = append(out, token{text: cur.String(), quotedFrom: quoted})
		}
		cur.Reset()
		quoted, any = -1, false
	}
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"':
			if quoted < 0 {
				quoted = cur.Len()
			}
			in, any = !in, true
		case unicode.IsSpace(r) && !in:
			flush()
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	flush()
	return out
}

// isFieldName reports whether s can name a field: ASCII letters only.
func isFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// empty reports whether the filter lets every row through.
func (f filter) empty() bool { return len(f.terms) == 0 }

// String is the filter in a canonical form that parses back to itself.
func (f filter) String() string {
	parts := make([]string, len(f.terms))
	for i, t := range f.terms {
		var b strings.Builder
		if t.not {
			b.WriteByte('-')
		}
		if t.field != "" {
			b.WriteString(t.field + ":")
		}
		b.WriteString(`"` + t.text + `"`)
		parts[i] = b.String()
	}
	return strings.Join(parts, " ")
}

// match reports whether a row with these fields passes every term.
// Fields' texts are compared case-insensitively.
func (f filter) match(fields []filterField) bool {
	for _, t := range f.terms {
		if t.matches(fields) == t.not {
			return false
		}
	}
	return true
}

// matches reports whether the term's text is in its field, or in any field
// when it names none or names one the row does not have.
func (t filterTerm) matches(fields []filterField) bool {
	if t.field != "" {
		found := false
		for _, fl := range fields {
			if fieldKey(fl.name) == t.field {
				found = true
				if strings.Contains(strings.ToLower(fl.text), t.text) {
					return true
				}
			}
		}
		if found {
			return false
		}
		// Not a field of this table: the whole word is text ("qemu:///system").
		text := t.field + ":" + t.text
		for _, fl := range fields {
			if strings.Contains(strings.ToLower(fl.text), text) {
				return true
			}
		}
		return false
	}
	for _, fl := range fields {
		if strings.Contains(strings.ToLower(fl.text), t.text) {
			return true
		}
	}
	return false
}

// fieldKey is the name a filter uses for a column title: lower case
// letters only ("Disk read" is "diskread").
func fieldKey(title string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, title)
}
