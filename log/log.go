// Package log builds the service's *slog.Logger on a zap core: JSON lines in
// production, a readable console format in development, an atomically
// adjustable level (hot-reloadable from config), and optional file output
// rotated by lumberjack, whose backups gox compresses a little at a time so
// that a rotation does not stall the requests being served. Every record logged with a request's context carries
// that request's attributes (see WithAttrs) and, when a span is active, its
// trace_id and span_id.
//
// gox code logs through the standard log/slog API only; zap is an
// implementation detail of this package.
package log

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config configures logging.
type Config struct {
	// Level is debug, info, warn or error. It can be changed while running.
	Level string `yaml:"level"`
	// Format is json, console, or auto (json in production, console in development).
	Format string `yaml:"format"`
	// File, when File.Path is set, writes logs to a rotated file instead of stdout.
	File FileConfig `yaml:"file"`
	// AsyncAccess formats and writes access records (the logging middleware's,
	// one per request) in batches on a goroutine of their own instead of on
	// the request's: a record reaches the output at most 100 ms after it was
	// made, access records stay in order among themselves, none is dropped (a
	// request finding 8192 waiting writes them itself), and Close writes what
	// is left and stops the writer's goroutine. A crash loses what waits, as it loses a buffered file's unwritten
	// bytes. JSON format only; console records are always written at once.
	AsyncAccess bool `yaml:"async_access"`
}

// FileConfig configures file output and its rotation.
type FileConfig struct {
	// Path of the log file; empty logs to stdout.
	Path string `yaml:"path"`
	// MaxSizeMB is the size at which the file is rotated.
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxBackups is how many rotated files are kept (0 keeps all).
	MaxBackups int `yaml:"max_backups"`
	// MaxAgeDays removes rotated files older than this (0 keeps them).
	MaxAgeDays int `yaml:"max_age_days"`
	// Compress gzips rotated files, on a goroutine that works in small chunks
	// and rests between them (never more than a quarter of a core), so that
	// compressing a backup does not delay the requests being served.
	Compress bool `yaml:"compress"`
	// BufferBytes buffers file writes up to this size, so a busy service does
	// not make a write system call per line; 0 writes each line through.
	BufferBytes int `yaml:"buffer_bytes"`
	// FlushInterval bounds how long a buffered line waits to reach the file.
	// Close flushes what is left. A crash loses at most this much.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// DefaultConfig returns info level, auto format, stdout, access records
// written in batches; files rotate at 100 MB keeping 7 compressed backups, and
// file writes are buffered (256 KiB, flushed every second).
func DefaultConfig() Config {
	return Config{Level: "info", Format: "auto", AsyncAccess: true, File: FileConfig{MaxSizeMB: 100, MaxBackups: 7,
		Compress: true, BufferBytes: 256 << 10, FlushInterval: time.Second}}
}

// Logger is a *slog.Logger whose level can be changed and whose output can be
// flushed and closed.
type Logger struct {
	*slog.Logger
	level zap.AtomicLevel
	sync  func() error
	close io.Closer
	once  sync.Once
	err   error
}

// New builds a Logger from c. production picks the format when c.Format is auto.
func New(c Config, production bool) (*Logger, error) {
	return NewWriter(c, production, nil)
}

// NewWriter is New writing to w instead of stdout or the configured file; tests use it.
func NewWriter(c Config, production bool, w io.Writer) (*Logger, error) {
	lvl, err := ParseLevel(c.Level)
	if err != nil {
		return nil, err
	}
	enc, err := encoder(c.Format, production)
	if err != nil {
		return nil, err
	}
	atom := zap.NewAtomicLevelAt(lvl)
	var closer io.Closer = nopCloser{}
	var ws zapcore.WriteSyncer
	switch {
	case w != nil:
		ws = zapcore.AddSync(w)
	case c.File.Path != "":
		f := newRotatingFile(c.File)
		ws, closer = zapcore.AddSync(f), f
		if c.File.BufferBytes > 0 {
			buf := &zapcore.BufferedWriteSyncer{WS: ws, Size: c.File.BufferBytes, FlushInterval: c.File.FlushInterval}
			ws, closer = buf, closers{stopper(buf.Stop), f}
		}
	default:
		ws = zapcore.Lock(os.Stdout)
	}
	core := zapcore.NewCore(enc, ws, atom)
	h := &zapHandler{core: core, caller: true}
	syncOut := ws.Sync
	if isJSON(c.Format, production) {
		h.fast = &fastJSON{out: ws, level: atom}
		if c.AsyncAccess {
			q := newAccessQueue(ws, func(ctx context.Context, a *Access) { logAccessRecord(ctx, h, a) }, accessDelay)
			h.fast.q = q
			closer = closers{q, closer} // the queue's last batch goes out before the file closes
			syncOut = func() error { q.Sync(); return ws.Sync() }
		}
	}
	return &Logger{Logger: slog.New(h), level: atom, sync: syncOut, close: closer}, nil
}

// SetLevel changes the level of every logger derived from l.
func (l *Logger) SetLevel(level string) error {
	lvl, err := ParseLevel(level)
	if err != nil {
		return err
	}
	l.level.SetLevel(lvl)
	return nil
}

// Level returns the current level name.
func (l *Logger) Level() string { return l.level.Level().String() }

// Sync writes queued access records and flushes buffered output to the file
// or stdout.
func (l *Logger) Sync() error { return l.sync() }

// Close writes queued and buffered output and closes the log file, if any.
// Calls after the first return its result and do nothing else.
func (l *Logger) Close() error {
	l.once.Do(func() {
		_ = l.sync() // stdout cannot be synced on every OS; that is not a failure
		l.err = l.close.Close()
	})
	return l.err
}

// ParseLevel parses debug, info, warn or error, naming the bad value.
func ParseLevel(s string) (zapcore.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "", "info":
		return zapcore.InfoLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("log: level %q is not one of debug, info, warn, error", s)
}

func isJSON(format string, production bool) bool {
	return format == "json" || (production && (format == "" || format == "auto"))
}

func encoder(format string, production bool) (zapcore.Encoder, error) {
	switch format {
	case "", "auto":
		if production {
			format = "json"
		} else {
			format = "console"
		}
	case "json", "console":
	default:
		return nil, fmt.Errorf("log: format %q is not one of auto, json, console", format)
	}
	if format == "json" {
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		return zapcore.NewJSONEncoder(ec), nil
	}
	ec := zap.NewDevelopmentEncoderConfig()
	ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	return zapcore.NewConsoleEncoder(ec), nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

type stopper func() error

func (s stopper) Close() error { return s() }

// closers closes each in order, returning the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
