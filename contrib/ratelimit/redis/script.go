package redis

import (
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// gcra decides one call in one round trip with the generic cell rate
// algorithm, as github.com/go-redis/redis_rate does (its allowN script,
// after rwz/redis-gcra), extended with reservations: a call whose turn comes
// within maxWait is counted now and told how long to wait, which redis_rate
// cannot do.
//
// The key holds the theoretical arrival time (TAT) of the next call, in
// microseconds of the server's clock: every replica's call is timed by
// Redis's TIME, so replicas with skewed clocks share one schedule. A call
// moves the TAT on by one interval (Per/Limit) and may go once
// TAT - tolerance (Burst intervals) is past; it is admitted when that moment
// is at most maxWait away. A refused call changes nothing. The key expires
// when its TAT is reached, at which point it would say nothing an absent key
// does not.
//
// Times are µs since the epoch (about 1.8e15, exact in a double); the TAT is
// written with %.17g so it reads back exactly. The wait is rounded to the
// nearest µs, so floating-point dust never refuses the last call of a burst.
//
// KEYS[1]: the key. ARGV: interval and tolerance in µs (may be fractional),
// maxWait in whole µs, and "now" in µs or "" for the server's TIME. Tests
// drive a clock of their own through "now"; the key's TTL still runs on
// Redis's clock then, so it is given a minute more.
// Reply: {1, wait µs} when admitted, {0, µs until it would be} when refused.
var gcra = goredis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local maxwait = tonumber(ARGV[3])
local now, grace = nil, 0
if ARGV[4] ~= '' then
  now, grace = tonumber(ARGV[4]), 60000
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local wait = math.floor(new_tat - tolerance - now + 0.5)
if wait < 0 then wait = 0 end
if wait > maxwait then
  return {0, wait - maxwait}
end
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)) + grace)
return {1, wait}
`)

// minRetryAfter is the shortest Retry-After a refusal gives: the contract
// wants one > 0, and clients cannot act on less than a millisecond.
const minRetryAfter = time.Millisecond

// maxReplyWait bounds the waits a reply may carry, so that a corrupt reply
// cannot overflow a time.Duration (about 292 years).
const maxReplyWait = 100 * 365 * 24 * time.Hour

// errReply is the mistake of a reply that is not the script's.
var errReply = errors.New("unexpected reply to the rate limit script")

// parseReply reads the script's reply: {admitted 0|1, µs}.
func parseReply(v any) (wait time.Duration, ok bool, err error) {
	a, isSlice := v.([]any)
	if !isSlice || len(a) != 2 {
		return 0, false, fmt.Errorf("%w: %v", errReply, v)
	}
	flag, isInt := a[0].(int64)
	us, isInt2 := a[1].(int64)
	if !isInt || !isInt2 || flag < 0 || flag > 1 || us < 0 || us > maxReplyWait.Microseconds() {
		return 0, false, fmt.Errorf("%w: %v", errReply, v)
	}
	wait = time.Duration(us) * time.Microsecond
	if flag == 0 {
		return max(wait, minRetryAfter), false, nil
	}
	return wait, true, nil
}
