package broker

import (
	"context"
	"time"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Producer publishes through a client middleware chain, so that the
// message headers carry what a call's headers would: tracing.Client injects
// the trace context (the consumer's tracing.Server continues it),
// requestid.Client the request id, metrics.Client counts publishes.
type Producer struct {
	p     Publisher
	chain middleware.Handler
}

type publishReq struct {
	topic string
	msg   *Message
	opts  []PublishOption
}

// NewProducer returns a Producer publishing to p through mws, outermost first.
func NewProducer(p Publisher, mws ...middleware.Middleware) *Producer {
	pr := &Producer{p: p}
	pr.chain = middleware.Chain(mws...)(func(ctx context.Context, req any) (any, error) {
		r := req.(*publishReq)
		return nil, p.Publish(ctx, r.topic, r.msg, r.opts...)
	})
	return pr
}

// Publish implements Publisher.
func (p *Producer) Publish(ctx context.Context, topic string, msg *Message, opts ...PublishOption) error {
	if msg != nil && msg.Headers == nil {
		msg.Headers = map[string]string{}
	}
	tr := &producerTransport{topic: topic}
	if msg != nil {
		tr.headers = msg.Headers
	}
	_, err := p.chain(transport.NewClientContext(ctx, tr), &publishReq{topic, msg, opts})
	return err
}

// Send publishes body to topic with an ordering key and a delay (0: none):
// Publish for the common case.
func (p *Producer) Send(ctx context.Context, topic, key string, body []byte, delay time.Duration) error {
	return p.Publish(ctx, topic, &Message{Key: key, Body: body}, WithDelay(delay))
}

// producerTransport is the client side transport of a publish.
type producerTransport struct {
	topic   string
	headers map[string]string
}

func (t *producerTransport) Kind() transport.Kind { return transport.KindQueue }
func (t *producerTransport) Endpoint() string     { return t.topic }
func (t *producerTransport) Operation() string    { return t.topic }
func (t *producerTransport) RequestHeader() transport.Header {
	if t.headers == nil {
		t.headers = map[string]string{}
	}
	return transport.MapHeader(t.headers)
}
func (t *producerTransport) ReplyHeader() transport.Header {
	return transport.MapHeader(map[string]string{})
}
