package vm

import (
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// startEventLoop registers libvirt's default event loop once and runs it for
// the rest of the process. libvirt has one loop per process, shared by every
// connection, and it must exist before the first connection opens or no
// events, keepalives or close callbacks are ever delivered.
var startEventLoop = sync.OnceValue(func() error {
	if err := libvirt.EventRegisterDefaultImpl(); err != nil {
		return err
	}
	go func() {
		for {
			if err := libvirt.EventRunDefaultImpl(); err != nil {
				// Only fails on a broken poll(); don't spin on it.
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return nil
})
