package collector

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// WriteCSV writes the charted host history as CSV: one row per point, the
// first column its time (RFC 3339, UTC) given that the newest point was
// taken at end. Missing samples are empty cells, not zeros.
func WriteCSV(w io.Writer, c *model.HostCharts, end time.Time) error {
	type col struct {
		name string
		v    []float64
	}
	cols := []col{{"cpu_percent", c.CPU}}
	for i, v := range c.PerCore {
		cols = append(cols, col{fmt.Sprintf("cpu%d_percent", i), v})
	}
	cols = append(cols,
		col{"mem_used_bytes", c.MemUsed}, col{"swap_used_bytes", c.SwapUsed},
		col{"load1", c.Load1}, col{"load5", c.Load5}, col{"load15", c.Load15},
		col{"disk_read_bytes_per_sec", c.DiskRead}, col{"disk_write_bytes_per_sec", c.DiskWrite},
		col{"net_rx_bytes_per_sec", c.NetRx}, col{"net_tx_bytes_per_sec", c.NetTx},
	)
	cw := csv.NewWriter(w)
	head := []string{"time"}
	for _, k := range cols {
		head = append(head, k.name)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	n := len(c.CPU)
	row := make([]string, len(head))
	for i := range n {
		row[0] = end.Add(-time.Duration(n-1-i) * c.Step).UTC().Format(time.RFC3339)
		for j, k := range cols {
			row[j+1] = ""
			if i < len(k.v) && !math.IsNaN(k.v[i]) {
				row[j+1] = strconv.FormatFloat(k.v[i], 'f', -1, 64)
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
