package dbbroker

import (
	"context"
	"fmt"
	"time"
)

// Backlog is what waits on one topic for one consumer group.
//
// Group "" holds the messages published while no group had joined the
// topic: the first group to claim one of them keeps it, so a consumer
// group's work is its own pair plus the topic's "" pair.
type Backlog struct {
	Topic, Group string
	// Ready counts the messages a consumer of the group could claim now:
	// due (a delay or a retry's backoff has run out) and not held by a
	// live reservation. A message whose holder died counts again once
	// its visibility timeout has run out; one being handled does not.
	Ready int64
	// DeadLetters counts the group's dead letters on the topic.
	DeadLetters int64
}

// backlogQuery counts every pair in one statement. The jobs are counted on
// the claim index (topic, grp, available_at), which holds every column the
// count reads, in the order it groups by; the dead letters on their (topic,
// grp) index. The groups that joined a topic are listed with zeros, so a
// group whose backlog is empty keeps a series at 0 rather than losing it.
// MAX, not SUM, merges the three: each pair has at most one row in each,
// and MAX keeps COUNT's integer type on every database (PostgreSQL's SUM of
// a bigint is a numeric).
const backlogQuery = `SELECT topic, grp, MAX(ready) AS ready, MAX(dead) AS dead FROM (
 SELECT topic, grp, COUNT(*) AS ready, 0 AS dead FROM gox_queue_jobs WHERE available_at <= ? GROUP BY topic, grp
 UNION ALL SELECT topic, grp, 0, COUNT(*) FROM gox_queue_failed GROUP BY topic, grp
 UNION ALL SELECT topic, grp, 0, 0 FROM gox_queue_groups
) q GROUP BY topic, grp ORDER BY topic, grp`

// Backlog counts what waits on every topic for every consumer group, in
// one statement, ordered by topic and group. It returns at most
// backlog_series pairs and the number of pairs past them.
func (b *Broker) Backlog(ctx context.Context) (pairs []Backlog, overflow int, err error) {
	rows, err := b.conn(ctx).Raw(backlogQuery, b.now().UnixMilli()).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("dbbroker: count the backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(pairs) == b.c.BacklogSeries {
			overflow++
			continue
		}
		var p Backlog
		if err := rows.Scan(&p.Topic, &p.Group, &p.Ready, &p.DeadLetters); err != nil {
			return nil, 0, fmt.Errorf("dbbroker: count the backlog: %w", err)
		}
		pairs = append(pairs, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("dbbroker: count the backlog: %w", err)
	}
	return pairs, overflow, nil
}

// ticker is a time.Ticker's channel and its Stop; tests give their own.
type ticker func(d time.Duration) (<-chan time.Time, func())

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
