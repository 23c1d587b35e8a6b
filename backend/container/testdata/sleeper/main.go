// Command sleeper is the process inside the test containers: a static binary
// that needs no image from a registry.
//
//	sleeper            sleep until SIGTERM/SIGINT, then exit 0
//	sleeper burn       spin one core until SIGTERM/SIGINT
//	sleeper exit N     exit at once with code N
//	sleeper mem N      also hold N MiB of touched memory (combines with burn)
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// ballast keeps the "mem" allocation reachable so the GC cannot return it.
var ballast []byte

func main() {
	burn := false
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "burn":
			burn = true
		case "exit":
			code := 0
			if i+1 < len(args) {
				code, _ = strconv.Atoi(args[i+1])
			}
			fmt.Printf("sleeper: exiting with %d\n", code)
			os.Exit(code)
		case "mem":
			if i+1 < len(args) {
				i++
				mib, _ := strconv.Atoi(args[i])
				ballast = make([]byte, mib<<20)
				for j := range ballast { // touch every page so it counts as used
					ballast[j] = 1
				}
			}
		}
	}

	// As PID 1 in a container, SIGTERM is ignored unless handled.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	fmt.Printf("sleeper: started burn=%v mem=%dMiB\n", burn, len(ballast)>>20)
	fmt.Fprintln(os.Stderr, "sleeper: stderr is here too")

	if burn {
		go func() {
			x := uint64(1)
			for {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}()
	}
	s := <-sig
	fmt.Printf("sleeper: terminated by %v\n", s)
	os.Exit(0)
}
