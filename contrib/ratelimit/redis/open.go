package redis

import (
	cacheredis "github.com/goxkit/gox/contrib/cache/redis"
)

// Open makes Limiters over a client built from c, exactly as
// contrib/cache/redis builds its own (cacheredis.NewClient: standalone,
// sentinel or cluster, traced and counted), with keys under c.Prefix + "rl:"
// unless WithPrefix says otherwise. Close closes that client. To give the
// client a metrics recorder or a tracer provider, build it with
// cacheredis.NewClient and pass it to New.
func Open(c cacheredis.Config, opts ...Option) (*Limiters, error) {
	client, err := cacheredis.NewClient(c)
	if err != nil {
		return nil, err
	}
	l := New(client, append([]Option{WithPrefix(c.Prefix + "rl:")}, opts...)...)
	l.owned = true
	return l, nil
}
