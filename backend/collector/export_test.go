package collector

import (
	"bytes"
	"encoding/csv"
	"math"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestWriteCSV(t *testing.T) {
	nan := math.NaN()
	c := &model.HostCharts{
		Window: 3 * time.Second, Step: time.Second,
		CPU:     []float64{nan, 10, 12.5},
		PerCore: [][]float64{{nan, 5, 6}},
		MemUsed: []float64{1, 2, 3}, SwapUsed: []float64{0, 0, 0},
		Load1: []float64{1, 1, 1}, Load5: []float64{1, 1, 1}, Load15: []float64{1, 1, 1},
		DiskRead: []float64{0, 1024, 2048}, DiskWrite: []float64{0, 0, 0},
		NetRx: []float64{nan, nan, 7}, NetTx: []float64{0, 0, 0},
	}
	var buf bytes.Buffer
	end := time.Date(2026, 11, 26, 12, 0, 2, 0, time.UTC)
	if err := WriteCSV(&buf, c, end); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "time" || rows[0][1] != "cpu_percent" || rows[0][2] != "cpu0_percent" {
		t.Fatalf("header/rows: %v", rows)
	}
	if rows[1][0] != "2026-11-26T12:00:00Z" || rows[3][0] != "2026-11-26T12:00:02Z" {
		t.Fatalf("times: %v %v", rows[1][0], rows[3][0])
	}
	if rows[1][1] != "" || rows[3][1] != "12.5" {
		t.Fatalf("a missing sample must be an empty cell: %v", rows[1])
	}
	if got := rows[3][len(rows[3])-2]; got != "7" {
		t.Fatalf("net rx now = %q", got)
	}
}
