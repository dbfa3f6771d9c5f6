{{- define "kafka.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kafka.headless" -}}
{{- printf "%s-headless" (include "kafka.name" .) -}}
{{- end -}}

{{- define "kafka.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kafka.labels" -}}
{{ include "kafka.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: iot-device-monitor
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* KRaft wants 16 bytes in base64url; the namespace fixes them when none is given. */}}
{{- define "kafka.clusterId" -}}
{{- if .Values.clusterId -}}
{{- .Values.clusterId -}}
{{- else -}}
{{- sha256sum (printf "kafka/%s" .Release.Namespace) | trunc 16 | b64enc | trimSuffix "==" | replace "+" "-" | replace "/" "_" -}}
{{- end -}}
{{- end -}}

{{/* Replication of topics and internal state: up to three copies, two in sync when possible. */}}
{{- define "kafka.replicationFactor" -}}
{{- min 3 (int .Values.replicas) -}}
{{- end -}}

{{- define "kafka.minInsync" -}}
{{- if ge (int .Values.replicas) 3 }}2{{ else }}1{{ end -}}
{{- end -}}

{{- define "kafka.usesTls" -}}
{{- if or (hasSuffix "SSL" .Values.listeners.client.protocol) (eq .Values.listeners.internal.protocol "SSL") }}true{{ end -}}
{{- end -}}

{{- define "kafka.usesSasl" -}}
{{- if hasPrefix "SASL" .Values.listeners.client.protocol }}true{{ end -}}
{{- end -}}

{{- define "kafka.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kafka.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
