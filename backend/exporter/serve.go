package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long a scrape in flight may finish after ctx ends.
const shutdownGrace = 5 * time.Second

const indexPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Horcrux exporter</title></head>
<body><h1>Horcrux exporter</h1><p><a href="metrics">Metrics</a></p></body></html>
`

// Serve listens on addr (host:port) and serves /metrics, and a page linking
// to it at /, until ctx ends. An address open to other machines (":9100",
// "0.0.0.0:9100") is allowed for servers but logged, since the metrics name
// every VM and container.
func Serve(ctx context.Context, addr string, e *Exporter) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, e)
}

// Listen opens the exporter's TCP listener, with an error that says what to do.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics exporter cannot listen on %s: %w; give HOST:PORT with a free port, e.g. 127.0.0.1:9977", addr, err)
	}
	return ln, nil
}

// ServeListener is Serve on a listener the caller opened (tests pass
// 127.0.0.1:0). It closes ln and returns nil once ctx ends and the server
// has stopped, or an error if serving failed before that.
func ServeListener(ctx context.Context, ln net.Listener, e *Exporter) error {
	log := slog.Default()
	if reachableFromOutside(ln.Addr()) {
		log.Warn("exporter: metrics are reachable from other machines; listen on 127.0.0.1 to keep them local",
			"addr", ln.Addr().String())
	}
	log.Info("exporter: serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(indexPage))
	})
	srv := &http.Server{
		Handler: mux,
		// Slow or stuck clients must not pin goroutines forever.
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	select {
	case err := <-done:
		return fmt.Errorf("metrics exporter stopped serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// A scrape still running after the grace period is cut off.
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics exporter on %s: %w", ln.Addr(), err)
	}
	return nil
}

// reachableFromOutside reports whether a listener accepts connections from
// other machines: any address that is not loopback.
func reachableFromOutside(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false // a unix socket or a test listener
	}
	return !ta.IP.IsLoopback()
}
