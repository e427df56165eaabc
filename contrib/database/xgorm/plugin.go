package xgorm

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/goxkit/gox/metrics"
)

const kind = "db"

// plugin traces and counts every statement through gorm's callbacks.
type plugin struct {
	name   string
	driver string
	rec    metrics.Recorder
	tracer trace.Tracer
}

func (p *plugin) Name() string { return "gox:" + p.name }

type started struct {
	at   time.Time
	span trace.Span
	ctx  context.Context // the statement's context before the span
}

func (p *plugin) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	// gorm's processor types are unexported, hence one pair of lines each.
	return errors.Join(
		cb.Create().Before("gorm:create").Register("gox:before_create", p.before("create")),
		cb.Create().After("gorm:create").Register("gox:after_create", p.after("create")),
		cb.Query().Before("gorm:query").Register("gox:before_query", p.before("query")),
		cb.Query().After("gorm:query").Register("gox:after_query", p.after("query")),
		cb.Update().Before("gorm:update").Register("gox:before_update", p.before("update")),
		cb.Update().After("gorm:update").Register("gox:after_update", p.after("update")),
		cb.Delete().Before("gorm:delete").Register("gox:before_delete", p.before("delete")),
		cb.Delete().After("gorm:delete").Register("gox:after_delete", p.after("delete")),
		cb.Row().Before("gorm:row").Register("gox:before_row", p.before("row")),
		cb.Row().After("gorm:row").Register("gox:after_row", p.after("row")),
		cb.Raw().Before("gorm:raw").Register("gox:before_raw", p.before("raw")),
		cb.Raw().After("gorm:raw").Register("gox:after_raw", p.after("raw")),
	)
}

func (p *plugin) before(op string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		ctx := db.Statement.Context
		if ctx == nil {
			ctx = context.Background()
		}
		sctx, span := p.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient))
		db.Statement.Context = sctx
		db.InstanceSet("gox:started", &started{at: time.Now(), span: span, ctx: ctx})
		if p.rec != nil {
			p.rec.InFlight(kind, 1)
		}
	}
}

func (p *plugin) after(op string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		v, ok := db.InstanceGet("gox:started")
		if !ok {
			return
		}
		s := v.(*started)
		table := db.Statement.Table
		if table == "" {
			table = "-"
		}
		err := db.Error
		if s.span.IsRecording() {
			s.span.SetName(op + " " + table)
			s.span.SetAttributes(attribute.String("db.system.name", p.driver), attribute.String("db.namespace", p.name),
				attribute.String("db.operation.name", op), attribute.String("db.collection.name", table),
				attribute.String("db.query.text", db.Statement.SQL.String()), attribute.Int64("db.response.returned_rows", db.RowsAffected))
			if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
				s.span.RecordError(err)
				s.span.SetStatus(codes.Error, err.Error())
			}
		}
		s.span.End()
		db.Statement.Context = s.ctx
		if p.rec != nil {
			p.rec.InFlight(kind, -1)
			p.rec.Observe(kind, p.name+"/"+op+" "+table, code(err), time.Since(s.at).Seconds())
		}
	}
}

// code maps a statement's outcome onto gox's codes.
func code(err error) string {
	switch {
	case err == nil:
		return "200"
	case errors.Is(err, gorm.ErrRecordNotFound):
		return "404"
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return "409"
	case errors.Is(err, context.Canceled):
		return "499"
	case errors.Is(err, context.DeadlineExceeded):
		return "504"
	}
	return "500"
}
