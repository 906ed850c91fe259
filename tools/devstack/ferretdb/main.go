// Command ssp-ferretdb runs FerretDB v1 (SQLite backend) as the local MongoDB-wire database
// of the devstack. It embeds the FerretDB package instead of installing its command, because the
// module from the Go proxy lacks the generated version file its command needs at start-up.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "data", "directory for the SQLite files")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	// WAL with synchronous=NORMAL: no fsync per commit. A crash of this process loses nothing;
	// a power loss may lose the last commits, acceptable for a development and test database.
	synchronous := flag.String("sqlite-synchronous", "normal", "SQLite synchronous pragma: full or normal")
	flag.Parse()

	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		log.Fatalf("data dir: %v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		log.Fatalf("log level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/?_pragma=synchronous(" + *synchronous + ")",
		Logger:    logger,
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("ferretdb listening", "addr", *listen, "data", *dataDir)
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
