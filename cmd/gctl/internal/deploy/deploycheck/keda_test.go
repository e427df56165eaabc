package deploycheck

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The KEDA types below mirror keda.sh/v1alpha1 as KEDA v2 declares it
// (github.com/kedacore/keda, apis/keda/v1alpha1: scaledobject_types.go,
// scaletriggers_types.go, triggerauthentication_types.go): field names
// and JSON tags as there, status and the cloud secret stores left out.
// github.com/kedacore/keda/v2 is not imported: it is not among the Go
// modules served here, and its module pulls the scalers' SDKs (every
// cloud's). Decoding into these with unknown fields refused catches a
// misspelt or misplaced key as the API server's structural schema would
// prune it.

// ScaledObject is keda.sh/v1alpha1 ScaledObject.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ScaledObjectSpec `json:"spec"`
}

// ScaledObjectSpec is the spec of a ScaledObject.
type ScaledObjectSpec struct {
	ScaleTargetRef        *ScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	InitialCooldownPeriod int32           `json:"initialCooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTriggers `json:"triggers"`
	Fallback              *Fallback       `json:"fallback,omitempty"`
}

// ScaleTarget is what a ScaledObject scales.
type ScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

// AdvancedConfig is spec.advanced.
type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *HorizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              *ScalingModifiers              `json:"scalingModifiers,omitempty"`
}

// HorizontalPodAutoscalerConfig is spec.advanced.horizontalPodAutoscalerConfig.
type HorizontalPodAutoscalerConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

// ScalingModifiers is spec.advanced.scalingModifiers.
type ScalingModifiers struct {
	Formula          string                         `json:"formula,omitempty"`
	Target           string                         `json:"target,omitempty"`
	ActivationTarget string                         `json:"activationTarget,omitempty"`
	MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// Fallback is spec.fallback.
type Fallback struct {
	FailureThreshold int32 `json:"failureThreshold"`
	Replicas         int32 `json:"replicas"`
}

// ScaleTriggers is one of spec.triggers.
type ScaleTriggers struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *AuthenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// AuthenticationRef names a TriggerAuthentication.
type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// TriggerAuthentication is keda.sh/v1alpha1 TriggerAuthentication (its
// secret and environment sources; the cloud secret stores are left out,
// so a chart using one fails here until they are added).
type TriggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              TriggerAuthenticationSpec `json:"spec"`
}

// TriggerAuthenticationSpec is the spec of a TriggerAuthentication.
type TriggerAuthenticationSpec struct {
	SecretTargetRef    []AuthTargetRef   `json:"secretTargetRef,omitempty"`
	ConfigMapTargetRef []AuthTargetRef   `json:"configMapTargetRef,omitempty"`
	Env                []AuthEnvironment `json:"env,omitempty"`
}

// AuthTargetRef takes a trigger parameter from a key of a Secret or
// ConfigMap.
type AuthTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

// AuthEnvironment takes a trigger parameter from an environment variable
// of the scaled workload's container.
type AuthEnvironment struct {
	Parameter     string `json:"parameter"`
	Name          string `json:"name"`
	ContainerName string `json:"containerName,omitempty"`
}

// scaler is what KEDA's documentation (keda.sh/docs/2.x/scalers) lists
// for one trigger type: metadata keys it requires (one of each group),
// keys it accepts, and the parameters a TriggerAuthentication may give it.
type scaler struct {
	required [][]string // each inner list: one of these keys (or an auth parameter of that name)
	optional []string
	auth     []string
}

var scalers = map[string]scaler{
	// keda.sh/docs/2.x/scalers/apache-kafka
	"kafka": {
		required: [][]string{{"bootstrapServers", "bootstrapServersFromEnv"}, {"consumerGroup", "consumerGroupFromEnv"}},
		optional: []string{"topic", "topicFromEnv", "lagThreshold", "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers",
			"scaleToZeroOnInvalidOffset", "excludePersistentLag", "version", "partitionLimitation", "limitToPartitionsWithLag",
			"ensureEvenDistributionOfPartitions", "sasl", "tls", "unsafeSsl"},
		auth: []string{"sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword", "unsafeSsl", "bootstrapServers"},
	},
	// keda.sh/docs/2.x/scalers/rabbitmq-queue
	"rabbitmq": {
		required: [][]string{{"host", "hostFromEnv"}, {"queueName"}},
		optional: []string{"protocol", "mode", "value", "activationValue", "vhostName", "useRegex", "excludeUnacknowledged",
			"operation", "timeout", "pageSize", "unsafeSsl", "queueLength"},
		auth: []string{"host", "username", "password", "tls", "ca", "cert", "key", "keyPassword", "unsafeSsl"},
	},
	// keda.sh/docs/2.x/scalers/nats-jetstream
	"nats-jetstream": {
		required: [][]string{{"natsServerMonitoringEndpoint"}, {"account"}, {"stream"}, {"consumer"}},
		optional: []string{"lagThreshold", "activationLagThreshold", "useHttps"},
		auth:     []string{"natsServerMonitoringEndpoint", "account"},
	},
	// keda.sh/docs/2.x/scalers/prometheus
	"prometheus": {
		required: [][]string{{"serverAddress"}, {"query"}, {"threshold"}},
		optional: []string{"activationThreshold", "namespace", "customHeaders", "ignoreNullValues", "queryParameters",
			"unsafeSsl", "authModes", "timeout"},
		auth: []string{"bearerToken", "username", "password", "ca", "cert", "key", "customAuthHeader", "customAuthValue"},
	},
	// keda.sh/docs/2.x/scalers/cpu
	"cpu": {required: [][]string{{"value"}}, optional: []string{"type", "containerName"}},
}

// checkTrigger says what KEDA would refuse in tr, given the parameters
// its TriggerAuthentication supplies (nil when it has none).
func checkTrigger(tr ScaleTriggers, authParams []string) []string {
	s, ok := scalers[tr.Type]
	if !ok {
		return []string{fmt.Sprintf("trigger type %q is not one the tests know (%s)", tr.Type, strings.Join(sortedKeys(scalers), ", "))}
	}
	var problems []string
	known := slices.Concat(s.optional, slices.Concat(s.required...))
	for k := range tr.Metadata {
		if !slices.Contains(known, k) {
			problems = append(problems, fmt.Sprintf("%s trigger: metadata key %q is not one KEDA's %s scaler reads", tr.Type, k, tr.Type))
		}
	}
	for _, group := range s.required {
		found := false
		for _, k := range group {
			if tr.Metadata[k] != "" || slices.Contains(authParams, k) {
				found = true
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s trigger: needs metadata %s", tr.Type, strings.Join(group, " or ")))
		}
	}
	for _, k := range []string{"bootstrapServers", "natsServerMonitoringEndpoint", "serverAddress", "host"} {
		for _, addr := range strings.Split(tr.Metadata[k], ",") {
			if loopback(addr) {
				problems = append(problems, fmt.Sprintf("%s trigger: %s %q is a loopback address: KEDA's operator runs in a pod of its own and would ask itself", tr.Type, k, tr.Metadata[k]))
				break
			}
		}
	}
	for _, p := range authParams {
		if !slices.Contains(s.auth, p) {
			problems = append(problems, fmt.Sprintf("%s trigger: authentication parameter %q is not one KEDA's %s scaler takes (%s)", tr.Type, p, tr.Type, strings.Join(s.auth, ", ")))
		}
	}
	return problems
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loopback reports whether addr (host, host:port or a URL) names this
// host.
func loopback(addr string) bool {
	addr = strings.TrimSpace(addr)
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
