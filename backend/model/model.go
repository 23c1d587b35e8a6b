// Package model holds the plain data Horcrux passes from its sources to its
// views: the host, machines, containers, the sections each source fills and
// the snapshot that carries them. It does no I/O: drivers (backend/host,
// backend/vm, backend/container) convert into it, and the collector, alerts,
// exporter, report and the window read only it.
package model
