package container

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// FuzzStatsFrame feeds engine stats frames (outside input: any engine at
// DOCKER_HOST) through the decoding and the maths: nothing may panic, and
// no figure may be negative, NaN or infinite.
func FuzzStatsFrame(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/stats/*.json")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, b)
		}
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var a, b container.StatsResponse
		if json.Unmarshal(first, &a) != nil || json.Unmarshal(second, &b) != nil {
			return
		}
		_, prev := figuresOf(&a, counters{})
		fig, _ := figuresOf(&b, prev)
		for _, v := range []float64{fig.cpu, fig.netRx, fig.netTx, fig.blkRd, fig.blkWr} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("figure %v from frames %s then %s", v, first, second)
			}
		}
		var c model.Container
		fig.fill(&c)
	})
}
