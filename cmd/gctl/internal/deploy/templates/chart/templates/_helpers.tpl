{{- /* Names, labels and the container every workload of the chart runs. */ -}}

{{- define "gox.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gox.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gox.labels" -}}
{{ include "gox.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
{{- end -}}

{{- /* gox.container: one container running the binary with args.
  Takes dict: root (the chart's top), name, args (list), serve (bool: ports, probes, preStop). */ -}}
{{- define "gox.container" -}}
{{- $v := .root.Values -}}
- name: {{ .name }}
  image: {{ printf "%s:%s" $v.image.repository ($v.image.tag | default .root.Chart.AppVersion) | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args:
    - {{ printf "--config=%s/config.yaml" $v.config.mountPath | quote }}
  {{- range .args }}
    - {{ . | quote }}
  {{- end }}
  {{- if .serve }}
  ports:
    - name: http
      containerPort: {{ int $v.ports.http }}
      protocol: TCP
    {{- if $v.ports.grpc }}
    - name: grpc
      containerPort: {{ int $v.ports.grpc }}
      protocol: TCP
    {{- end }}
    {{- if $v.ports.metrics }}
    - name: metrics
      containerPort: {{ int $v.ports.metrics }}
      protocol: TCP
    {{- end }}
    {{- if $v.gossip.enabled }}
    - name: gossip-tcp
      containerPort: {{ int $v.gossip.port }}
      protocol: TCP
    - name: gossip-udp
      containerPort: {{ int $v.gossip.port }}
      protocol: UDP
    {{- end }}
  startupProbe:
    {{- if and $v.ports.grpc $v.probes.startup.grpc }}
    grpc:
      port: {{ int $v.ports.grpc }}
    {{- else }}
    httpGet:
      path: {{ $v.probes.liveness.path }}
      port: http
    {{- end }}
    periodSeconds: {{ int $v.probes.startup.periodSeconds }}
    timeoutSeconds: {{ int $v.probes.startup.timeoutSeconds }}
    failureThreshold: {{ int $v.probes.startup.failureThreshold }}
  livenessProbe:
    httpGet:
      path: {{ $v.probes.liveness.path }}
      port: http
    periodSeconds: {{ int $v.probes.liveness.periodSeconds }}
    timeoutSeconds: {{ int $v.probes.liveness.timeoutSeconds }}
    failureThreshold: {{ int $v.probes.liveness.failureThreshold }}
  readinessProbe:
    httpGet:
      path: {{ $v.probes.readiness.path }}
      port: http
    periodSeconds: {{ int $v.probes.readiness.periodSeconds }}
    timeoutSeconds: {{ int $v.probes.readiness.timeoutSeconds }}
    failureThreshold: {{ int $v.probes.readiness.failureThreshold }}
  {{- if $v.drain.preStopSleepSeconds }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ int $v.drain.preStopSleepSeconds }}
  {{- end }}
  {{- end }}
  env:
    {{- if $v.goRuntime.gomaxprocsFromLimits }}
    - name: GOMAXPROCS
      valueFrom:
        resourceFieldRef:
          resource: limits.cpu
          divisor: "1"
    {{- end }}
    {{- if $v.goRuntime.gomemlimitFromLimits }}
    - name: GOMEMLIMIT
      valueFrom:
        resourceFieldRef:
          resource: limits.memory
          divisor: "1"
    {{- end }}
    {{- if $v.gossip.enabled }}
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: GOSSIP_ADVERTISE_HOST
      value: {{ printf ".%s-headless.$(POD_NAMESPACE).svc.%s" (include "gox.fullname" .root) $v.gossip.clusterDomain | quote }}
    - name: GOSSIP_SEED
      value: {{ printf "%s-0.%s-headless.$(POD_NAMESPACE).svc.%s:%d" (include "gox.fullname" .root) (include "gox.fullname" .root) $v.gossip.clusterDomain (int $v.gossip.port) | quote }}
    {{- end }}
    {{- if $v.secrets.existingSecret }}
    {{- range $v.secrets.required }}
    - name: {{ . }}
      valueFrom:
        secretKeyRef:
          name: {{ $v.secrets.existingSecret | quote }}
          key: {{ . }}
          optional: false
    {{- end }}
    {{- range $v.secrets.env }}
    - name: {{ . }}
      valueFrom:
        secretKeyRef:
          name: {{ $v.secrets.existingSecret | quote }}
          key: {{ . }}
          optional: true
    {{- end }}
    {{- end }}
    {{- with $v.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $v.resources | nindent 4 }}
  securityContext:
    {{- toYaml $v.securityContext | nindent 4 }}
  volumeMounts:
    - name: config
      mountPath: {{ $v.config.mountPath }}
      readOnly: true
    - name: tmp
      mountPath: /tmp
    {{- if $v.dataDir.path }}
    - name: data
      mountPath: {{ $v.dataDir.path }}
    {{- end }}
{{- end -}}

{{- /* gox.podSpec: what every pod of the chart shares. Takes dict: root, grace (bool: set the drain's grace), configMap (default: the release's). */ -}}
{{- define "gox.podSpec" -}}
{{- $v := .root.Values -}}
automountServiceAccountToken: false
{{- with $v.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- if .grace }}
terminationGracePeriodSeconds: {{ int $v.drain.terminationGracePeriodSeconds }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: config
    configMap:
      name: {{ .configMap | default (include "gox.fullname" .root) }}
  - name: tmp
    emptyDir: {}
  {{- if $v.dataDir.path }}
  - name: data
    {{- if $v.dataDir.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ $v.dataDir.existingClaim }}
    {{- else }}
    emptyDir:
      sizeLimit: {{ $v.dataDir.sizeLimit }}
    {{- end }}
  {{- end }}
{{- end -}}


{{- /* gox.validate: what values.schema.json cannot judge alone, refused with the key named. */ -}}
{{- define "gox.validate" -}}
{{- $v := .Values -}}
{{- if $v.colocate }}
{{- if gt (int $v.replicas) 1 }}
{{- fail (printf "replicas %d: this service keeps its SQLite database in a file of one pod (colocate), so every other pod would get an empty database of its own and writes would split across them; keep replicas 1, or switch database.default to MySQL or PostgreSQL to scale out" (int $v.replicas)) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- fail "autoscaling.enabled: this service keeps its SQLite database in a file of one pod (colocate), so every pod the HPA adds would get an empty database of its own and writes would split across them; keep autoscaling.enabled false, or switch database.default to MySQL or PostgreSQL to scale out" }}
{{- end }}
{{- end }}
{{- if not $v.secrets.existingSecret }}
{{- $unset := list }}
{{- range $name := $v.secrets.required }}
{{- $set := false }}
{{- range $v.env }}{{ if eq (toString .name) $name }}{{ $set = true }}{{ end }}{{ end }}
{{- if not $set }}{{ $unset = append $unset $name }}{{ end }}
{{- end }}
{{- if $unset }}
{{- fail (printf "secrets.existingSecret is empty, but config.yaml reads %s without a default (secrets.required) and gox does not start while one is unset: set secrets.existingSecret to a Secret holding those keys (kubectl create secret generic %s-secrets --from-literal=%s=...), or set them in env" (join ", " $unset) .Chart.Name (index $unset 0)) }}
{{- end }}
{{- end }}
{{- end -}}
