package vm

// The Go binding's GetAllDomainStats makes ~100 cgo calls and ~200
// allocations per domain to decode every possible field, which alone costs
// ~40 ms for 1000 domains. Here one C call runs virConnectGetAllDomainStats
// and boils each record down to the few sums the list shows. libvirt is
// reached through dlopen like the binding's libvirt_dlopen build does, so the
// binary still starts without libvirt installed.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// Mirrors of libvirt's public ABI (stable since 1.2.8).
typedef struct {
	char field[80];
	int type;
	union { int i; unsigned int ui; long long l; unsigned long long ul; double d; char b; char *s; } value;
} hxParam;

typedef struct { void *dom; hxParam *params; int nparams; } hxRecord;

typedef struct { int code; int domain; char *message; } hxErrorHead;

typedef struct {
	void *handle;
	int (*getAllStats)(void *conn, unsigned int stats, hxRecord ***ret, unsigned int flags);
	void (*freeStats)(hxRecord **stats);
	int (*uuidString)(void *dom, char *buf);
	const char *(*name)(void *dom);
	unsigned int (*id)(void *dom);
	char *(*xml)(void *dom, unsigned int flags);
	hxErrorHead *(*lastError)(void);
	void (*resetError)(void);
} hxLib;

typedef struct { int code; int domain; char *message; } hxError;

typedef struct {
	char uuid[40];
	const char *name;
	int nameLen;
	int state, hasState;
	unsigned int id;
	unsigned long long cpu; int hasCPU;
	unsigned long long balloon; int hasBalloon;
	unsigned long long rd, wr; int hasDisk;
	unsigned long long rx, tx; int hasNet;
	void *dom;
} hxDom;

typedef struct { hxRecord **recs; hxDom *doms; int n; } hxBatch;

static hxLib *hxOpen(char **err) {
	hxLib *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	l->handle = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (l->handle == NULL) {
		*err = strdup(dlerror());
		free(l);
		return NULL;
	}
#define HX_SYM(f, s) if ((*(void **)&l->f = dlsym(l->handle, s)) == NULL) goto fail
	HX_SYM(getAllStats, "virConnectGetAllDomainStats");
	HX_SYM(freeStats, "virDomainStatsRecordListFree");
	HX_SYM(uuidString, "virDomainGetUUIDString");
	HX_SYM(name, "virDomainGetName");
	HX_SYM(id, "virDomainGetID");
	HX_SYM(xml, "virDomainGetXMLDesc");
	HX_SYM(lastError, "virGetLastError");
	HX_SYM(resetError, "virResetLastError");
#undef HX_SYM
	return l;
fail:
	*err = strdup(dlerror());
	dlclose(l->handle);
	free(l);
	return NULL;
}

static void hxClose(hxLib *l) {
	dlclose(l->handle);
	free(l);
}

// libvirt's last error is per thread: read it in the same C call that failed.
static void hxTakeError(hxLib *l, hxError *e) {
	hxErrorHead *le = l->lastError();
	e->code = le ? le->code : 1;
	e->domain = le ? le->domain : 0;
	e->message = strdup(le && le->message ? le->message : "unknown libvirt error");
	l->resetError();
}

static unsigned long long hxU64(const hxParam *p) {
	switch (p->type) {
	case 1: return (unsigned long long)p->value.i;
	case 2: return p->value.ui;
	case 3: return (unsigned long long)p->value.l;
	case 4: return p->value.ul;
	}
	return 0;
}

static int hxEndsWith(const char *s, const char *suffix) {
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int hxStats(hxLib *l, void *conn, unsigned int stats, unsigned int flags, hxBatch *b, hxError *e) {
	memset(b, 0, sizeof(*b));
	int n = l->getAllStats(conn, stats, &b->recs, flags);
	if (n < 0) {
		hxTakeError(l, e);
		return -1;
	}
	b->n = n;
	b->doms = calloc(n > 0 ? n : 1, sizeof(hxDom));
	if (b->doms == NULL) {
		l->freeStats(b->recs);
		e->code = 1;
		e->domain = 0;
		e->message = strdup("out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		hxRecord *r = b->recs[i];
		hxDom *d = &b->doms[i];
		d->dom = r->dom;
		if (l->uuidString(r->dom, d->uuid) != 0) {
			l->resetError();
			d->uuid[0] = 0;
		}
		d->name = l->name(r->dom);
		d->nameLen = d->name ? strlen(d->name) : 0;
		d->id = l->id(r->dom);
		for (int j = 0; j < r->nparams; j++) {
			const hxParam *p = &r->params[j];
			const char *f = p->field;
			if (strcmp(f, "state.state") == 0) {
				d->state = (int)hxU64(p);
				d->hasState = 1;
			} else if (strcmp(f, "cpu.time") == 0) {
				d->cpu = hxU64(p);
				d->hasCPU = 1;
			} else if (strcmp(f, "balloon.current") == 0) {
				d->balloon = hxU64(p);
				d->hasBalloon = 1;
			} else if (strncmp(f, "block.", 6) == 0) {
				if (hxEndsWith(f, ".rd.bytes")) {
					d->rd += hxU64(p);
					d->hasDisk = 1;
				} else if (hxEndsWith(f, ".wr.bytes")) {
					d->wr += hxU64(p);
					d->hasDisk = 1;
				}
			} else if (strncmp(f, "net.", 4) == 0) {
				if (hxEndsWith(f, ".rx.bytes")) {
					d->rx += hxU64(p);
					d->hasNet = 1;
				} else if (hxEndsWith(f, ".tx.bytes")) {
					d->tx += hxU64(p);
					d->hasNet = 1;
				}
			}
		}
	}
	return 0;
}

static void hxFreeBatch(hxLib *l, hxBatch *b) {
	if (b->recs) l->freeStats(b->recs);
	free(b->doms);
	memset(b, 0, sizeof(*b));
}

static char *hxXML(hxLib *l, void *dom, hxError *e) {
	char *x = l->xml(dom, 0);
	if (x == NULL) hxTakeError(l, e);
	return x;
}
*/
import "C"

import (
	"bytes"
	"unsafe"

	"libvirt.org/go/libvirt"
)

// bulkLib is libvirt's stats API resolved for one connection.
type bulkLib struct {
	lib  *C.hxLib
	conn unsafe.Pointer // virConnectPtr, with a reference of our own
	drop func()         // releases that reference
}

// openBulk resolves the stats functions and takes a reference on conn's
// virConnectPtr so it outlives any in-flight call.
func openBulk(conn *libvirt.Connect) (*bulkLib, error) {
	var cerr *C.char
	lib := C.hxOpen(&cerr)
	if lib == nil {
		msg := C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
		return nil, libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: msg}
	}
	raw, err := conn.RawPtr()
	if err != nil {
		C.hxClose(lib)
		return nil, err
	}
	return &bulkLib{
		lib:  lib,
		conn: unsafe.Pointer(raw),
		drop: func() { _, _ = libvirt.CloseRawPtr(raw) },
	}, nil
}

func (b *bulkLib) close() {
	b.drop()
	C.hxClose(b.lib)
}

// batch is one bulk stats answer, valid until free.
type batch struct {
	b    C.hxBatch
	doms []C.hxDom
	lib  *C.hxLib
}

func takeError(e *C.hxError) error {
	msg := C.GoString(e.message)
	C.free(unsafe.Pointer(e.message))
	return libvirt.Error{Code: libvirt.ErrorNumber(e.code), Domain: libvirt.ErrorDomain(e.domain), Message: msg, Level: libvirt.ERR_ERROR}
}

// stats runs one virConnectGetAllDomainStats over all domains.
func (b *bulkLib) stats(types libvirt.DomainStatsTypes, flags libvirt.ConnectGetAllDomainStatsFlags) (*batch, error) {
	bt := &batch{lib: b.lib}
	var e C.hxError
	if C.hxStats(b.lib, b.conn, C.uint(types), C.uint(flags), &bt.b, &e) != 0 {
		return nil, takeError(&e)
	}
	if bt.b.n > 0 {
		bt.doms = unsafe.Slice(bt.b.doms, int(bt.b.n))
	}
	return bt, nil
}

func (bt *batch) free() {
	bt.doms = nil
	C.hxFreeBatch(bt.lib, &bt.b)
}

// record is one domain of a batch. uuid and name view C memory: valid until
// the batch is freed, so copy them (strings.Clone) to keep them.
type record struct {
	uuid, name string
	state      libvirt.DomainState
	hasState   bool
	id         uint // (unsigned int)-1 when inactive
	balloonKiB uint64
	hasBalloon bool
	c          counters
}

// record reads domain i of the batch.
func (bt *batch) record(i int) record {
	d := &bt.doms[i]
	uuid := unsafe.Slice((*byte)(unsafe.Pointer(&d.uuid[0])), len(d.uuid))
	if n := bytes.IndexByte(uuid, 0); n >= 0 {
		uuid = uuid[:n]
	}
	r := record{
		uuid:       unsafe.String(unsafe.SliceData(uuid), len(uuid)),
		state:      libvirt.DomainState(d.state),
		hasState:   d.hasState != 0,
		id:         uint(d.id),
		balloonKiB: uint64(d.balloon),
		hasBalloon: d.hasBalloon != 0,
		c: counters{
			cpu: uint64(d.cpu), cpuOK: d.hasCPU != 0,
			rd: uint64(d.rd), wr: uint64(d.wr), diskOK: d.hasDisk != 0,
			rx: uint64(d.rx), tx: uint64(d.tx), netOK: d.hasNet != 0,
		},
	}
	if d.name != nil {
		r.name = unsafe.String((*byte)(unsafe.Pointer(d.name)), int(d.nameLen))
	}
	return r
}

// len is the number of domains in the batch.
func (bt *batch) len() int { return len(bt.doms) }

// xml fetches the XML description of domain i.
func (bt *batch) xml(i int) (string, error) {
	var e C.hxError
	x := C.hxXML(bt.lib, bt.doms[i].dom, &e)
	if x == nil {
		return "", takeError(&e)
	}
	defer C.free(unsafe.Pointer(x))
	return C.GoString(x), nil
}
