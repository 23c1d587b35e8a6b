package console

import (
	"os"
	"sync"
	"syscall"
)

// vmWatch holds the console sockets of idle sessions in one epoll set, so an idle
// session's VM-to-browser pump needs no goroutine (and no stack) while it waits: the
// pump parks here instead of renewing its goroutine, and goes on in a fresh one once its
// socket has something (bytes, EOF or an error) or the session ends. The set itself is
// read through the runtime's poller, by one goroutine for all sessions.
type vmWatch struct {
	resume func(*session) // goes on with a pump, in a goroutine of its own

	mu     sync.Mutex
	ep     *os.File // the epoll set; nil until the first park
	fd     int
	parked map[int32]*session // by the console socket's descriptor
	gen    uint32             // tells a stale event from the current registration of a descriptor
	closed bool
	done   chan struct{} // closed when run returns
}

func newVMWatch(resume func(*session)) *vmWatch {
	return &vmWatch{resume: resume, parked: make(map[int32]*session)}
}

// park registers ss's console socket; false means the pump must wait in a goroutine as
// before (the session is ending, or epoll failed).
func (w *vmWatch) park(ss *session) bool {
	r := ss.vmReader
	if r == nil || r.fd < 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// end sets ending before it unparks under w.mu and only then closes the socket, so a
	// descriptor registered here is still ss's.
	if w.closed || ss.ending.Load() || w.start() != nil {
		return false
	}
	w.gen++
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollOneShot, Fd: r.fd, Pad: int32(w.gen)}
	if err := syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_ADD, int(r.fd), &ev); err != nil {
		return false
	}
	r.gen = w.gen
	w.parked[r.fd] = ss
	return true
}

// epollOneShot is EPOLLONESHOT as the uint32 EpollEvent.Events takes.
const epollOneShot = 1 << 30

// unpark goes on with ss's pump now if it is parked: the session is ending and its
// socket is about to close, which would drop it from the set without an event.
func (w *vmWatch) unpark(ss *session) {
	r := ss.vmReader
	if r == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.parked[r.fd] == ss {
		w.wakeLocked(r.fd, ss)
	}
}

// wakeLocked takes fd out of the set and resumes its pump; w.mu is held.
func (w *vmWatch) wakeLocked(fd int32, ss *session) {
	_ = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	delete(w.parked, fd)
	w.resume(ss)
}

// start makes the epoll set and its reader on the first park; w.mu is held.
func (w *vmWatch) start() error {
	if w.ep != nil {
		return nil
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	// Non-blocking, so os.NewFile hands the set to the runtime's poller: it becomes
	// readable when a socket in it is.
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "console-idle-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return err
	}
	w.ep, w.fd, w.done = f, fd, make(chan struct{})
	go w.run(rc)
	return nil
}

// run reads the set's events until close and resumes their pumps. Should epoll fail,
// every parked pump is resumed and no more park here.
func (w *vmWatch) run(rc syscall.RawConn) {
	defer close(w.done)
	events := make([]syscall.EpollEvent, 64)
	var n int
	var werr error
	wait := func(fd uintptr) bool {
		for {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			if werr != syscall.EINTR {
				return n != 0
			}
		}
	}
	for {
		err := rc.Read(wait)
		w.mu.Lock()
		if err != nil || werr != nil {
			w.closed = true
			for fd, ss := range w.parked {
				delete(w.parked, fd) // the set is gone with its registrations
				w.resume(ss)
			}
			w.mu.Unlock()
			return
		}
		for _, ev := range events[:n] {
			if ss := w.parked[ev.Fd]; ss != nil && ss.vmReader.gen == uint32(ev.Pad) {
				w.wakeLocked(ev.Fd, ss)
			}
		}
		w.mu.Unlock()
	}
}

// close ends run; the sessions have ended, so nothing is parked.
func (w *vmWatch) close() {
	w.mu.Lock()
	w.closed = true
	ep, done := w.ep, w.done
	w.mu.Unlock()
	if ep != nil {
		_ = ep.Close()
		<-done
	}
}
