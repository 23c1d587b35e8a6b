# Horcrux: `make run` runs the app, `make test` passes the tests.
GO    ?= go
BIN   := horcrux
# libvirt is dlopened at the first call: the binary starts without libvirt.
TAGS  := libvirt_dlopen
FYNE  := $(GO) run fyne.io/tools/cmd/fyne@v1.7.4
export GOFLAGS := -tags=$(TAGS)

.PHONY: all deps deps-test novnc build run test vet fmt-check tidy-check bench package screenshot clean

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# migrated_fynedo drops Fyne's per-call thread checks (a stack walk on every
# refresh) from the binary users run; the tests keep them, and -race.
# no_emoji leaves out Fyne's 4 MB colour emoji font, which every text style
# otherwise parses at start (~50 ms, ~10 MB of heap); nothing Horcrux shows
# is an emoji, and a VM named with one falls back to the system fonts.
RELEASE_TAGS := $(TAGS),migrated_fynedo,no_emoji
build: deps novnc
	$(GO) build -tags $(RELEASE_TAGS) -o $(BIN) .

# noVNC from the pinned npm package, copied into novncassets/dist/novnc
# (embedded at build time) by the package's postinstall script.
NOVNC := novncassets/dist/novnc/core/rfb.js
novnc: $(NOVNC)
$(NOVNC): novncassets/package.json novncassets/package-lock.json novncassets/install.mjs
	cd novncassets && npm ci --no-audit --no-fund
	@test -f $@ && touch $@

# With no libvirtd to talk to, show libvirt's test driver instead of an
# empty Machines tab (the tab says these are demo machines).
run: build
	@if [ -n "$$LIBVIRT_DEFAULT_URI" ] || [ -S /var/run/libvirt/libvirt-sock ] || [ -S /run/libvirt/libvirt-sock ]; then \
		./$(BIN); \
	else \
		echo "no libvirtd socket found: showing libvirt's test driver (--connect test:///default)"; \
		./$(BIN) --connect test:///default; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go.mod and go.sum are what `go mod tidy` makes of the imports (all build
# tags at once): it prints the change and fails when they are not.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }

# Unit tests, golden widget tests, the real window under Xvfb, and the
# integration tests, which start their own daemons.
test: deps-test novnc vet fmt-check tidy-check
	HORCRUX_WINDOW_TEST=1 HORCRUX_INTEGRATION=1 $(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) package
	scripts/test-package.sh $(BIN)-$(VERSION)-linux-amd64.tar.xz

# Every figure in BENCHMARKS.md, each beside its anchor in the same run.
bench: build
	@scripts/deps.sh bench
	$(GO) test -run '^$$' -bench . -benchmem ./backend/host/ ./backend/ring/ ./app/ ./backend/vm/
	bench/idle.sh 30
	bench/testnode.sh 1000 /tmp/horcrux-node1000.xml
	TAB=1 bench/idle.sh 30 --connect test:///tmp/horcrux-node1000.xml
	bench/window.sh
	bench/vms.sh
	bench/containers.sh
	HORCRUX_INTEGRATION=1 $(GO) test -run '^$$' -bench BenchmarkShellCat10MB -benchtime 5x -count 3 ./backend/container/
	HORCRUX_INTEGRATION=1 $(GO) test -run '^$$' -bench BenchmarkShellOpen -benchtime 20x ./backend/container/
	$(GO) test -run '^$$' -bench RecordSecond -benchtime 3600x -count 5 ./backend/history/
	$(GO) test -run '^$$' -bench Year -benchtime 1x -count 3 -timeout 30m ./backend/history/
	cd bench/historydb && GOFLAGS= go run . -minutes 120
	bench/console.sh
	bench/compare.sh --proxy-only
	$(GO) test -run '^$$' -bench Proxy ./backend/console/

# A README screenshot of the real window under Xvfb.
screenshot: deps-test novnc
	HORCRUX_WINDOW_TEST=1 HORCRUX_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(GO) test -count=1 -run TestWindowShowsLiveCharts .

# The release binary is built once, stripped, and handed to fyne package,
# which adds the .desktop file, the icon and an install Makefile. fyne
# package also counts up Build in FyneApp.toml; the file is put back as it
# was, so packaging leaves the clone unchanged.
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
package: deps novnc
	$(GO) build -tags $(RELEASE_TAGS) -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) .
	keep=$$(mktemp) && cp FyneApp.toml "$$keep" && \
	{ $(FYNE) package -os linux --release --exe $(BIN) --tags $(RELEASE_TAGS); st=$$?; \
	  cp "$$keep" FyneApp.toml; rm -f "$$keep"; [ $$st = 0 ] || rm -f Horcrux.tar.xz; exit $$st; }
	mv -f Horcrux.tar.xz $(BIN)-$(VERSION)-linux-amd64.tar.xz
	@echo "packaged $(BIN)-$(VERSION)-linux-amd64.tar.xz"

clean:
	rm -f $(BIN) *.tar.xz
