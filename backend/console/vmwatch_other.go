//go:build !linux

package console

// vmWatch is Linux's: elsewhere an idle pump waits in its goroutine.
type vmWatch struct{}

func newVMWatch(func(*session)) *vmWatch { return &vmWatch{} }

func (*vmWatch) park(*session) bool { return false }
func (*vmWatch) unpark(*session)    {}
func (*vmWatch) close()             {}
