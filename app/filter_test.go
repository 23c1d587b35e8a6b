package app

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical form
	}{
		{"", ""},
		{"   ", ""},
		{"web", `"web"`},
		{"Web  DB", `"web" "db"`},
		{"state:running", `state:"running"`},
		{"State:Running", `state:"running"`},
		{"-state:running", `-state:"running"`},
		{"state:", ""}, // being typed
		{`"exited (2)"`, `"exited (2)"`},
		{`status:"exited (2)"`, `status:"exited (2)"`},
		{`"state:running"`, `"state:running"`}, // quoted: plain text
		{"qemu:///system", `qemu:"///system"`},
		{"-", `"-"`},
		{`"-web"`, `"-web"`},
		{`-"web"`, `-"web"`},
		{"ip:10.0.0.", `ip:"10.0.0."`},
		{"1.2:3", `"1.2:3"`}, // not a field name
		{`""`, ""},
		{`"unclosed quote`, `"unclosed quote"`},
	}
	for _, tt := range tests {
		if got := parseFilter(tt.in).String(); got != tt.want {
			t.Errorf("parseFilter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	web := []filterField{{"Name", "web-01"}, {"State", "running"}, {"Image", "nginx:1.27"}, {"host", "qemu:///system"}, {"IP", "10.0.0.5"}}
	db := []filterField{{"Name", "db"}, {"State", "shut off"}, {"Image", "postgres"}, {"host", "qemu+ssh://far/system"}}
	tests := []struct {
		filter  string
		web, db bool
	}{
		{"", true, true},
		{"WEB", true, false},
		{"state:running", true, false},
		{"state:run", true, false},
		{"-state:running", false, true},
		{`state:"shut off"`, false, true},
		{"state:shut off", false, true}, // two terms; "off" is in db's state
		{"image:nginx", true, false},
		{"host:far", false, true},
		{"ip:10.0", true, false}, // db has no IP: the term looks in its other fields
		{"qemu:///system", true, false},
		{"nginx:1.27", true, false}, // nginx is not a field: the whole word is text
		{"web state:shut", false, false},
		{"name:system", false, false}, // only in host
	}
	for _, tt := range tests {
		f := parseFilter(tt.filter)
		if got := f.match(web); got != tt.web {
			t.Errorf("%q on web = %v, want %v", tt.filter, got, tt.web)
		}
		if got := f.match(db); got != tt.db {
			t.Errorf("%q on db = %v, want %v", tt.filter, got, tt.db)
		}
	}
	if fieldKey("Disk read") != "diskread" || fieldKey("IP") != "ip" {
		t.Errorf("fieldKey: %q %q", fieldKey("Disk read"), fieldKey("IP"))
	}
}

// FuzzParseFilter: any text typed in the box parses, terms are never empty,
// the canonical form parses back to the same filter, and a row holding
// every term's text (and nothing negated) passes.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "web", "-state:running", `status:"exited (2)"`, "qemu:///system", `"a b`, "-\"-\"", "x:\"y:z\"", "\xff:\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := parseFilter(s)
		for _, term := range p.terms {
			if term.text == "" || term.text != strings.ToLower(term.text) {
				t.Fatalf("%q: bad term %+v", s, term)
			}
		}
		again := parseFilter(p.String())
		if again.String() != p.String() || len(again.terms) != len(p.terms) {
			t.Fatalf("%q: %s parses back to %s", s, p, again)
		}
		var fields []filterField
		var positive filter
		for _, term := range p.terms {
			if !term.not {
				fields = append(fields, filterField{term.field, term.text})
				positive.terms = append(positive.terms, term)
			}
		}
		if !positive.match(fields) {
			t.Fatalf("%q: a row holding every term does not pass %s", s, positive)
		}
	})
}
