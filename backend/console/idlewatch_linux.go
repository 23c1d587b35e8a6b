package console

import (
	"os"
	"sync"
	"syscall"
)

// idleWatch holds the sockets of idle sessions in one epoll set, so an idle session needs
// no goroutine (and no stack) while it waits: a pump that would renew its goroutine parks
// its socket here instead, and goes on in a fresh goroutine once the socket has something
// (bytes, EOF or an error) or the session asks (it ends, or a deadline passed). The set
// itself is read through the runtime's poller, by one goroutine for all sessions.
type idleWatch struct {
	resume [2]func(*session) // goes on with a pump of that side, in a goroutine of its own

	mu     sync.Mutex
	ep     *os.File // the epoll set; nil until the first park
	fd     int
	parked map[int32]parkedPump // by the socket's descriptor
	gen    uint32               // tells a stale event from the current registration of a descriptor
	closed bool
	done   chan struct{} // closed when run returns
}

// side is the pump a socket belongs to.
type side uint8

const (
	toBrowserSide side = iota // pumpToBrowser, reading the console's socket
	toVMSide                  // pumpToVM, reading the browser's socket
)

type parkedPump struct {
	ss   *session
	r    *rawReader // the socket's reader, which holds its registration's gen
	side side
}

func newIdleWatch(toBrowser, toVM func(*session)) *idleWatch {
	return &idleWatch{resume: [2]func(*session){toBrowser, toVM}, parked: make(map[int32]parkedPump)}
}

// reader is the socket of ss's pump on that side; nil if it has no descriptor.
func (ss *session) reader(sd side) *rawReader {
	if sd == toVMSide {
		if ss.wsc == nil {
			return nil
		}
		return ss.wsc.rr
	}
	return ss.vmReader
}

// park registers the socket of ss's pump on that side; false means the pump must wait in
// a goroutine as before (the session is ending, or epoll failed).
func (w *idleWatch) park(ss *session, sd side) bool {
	r := ss.reader(sd)
	if r == nil || r.fd < 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// end sets ending before it unparks under w.mu and only then closes the console's
	// socket, so a descriptor registered here is still ss's.
	if w.closed || ss.ending.Load() || w.start() != nil {
		return false
	}
	w.gen++
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollOneShot, Fd: r.fd, Pad: int32(w.gen)}
	if err := syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_ADD, int(r.fd), &ev); err != nil {
		return false
	}
	r.gen = w.gen
	w.parked[r.fd] = parkedPump{ss, r, sd}
	return true
}

// epollOneShot is EPOLLONESHOT as the uint32 EpollEvent.Events takes.
const epollOneShot = 1 << 30

// unpark goes on with ss's pump on that side now if it is parked.
func (w *idleWatch) unpark(ss *session, sd side) {
	r := ss.reader(sd)
	if r == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.parked[r.fd]; ok && p.ss == ss {
		w.wakeLocked(r.fd, p)
	}
}

// unparkAll goes on with both of ss's pumps: the session is ending, and closing the
// console's socket would drop it from the set without an event.
func (w *idleWatch) unparkAll(ss *session) {
	w.unpark(ss, toBrowserSide)
	w.unpark(ss, toVMSide)
}

// wakeLocked takes fd out of the set and resumes its pump; w.mu is held.
func (w *idleWatch) wakeLocked(fd int32, p parkedPump) {
	_ = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	delete(w.parked, fd)
	w.resume[p.side](p.ss)
}

// start makes the epoll set and its reader on the first park; w.mu is held.
func (w *idleWatch) start() error {
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
// every parked pump is resumed and none parks here again.
func (w *idleWatch) run(rc syscall.RawConn) {
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
			for fd, p := range w.parked {
				delete(w.parked, fd) // the set is gone with its registrations
				w.resume[p.side](p.ss)
			}
			w.mu.Unlock()
			return
		}
		for _, ev := range events[:n] {
			if p, ok := w.parked[ev.Fd]; ok && p.r.gen == uint32(ev.Pad) {
				w.wakeLocked(ev.Fd, p)
			}
		}
		w.mu.Unlock()
	}
}

// close ends run; the sessions have ended, so nothing is parked.
func (w *idleWatch) close() {
	w.mu.Lock()
	w.closed = true
	ep, done := w.ep, w.done
	w.mu.Unlock()
	if ep != nil {
		_ = ep.Close()
		<-done
	}
}
