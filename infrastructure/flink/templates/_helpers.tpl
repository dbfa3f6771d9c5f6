{{- define "flink.name" -}}
{{- default "iot-monitor" .Values.nameOverride | trunc 45 | trimSuffix "-" -}}
{{- end -}}

{{- define "flink.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flink.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "flink.labels" -}}
{{ include "flink.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: iot-device-monitor
app.kubernetes.io/component: monitor
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "flink.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ .Values.serviceAccount.name }}{{ else }}{{ default "flink" .Values.serviceAccount.name }}{{ end -}}
{{- end -}}

{{/* The official Flink image runs as user flink (9999). */}}
{{- define "flink.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 9999
runAsGroup: 9999
fsGroup: 9999
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "flink.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The monitor's own arguments, after PythonDriver's -pym, in the order and form of
     iot_monitor.submit.job_arguments, the one definition shared with compose and
     `iot-monitor run --jobmanager` (tests/deploy/test_job_definition.py compares them). */}}
{{- define "flink.jobArgs" -}}
{{- $k := .Values.kafka -}}
{{- $args := list "-pym" "iot_monitor" "run" "--kafka.bootstrap.servers" $k.bootstrapServers -}}
{{- $props := dict -}}
{{- if ne $k.securityProtocol "PLAINTEXT" -}}
{{- $_ := set $props "security.protocol" $k.securityProtocol -}}
{{- $_ := set $props "config.providers" "dir" -}}
{{- $_ := set $props "config.providers.dir.class" (include "flink.kafkaClass" "common.config.provider.DirectoryConfigProvider") -}}
{{- end -}}
{{- if hasPrefix "SASL" $k.securityProtocol -}}
{{- $_ := set $props "sasl.mechanism" $k.saslMechanism -}}
{{- $_ := set $props "sasl.jaas.config" "${dir:/etc/kafka-client/sasl:sasl.jaas.config}" -}}
{{- end -}}
{{- if hasSuffix "SSL" $k.securityProtocol -}}
{{- $_ := set $props "ssl.truststore.type" "PKCS12" -}}
{{- $_ := set $props "ssl.truststore.location" "/etc/kafka-client/tls/truststore.p12" -}}
{{- $_ := set $props "ssl.truststore.password" "${dir:/etc/kafka-client/tls:truststore-password}" -}}
{{- end -}}
{{- range $key, $value := $k.properties -}}
{{- $_ := set $props $key (toString $value) -}}
{{- end -}}
{{- range $key := keys $props | sortAlpha -}}
{{- $args = append $args "--kafka.property" -}}
{{- $args = append $args (printf "%s=%s" $key (get $props $key)) -}}
{{- end -}}
{{- $args = concat $args (list
  "--events.topic" $k.eventsTopic
  "--alerts.topic" $k.alertsTopic
  "--dlq.topic" $k.dlqTopic
  "--status.topic" $k.statusTopic
  "--settings.topic" $k.settingsTopic
  "--group-id" .Values.job.groupId
  "--starting-offsets" .Values.job.startingOffsets
  "--checkpoint.dir" (printf "%s/checkpoints" (trimSuffix "/" .Values.storage.baseUri))
  "--parallelism" (toString .Values.parallelism)
  "--delivery-guarantee" .Values.job.deliveryGuarantee
  "--transactional-id-prefix" (printf "%s-%s" (include "flink.name" .) .Release.Namespace)
  "--time-unit" .Values.job.timeUnit) -}}
{{- $args = concat $args .Values.job.extraArgs -}}
{{- toYaml $args -}}
{{- end -}}

{{/* The Kafka SQL connector jar relocates the Kafka client under this package, so
     class names given to the client (config providers, JAAS login modules) carry it. */}}
{{- define "flink.kafkaClass" -}}
org.apache.flink.kafka.shaded.org.apache.kafka.{{ . }}
{{- end -}}
