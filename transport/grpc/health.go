package grpc

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/health"
)

// watchInterval is how often Watch re-evaluates checks between state changes.
const watchInterval = 5 * time.Second

// healthServer answers grpc.health.v1 from readiness: SERVING when every check
// passes and the App is not stopping. It knows the overall service ("") and
// every registered service.
type healthServer struct {
	healthpb.UnimplementedHealthServer
	h        *health.Health
	services func() map[string]grpc.ServiceInfo
}

func (s *healthServer) status(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	if service != "" {
		if _, ok := s.services()[service]; !ok {
			return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, status.Errorf(codes.NotFound, "unknown service %q", service)
		}
	}
	if s.h.Ready(ctx).Ready {
		return healthpb.HealthCheckResponse_SERVING, nil
	}
	return healthpb.HealthCheckResponse_NOT_SERVING, nil
}

func (s *healthServer) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, err := s.status(ctx, req.GetService())
	if err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

func (s *healthServer) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx := stream.Context()
	last := healthpb.HealthCheckResponse_ServingStatus(-1)
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	for {
		changed := s.h.Changed()
		st, err := s.status(ctx, req.GetService())
		if err != nil {
			st = healthpb.HealthCheckResponse_SERVICE_UNKNOWN // Watch reports unknown services instead of failing
		}
		if st != last {
			if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
				return err
			}
			last = st
		}
		select {
		case <-ctx.Done():
			// what the client got: it left (Canceled) or its deadline passed
			return status.FromContextError(ctx.Err()).Err()
		case <-changed:
		case <-tick.C:
		}
	}
}
