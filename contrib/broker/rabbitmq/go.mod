module github.com/goxkit/gox/contrib/broker/rabbitmq

go 1.26.0

replace github.com/goxkit/gox => ../../..

require (
	github.com/goxkit/gox v0.0.0
	github.com/rabbitmq/amqp091-go v1.16.0
	go.uber.org/goleak v1.3.0
)
