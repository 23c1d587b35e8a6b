package console

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/pkg/browser"
)

// Open shows a console page URL from Mint in the user's browser (xdg-open,
// x-www-browser or www-browser). What the browser prints goes to
// browser.Stdout and browser.Stderr, which main points at /dev/null.
// It refuses anything but an http://127.0.0.1:PORT/console/ URL, so it cannot be used to open files or other handlers.
func Open(pageURL string) error {
	if err := checkPageURL(pageURL); err != nil {
		return err
	}
	if err := browser.OpenURL(pageURL); err != nil {
		return fmt.Errorf("no browser could open the console (install xdg-utils and a web browser): %w", err)
	}
	return nil
}

// checkPageURL accepts the URLs Mint makes: http://127.0.0.1:PORT/console/ with a fragment, nothing else.
// Its errors never quote the URL: the fragment holds a ticket.
func checkPageURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("console URL does not parse")
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	switch {
	case u.Scheme != "http" || u.Hostname() != "127.0.0.1" || err != nil || port == 0:
		return errors.New("console URL refused: it is not on http://127.0.0.1:PORT")
	case u.User != nil || u.Opaque != "" || u.Path != pagePath || u.RawPath != "" || u.RawQuery != "" || u.ForceQuery:
		return errors.New("console URL refused: it is not the console page")
	}
	return nil
}
