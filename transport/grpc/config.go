package grpc

import "time"

// Config configures the gRPC server.
type Config struct {
	// Addr is the listen address, host:port. ":0" picks a free port.
	Addr string `yaml:"addr"`
	// Reflection registers the reflection service (grpcurl, grpcui).
	Reflection bool `yaml:"reflection"`
	// MaxRecvMsgBytes is the largest message the server accepts.
	MaxRecvMsgBytes int `yaml:"max_recv_msg_bytes"`
	// MaxSendMsgBytes is the largest message the server sends.
	MaxSendMsgBytes int `yaml:"max_send_msg_bytes"`
	// Keepalive tunes connection keepalive and ageing.
	Keepalive KeepaliveConfig `yaml:"keepalive"`
	// TLS serves over TLS when both files are set.
	TLS TLSConfig `yaml:"tls"`
}

// KeepaliveConfig maps to grpc keepalive.ServerParameters and EnforcementPolicy.
type KeepaliveConfig struct {
	// Time pings an idle client after this long.
	Time time.Duration `yaml:"time"`
	// Timeout closes the connection when a ping is not answered in this long.
	Timeout time.Duration `yaml:"timeout"`
	// MaxConnectionIdle closes connections idle this long (0: never).
	MaxConnectionIdle time.Duration `yaml:"max_connection_idle"`
	// MaxConnectionAge closes connections after this long, so clients rebalance (0: never).
	MaxConnectionAge time.Duration `yaml:"max_connection_age"`
	// MaxConnectionAgeGrace lets calls finish after MaxConnectionAge.
	MaxConnectionAgeGrace time.Duration `yaml:"max_connection_age_grace"`
	// MinTime is the shortest ping interval a client may use.
	MinTime time.Duration `yaml:"min_time"`
	// PermitWithoutStream allows client pings with no active call.
	PermitWithoutStream bool `yaml:"permit_without_stream"`
}

// TLSConfig names a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// DefaultConfig returns :9090, reflection on, 4 MiB messages both ways,
// keepalive pings after 2h idle with 20s to answer, clients may ping every 10s.
func DefaultConfig() Config {
	return Config{
		Addr:            ":9090",
		Reflection:      true,
		MaxRecvMsgBytes: 4 << 20,
		MaxSendMsgBytes: 4 << 20,
		Keepalive: KeepaliveConfig{
			Time:                2 * time.Hour,
			Timeout:             20 * time.Second,
			MinTime:             10 * time.Second,
			PermitWithoutStream: true,
		},
	}
}
