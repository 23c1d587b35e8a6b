package doctor

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
)

func TestHistoryStoreCheck(t *testing.T) {
	dir := t.TempDir()
	// Nothing recorded yet: a warning that says where it will be.
	c := newChecker(Config{History: func() (history.Info, error) { return history.Inspect(dir) }})
	expect(t, c.historyStore(context.Background()), StatusWarning, []string{"no history yet at " + filepath.Join(dir, history.FileName)}, []string{"horcrux exporter"})

	// A real store: where, how big, its oldest sample.
	st, err := history.Open(dir, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Now().Add(-time.Hour).Truncate(time.Second)
	st.SeeItem(history.HostItem, history.KindHost, "box", "", first)
	st.Add(history.HostItem, history.MetricCPU, first, 1)
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	c = newChecker(Config{History: func() (history.Info, error) { return st.Info(), nil }})
	expect(t, c.historyStore(context.Background()), StatusOK,
		[]string{filepath.Join(dir, history.FileName), "KiB", "oldest sample " + first.Local().Format(time.DateTime), "1 item"}, nil)
	st.Close()

	c = newChecker(Config{History: func() (history.Info, error) {
		return history.Info{Path: filepath.Join(dir, history.FileName)}, errors.New("damaged: page 7")
	}})
	expect(t, c.historyStore(context.Background()), StatusFailed, []string{"cannot be read: damaged: page 7"}, []string{"move the file aside"})
}
