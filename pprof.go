package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// pprofEnv names the variable that, set to an address (127.0.0.1:6060),
// serves Go's profiles there: how the window's CPU and memory are measured.
const pprofEnv = "HORCRUX_PPROF"

// servePprof serves net/http/pprof at the address in $HORCRUX_PPROF, if
// set, until the process ends; a failure is reported and otherwise ignored.
func servePprof(stderr io.Writer) {
	addr := os.Getenv(pprofEnv)
	if addr == "" {
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "horcrux: %s=%s: cannot listen (%v): profiles are not served; pick a free address such as 127.0.0.1:6060\n", pprofEnv, addr, err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	fmt.Fprintf(stderr, "horcrux: serving Go profiles at http://%s/debug/pprof/\n", l.Addr())
	go func() { _ = http.Serve(l, mux) }() // ends with the process
}
