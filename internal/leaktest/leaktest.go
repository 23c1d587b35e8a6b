// Package leaktest checks, in tests, that no goroutine outlives its owner,
// knowing the one goroutine that lives for the whole process by design.
package leaktest

import (
	"testing"

	"go.uber.org/goleak"
)

// Options are goleak's options with libvirt's event loop ignored: libvirt
// has one loop per process that cannot be unregistered, started by
// backend/vm at the first connection and run until the process exits.
func Options(more ...goleak.Option) []goleak.Option {
	return append([]goleak.Option{goleak.IgnoreAnyFunction("libvirt.org/go/libvirt.EventRunDefaultImpl")}, more...)
}

// VerifyTestMain runs a package's tests and fails them when a goroutine is
// left behind once they are over.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m, Options()...)
}
