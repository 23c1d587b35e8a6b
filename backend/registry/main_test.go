package registry

import (
	"testing"

	"github.com/horcrux-desktop/horcrux/internal/leaktest"
)

// TestMain fails the package's tests when a goroutine outlives them: every
// goroutine here has an owner that must end it.
func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}
