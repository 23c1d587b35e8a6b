package console

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/pkg/browser"
)

// Open shows a console page URL from Mint in the user's browser (xdg-open,
// x-www-browser or www-browser). What the browser prints goes to
// browser.Stdout and browser.Stderr, which main points at /dev/null.
// It refuses anything but an http://127.0.0.1:PORT/console/ URL, so it cannot be used to open files or other handlers.
func Open(pageURL string) error { return openWithin(pageURL, launchWait) }

// launchWait bounds how long Open waits for the launcher. Some launchers
// return only when the browser they started exits: one still running after
// this has started it, and the console is open.
const launchWait = 5 * time.Second

func openWithin(pageURL string, wait time.Duration) error {
	if err := checkPageURL(pageURL); err != nil {
		return err
	}
	done := make(chan error, 1) // the launcher's goroutine ends with it, sent or not
	go func() { done <- browser.OpenURL(pageURL) }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("no browser could open the console (install xdg-utils and a web browser): %w", err)
		}
	case <-t.C:
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
