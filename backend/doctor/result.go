package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is how a check came out: "ok", "warning" or "failed".
type Status string

// The three statuses; the package comment says which applies when.
const (
	StatusOK      Status = "ok"      // works as Horcrux needs it
	StatusWarning Status = "warning" // a feature is off, and the app says so
	StatusFailed  Status = "failed"  // installed or asked for, but not working
)

// Result is one check's outcome; its JSON shape is public: [{"check","status","detail","fix"}].
type Result struct {
	Check  string `json:"check"`  // what was checked, e.g. "libvirt connection qemu:///system"
	Status Status `json:"status"` // ok, warning or failed
	Detail string `json:"detail"` // what was found and what it means for the user
	Fix    string `json:"fix"`    // the exact fix: a command or a setting; "" when ok
}

// Failed reports whether any result failed; `horcrux doctor` exits 1 then.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == StatusFailed {
			return true
		}
	}
	return false
}

// statusWidth fits the longest tag, "[warning]", and a space.
const statusWidth = len("[warning] ")

// WriteText writes one line per check, "[status] check: detail", with an
// indented "fix: ..." line under each that is not ok.
func WriteText(w io.Writer, rs []Result) error {
	var b strings.Builder
	indent := strings.Repeat(" ", statusWidth)
	for _, r := range rs {
		tag := "[" + string(r.Status) + "]"
		fmt.Fprintf(&b, "%-*s%s: %s\n", statusWidth, tag, r.Check, oneLine(r.Detail))
		if r.Status != StatusOK && r.Fix != "" {
			fmt.Fprintf(&b, "%sfix: %s\n", indent, oneLine(r.Fix))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a multi-line libvirt or Docker message from breaking the layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// WriteJSON writes the results as an indented JSON array ([] when empty).
func WriteJSON(w io.Writer, rs []Result) error {
	if rs == nil {
		rs = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // fixes hold shell commands with < > &
	return enc.Encode(rs)
}
