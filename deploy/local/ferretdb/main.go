// Command ferretdb runs FerretDB 1.24 (SQLite backend) as a MongoDB-wire server for Rapport's
// local runs and tests. It embeds the library package github.com/FerretDB/FerretDB/ferretdb
// instead of using upstream's cmd/ferretdb, whose build needs generated version files that are
// not part of the published module. deploy/local/ferretdb.sh builds it against a patched copy
// of the module (see patches/).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		os.Exit(1)
	}
}

func run() error {
	defaultPort := os.Getenv("RAPPORT_MONGO_PORT")
	if defaultPort == "" {
		defaultPort = "27017"
	}

	listen := flag.String("listen-addr", net.JoinHostPort("127.0.0.1", defaultPort),
		"TCP address to listen on (port defaults to $RAPPORT_MONGO_PORT or 27017)")
	dataDir := flag.String("data-dir", "data", "directory holding the SQLite database files (created if missing)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", *logLevel, err)
	}

	logger := slog.New(&quietResponses{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}

	if err = os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  "sqlite",
		// The SQLite backend wants a file: URI of an existing directory, ending with '/'.
		// synchronous(normal): in WAL mode a commit is not fsynced, only checkpoints are, so a
		// killed server loses nothing (the WAL is in the OS page cache) and an OS crash can lose
		// the last commits -- MongoDB's own default (journal flushed every 100 ms) is no stronger.
		// With the default (full), every single-document write waits for an fsync.
		SQLiteURL: (&url.URL{
			Scheme:   "file",
			Path:     dir + "/",
			RawQuery: url.Values{"_pragma": {"synchronous(normal)"}}.Encode(),
		}).String(),
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// Printed at any log level, so the log shows when the server became ready and where.
	fmt.Fprintf(os.Stderr, "ferretdb: listening on %s, data in %s (pid %d)\n", *listen, dir, os.Getpid())

	// Run returns after ctx is canceled, once the listener, connections and backend are closed.
	if err = f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}

	fmt.Fprintln(os.Stderr, "ferretdb: stopped")

	return nil
}

// quietResponses demotes FerretDB's per-request dumps of error responses to debug level.
//
// FerretDB logs every command that answers ok=0 at warn level as a multi-line dump of the wire
// message, including routine ones (pymongo's endSessions, which FerretDB does not implement;
// duplicate key errors an application handles). With -log-level debug they are still shown.
type quietResponses struct {
	slog.Handler
}

func (h *quietResponses) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn &&
		(strings.HasPrefix(r.Message, "Response header:") || strings.HasPrefix(r.Message, "Response message:")) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}

		r.Level = slog.LevelDebug
	}

	return h.Handler.Handle(ctx, r)
}

func (h *quietResponses) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &quietResponses{Handler: h.Handler.WithAttrs(attrs)}
}

func (h *quietResponses) WithGroup(name string) slog.Handler {
	return &quietResponses{Handler: h.Handler.WithGroup(name)}
}
