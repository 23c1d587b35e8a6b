package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
)

const checkHistory = "history store"

// historyInfo describes the history store the app records into.
func (c *checker) historyInfo() (history.Info, error) {
	if c.history != nil {
		return c.history()
	}
	dir, err := history.DefaultDir()
	if err != nil {
		return history.Info{}, err
	}
	return history.Inspect(dir)
}

// historyStore says where the history is, its size and its oldest sample.
func (c *checker) historyStore(context.Context) Result {
	r := Result{Check: checkHistory}
	in, err := c.historyInfo()
	switch {
	case err != nil && in.Path != "" && errors.Is(statErr(in.Path), os.ErrNotExist):
		r.Status = StatusWarning
		r.Detail = fmt.Sprintf("no history yet at %s: charts beyond the last hour stay empty until Horcrux has recorded some", in.Path)
		r.Fix = "run the Horcrux window or `horcrux exporter`: they record the history while they run"
	case err != nil:
		r.Status = StatusFailed
		r.Detail = fmt.Sprintf("the history store cannot be read: %v; charts beyond the last hour stay empty", err)
		r.Fix = "move the file aside (Horcrux starts a new one), or set XDG_DATA_HOME to a writable directory"
	default:
		r.Status = StatusOK
		oldest := "no samples yet"
		if !in.Oldest.IsZero() {
			oldest = "oldest sample " + in.Oldest.Local().Format(time.DateTime)
		}
		r.Detail = fmt.Sprintf("%s, %s, %s, %d item(s)", in.Path, sizeWords(in.Size), oldest, in.Items)
	}
	return r
}

func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}

// sizeWords is a file size for people.
func sizeWords(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
