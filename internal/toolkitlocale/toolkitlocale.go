// Package toolkitlocale makes Fyne read a C or POSIX locale as English.
//
// Fyne looks up the user's language in the init of its lang package, through
// github.com/jeandeaual/go-locale, which turns LANG=C.UTF-8 (the usual value
// in containers and minimal installs) into the tag "C". Fyne cannot parse
// that tag and logs "Error parsing user locale C" on stderr, before main
// runs, in every command. A C or POSIX locale means untranslated messages,
// which for Fyne is English; this package says so in LANGUAGE, the variable
// go-locale reads next, before Fyne reads it.
//
// It works by import alone (main imports it) and relies on the order Go
// initializes packages in: in import-path order, each package once all its
// imports are. This package imports only what go-locale imports too, and its
// path sorts before github.com/jeandeaual/go-locale, so its init runs before
// go-locale's and so before Fyne's. TestCommandsPrintNothingOnStderr in the
// root package checks it with the built binary.
package toolkitlocale

import (
	"os"
	"strings"
)

func init() {
	if v, ok := language(os.Getenv); ok {
		os.Setenv("LANGUAGE", v)
	}
}

// language returns the LANGUAGE value to set so that go-locale reports
// English when the locale in effect (LC_ALL, else LC_MESSAGES, else LANG)
// is C or POSIX, with or without an encoding; ok is false when LANGUAGE is
// already set or the locale is another one.
func language(getenv func(string) string) (string, bool) {
	if getenv("LANGUAGE") != "" {
		return "", false
	}
	var loc string
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(name); loc != "" {
			break
		}
	}
	// "C.UTF-8", "POSIX@euro": the language is what precedes the encoding
	// and the modifier.
	name, _, _ := strings.Cut(loc, ".")
	name, _, _ = strings.Cut(name, "@")
	if name != "C" && name != "POSIX" {
		return "", false
	}
	return "en", true
}
