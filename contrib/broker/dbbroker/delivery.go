package dbbroker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/goxkit/gox/broker"
)

type delivery struct {
	b *Broker
	j Job
	m *broker.Message
}

// message is the message a claimed row holds, or an error naming the message
// and the column it cannot read.
func message(j Job) (*broker.Message, error) {
	h, err := decodeHeaders(j.Headers)
	if err != nil {
		return nil, fmt.Errorf("dbbroker: message %s of %s (row %d): %w", j.MsgID, j.Topic, j.ID, err)
	}
	return &broker.Message{ID: j.MsgID, Topic: j.Topic, Key: j.MsgKey, Headers: h, Body: j.Body,
		Time: time.Unix(0, j.PublishedAt), Attempt: j.Attempt}, nil
}

func (d *delivery) Message() *broker.Message { return d.m }

var errLost = errors.New("dbbroker: the message's reservation ran out and another consumer may hold it (raise visibility)")

// mine scopes a statement to this delivery's reservation.
func (d *delivery) mine(ctx context.Context) *gorm.DB {
	return d.b.conn(ctx).Model(&Job{}).Where("id = ? AND token = ?", d.j.ID, d.j.Token)
}

func (d *delivery) Ack(ctx context.Context) error {
	res := d.mine(ctx).Delete(&Job{})
	return settled(res, "ack", d.j)
}

func (d *delivery) Retry(ctx context.Context, delay time.Duration, _ error) error {
	res := d.mine(ctx).Updates(map[string]any{"available_at": time.Now().Add(delay).UnixMilli(), "reserved_until": 0, "token": ""})
	return settled(res, "retry", d.j)
}

func (d *delivery) DeadLetter(ctx context.Context, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	return d.b.db.Transaction(ctx, func(ctx context.Context) error {
		if err := settled(d.mine(ctx).Delete(&Job{}), "dead-letter", d.j); err != nil {
			return err
		}
		return d.b.conn(ctx).Create(&Failed{MsgID: d.j.MsgID, Topic: d.j.Topic, Grp: d.j.Grp, MsgKey: d.j.MsgKey,
			Headers: d.j.Headers, Body: d.j.Body, PublishedAt: d.j.PublishedAt, Attempts: d.j.Attempt, Error: msg,
			FailedAt: time.Now().UnixNano()}).Error
	}, d.b.c.Conn)
}

func settled(res *gorm.DB, op string, j Job) error {
	if res.Error != nil {
		return fmt.Errorf("dbbroker: %s %s: %w", op, j.MsgID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("dbbroker: %s %s: %w", op, j.MsgID, errLost)
	}
	return nil
}

// ListDeadLetters implements broker.DeadLetters.
func (b *Broker) ListDeadLetters(ctx context.Context, topic, group string, limit int) ([]broker.DeadLetter, error) {
	var rows []Failed
	q := b.conn(ctx).Where("topic = ? AND grp = ?", topic, group).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("dbbroker: dead letters of %s/%s: %w", topic, group, err)
	}
	out := make([]broker.DeadLetter, 0, len(rows))
	for _, f := range rows {
		m := broker.Message{ID: f.MsgID, Topic: f.Topic, Key: f.MsgKey, Body: f.Body, Time: time.Unix(0, f.PublishedAt), Attempt: f.Attempts}
		why := f.Error
		var err error
		if m.Headers, err = decodeHeaders(f.Headers); err != nil {
			why += "; " + err.Error() // listed all the same: the row is kept as stored
		}
		out = append(out, broker.DeadLetter{Message: m, Group: f.Grp, Error: why, Attempts: f.Attempts, At: time.Unix(0, f.FailedAt)})
	}
	return out, nil
}

// Replay implements broker.DeadLetters in one transaction.
func (b *Broker) Replay(ctx context.Context, topic, group string, ids ...string) (int, error) {
	n := 0
	err := b.db.Transaction(ctx, func(ctx context.Context) error {
		db := b.conn(ctx)
		var rows []Failed
		if err := db.Where("topic = ? AND grp = ? AND msg_id IN ?", topic, group, ids).Find(&rows).Error; err != nil {
			return err
		}
		for _, f := range rows {
			j := Job{MsgID: f.MsgID, Topic: f.Topic, Grp: f.Grp, AvailableAt: time.Now().UnixMilli(), MsgKey: f.MsgKey,
				Headers: f.Headers, Body: f.Body, PublishedAt: f.PublishedAt}
			if err := db.Create(&j).Error; err != nil {
				return err
			}
			if err := db.Delete(&Failed{}, f.ID).Error; err != nil {
				return err
			}
			n++
		}
		return nil
	}, b.c.Conn)
	if err != nil {
		return 0, fmt.Errorf("dbbroker: replay %s/%s: %w", topic, group, err)
	}
	return n, nil
}
