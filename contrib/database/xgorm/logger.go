package xgorm

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	glogger "gorm.io/gorm/logger"
)

// logger is gorm's logger on slog: failed statements at error level, slow
// ones at warn, both with the SQL, the rows and the time taken, and with the
// request's context (request id, trace id) through the slog handler.
type logger struct {
	name string
	slow time.Duration
	l    *slog.Logger
}

func newLogger(name string, c Config, l *slog.Logger) *logger {
	return &logger{name: name, slow: c.SlowThreshold, l: l}
}

func (g *logger) LogMode(glogger.LogLevel) glogger.Interface { return g }

func (g *logger) Info(ctx context.Context, msg string, args ...any) {
	g.l.InfoContext(ctx, msg, "db", g.name, "args", args)
}
func (g *logger) Warn(ctx context.Context, msg string, args ...any) {
	g.l.WarnContext(ctx, msg, "db", g.name, "args", args)
}
func (g *logger) Error(ctx context.Context, msg string, args ...any) {
	g.l.ErrorContext(ctx, msg, "db", g.name, "args", args)
}

func (g *logger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	took := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled):
		sql, rows := fc()
		g.l.ErrorContext(ctx, "query failed", "db", g.name, "sql", sql, "rows", rows, "took", took, "error", err.Error())
	case g.slow > 0 && took > g.slow:
		sql, rows := fc()
		g.l.WarnContext(ctx, "slow query", "db", g.name, "sql", sql, "rows", rows, "took", took, "threshold", g.slow)
	}
}
