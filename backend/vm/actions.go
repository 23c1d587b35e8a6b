package vm

import (
	"context"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// ActionError is a failed lifecycle action in words, wrapping libvirt's error.
type ActionError struct {
	Words string
	Err   error
}

// Error returns the words for the user.
func (e *ActionError) Error() string { return e.Words }

// Unwrap gives the libvirt error underneath, if any.
func (e *ActionError) Unwrap() error { return e.Err }

// Act runs a lifecycle action on the domain with this UUID. It waits for
// libvirt at most until ctx ends (a minute if ctx has no deadline).
func (s *Source) Act(ctx context.Context, uuid string, a model.VMAction) error {
	name := s.nameOf(uuid)
	l := s.acquire()
	if l == nil {
		return &ActionError{Words: "cannot " + a.String() + " " + name + ": not connected to libvirt"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultActTimeout)
		defer cancel()
	}
	began := time.Now()
	res := make(chan error, 1)
	go func() {
		defer s.release(l)
		res <- act(l.conn, uuid, name, a)
	}()
	select {
	case err := <-res:
		if err == nil {
			s.signal() // not every driver sends an event for every action
		}
		return err
	case <-ctx.Done():
		return &ActionError{
			Words: "cannot " + a.String() + " " + name + ": libvirt has not answered for " + model.Elapsed(time.Since(began)),
			Err:   ctx.Err(),
		}
	}
}

// nameOf finds a domain's name in the last list, for error messages.
func (s *Source) nameOf(uuid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.last.Items {
		if s.last.Items[i].UUID == uuid {
			return s.last.Items[i].Name
		}
	}
	return uuid
}

func act(conn *libvirt.Connect, uuid, name string, a model.VMAction) error {
	d, err := conn.LookupDomainByUUIDString(uuid)
	if err != nil {
		return &ActionError{Words: actionWords(a, name, err), Err: err}
	}
	defer func() { _ = d.Free() }()
	if n, err := d.GetName(); err == nil {
		name = n
	}
	switch a {
	case model.StartVM:
		err = d.Create()
	case model.ShutDownVM:
		err = d.Shutdown()
	case model.RebootVM:
		err = d.Reboot(0)
	case model.ForceOffVM:
		err = d.Destroy()
	case model.PauseVM:
		err = d.Suspend()
	case model.ResumeVM:
		// A guest suspended to RAM by itself wakes up differently from a paused one.
		if st, _, serr := d.GetState(); serr == nil && st == libvirt.DOMAIN_PMSUSPENDED {
			err = d.PMWakeup(0)
		} else {
			err = d.Resume()
		}
	default:
		return &ActionError{Words: "cannot " + a.String() + " " + name + ": no such action"}
	}
	if err != nil {
		return &ActionError{Words: actionWords(a, name, err), Err: err}
	}
	return nil
}
