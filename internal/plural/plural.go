// Package plural writes counts of things in English: "1 machine", "2 machines".
package plural

import "strconv"

// Count is n followed by noun, with an "s" unless n is 1 ("0 VMs", "1 VM").
func Count(n int, noun string) string {
	return strconv.Itoa(n) + " " + Noun(n, noun)
}

// Noun is noun as it follows the number n: with an "s" unless n is 1.
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
