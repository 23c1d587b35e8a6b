package toolkitlocale

import "testing"

func TestLanguage(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for no change
	}{
		{"nothing set", nil, ""},
		{"LANG=C", map[string]string{"LANG": "C"}, "en"},
		{"LANG=C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"LANG=POSIX", map[string]string{"LANG": "POSIX"}, "en"},
		{"LANG=C.utf8@x", map[string]string{"LANG": "C.utf8@x"}, "en"},
		{"LC_ALL=C.UTF-8 wins over LANG", map[string]string{"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "en"},
		{"LC_MESSAGES=C.UTF-8 wins over LANG", map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "en"},
		{"LC_ALL=de_DE wins over LANG=C", map[string]string{"LC_ALL": "de_DE.UTF-8", "LANG": "C.UTF-8"}, ""},
		{"a real locale", map[string]string{"LANG": "en_GB.UTF-8"}, ""},
		{"a language starting with C", map[string]string{"LANG": "ca_ES.UTF-8"}, ""},
		{"LANGUAGE already set", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := language(func(k string) string { return tc.env[k] })
			if ok != (tc.want != "") || got != tc.want {
				t.Fatalf("language() = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
