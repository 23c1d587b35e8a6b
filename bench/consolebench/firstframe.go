//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/horcrux-desktop/horcrux/backend/console"
)

func newProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup ends the process group that cmd leads (cmd and its forked children).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			if syscall.Kill(-cmd.Process.Pid, 0) != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	<-done
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// clickToFirstFrame mints a console link and loads it in an already running headless
// Chromium, n times; each figure runs from just before Mint to the moment noVNC finished
// its first framebuffer update (the page's own timestamp, on the same clock).
func clickToFirstFrame(ctx context.Context, n int) (string, error) {
	dir, err := os.MkdirTemp("", "consolebench-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)

	port, err := freePort()
	if err != nil {
		return "", err
	}
	display := 60 + os.Getpid()%30
	xvnc := exec.Command("Xvnc", fmt.Sprintf(":%d", display), "-geometry", "1024x768", "-depth", "24",
		"-SecurityTypes", "None", "-localhost", "-interface", "127.0.0.1", "-rfbport", fmt.Sprint(port),
		"-UseBlacklist=0", "-nolisten", "tcp")
	xvnc.Stdout, xvnc.Stderr = io.Discard, io.Discard
	if err := xvnc.Start(); err != nil {
		return "", fmt.Errorf("Xvnc: %w", err)
	}
	defer func() { _ = xvnc.Process.Kill(); _ = xvnc.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitListening(addr, 10*time.Second); err != nil {
		return "", err
	}
	paint := exec.Command("display", "-window", "root", "-size", "64x64", "xc:#3366cc")
	paint.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	_ = paint.Run()

	s, err := console.NewServer(console.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", err
	}
	defer s.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(filepath.Join(dir, "profile")))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return "", fmt.Errorf("chromium: %w", err)
	}

	var figures []time.Duration
	for i := 0; i < n+1; i++ { // the first load warms the browser's caches and is not counted
		tab, cancelTab := chromedp.NewContext(browser)
		if err := chromedp.Do(tab); err != nil { // the tab exists before the clock starts
			cancelTab()
			return "", err
		}
		start := time.Now()
		pageURL, err := s.Mint(console.TCPTarget("bench-vm", "bench-vm", addr))
		if err != nil {
			cancelTab()
			return "", err
		}
		step, cancelStep := context.WithTimeout(tab, 20*time.Second)
		err = chromedp.Do(step, chromedp.Navigate(pageURL))
		var at float64
		for err == nil {
			at, err = chromedp.Run(step, chromedp.Evaluate[float64](
				`document.body.dataset.firstFrame ? performance.timeOrigin + Number(document.body.dataset.firstFrame) : 0`))
			if at > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancelStep()
		cancelTab()
		if err != nil {
			return "", err
		}
		if i > 0 {
			figures = append(figures, time.UnixMicro(int64(at*1000)).Sub(start))
		}
	}
	sort.Slice(figures, func(i, j int) bool { return figures[i] < figures[j] })
	var parts []string
	for _, f := range figures {
		parts = append(parts, fmt.Sprint(f.Round(time.Millisecond)))
	}
	return fmt.Sprintf("median %v (runs: %s)", figures[len(figures)/2].Round(time.Millisecond), strings.Join(parts, ", ")), nil
}
