//go:build !linux

package console

// idleWatch is Linux's: elsewhere an idle pump waits in its goroutine.
type idleWatch struct{}

type side uint8

const (
	toBrowserSide side = iota
	toVMSide
)

func newIdleWatch(_, _ func(*session)) *idleWatch { return &idleWatch{} }

func (*idleWatch) park(*session, side) bool { return false }
func (*idleWatch) unpark(*session, side)    {}
func (*idleWatch) unparkAll(*session)       {}
func (*idleWatch) close()                   {}
