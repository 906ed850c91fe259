{{/* Labels every object of the chart carries. */}}
{{- define "ssp.labels" -}}
app.kubernetes.io/part-of: ssp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/*
One Deployment. Context: dict with root (the chart's .), name, principal (its Kafka
principal), module, args, port, opsPort (0: ops on port), devicePort (0: none), replicas,
autoscaling, env, secretEnv, secretMounts, resources.
*/}}
{{- define "ssp.deployment" -}}
{{- $root := .root -}}
{{- $probePort := .opsPort | default .port -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $root.Release.Name }}-{{ .name }}
  labels:
    {{- include "ssp.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ .name }}
spec:
  {{- if not .autoscaling.enabled }}
  replicas: {{ .replicas }}
  {{- end }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/name: {{ .name }}
  template:
    metadata:
      labels:
        {{- include "ssp.labels" $root | nindent 8 }}
        app.kubernetes.io/name: {{ .name }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $probePort | quote }}
        prometheus.io/path: /metrics
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .name }}
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            {{- toYaml .args | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ .port }}
            {{- if .opsPort }}
            - name: ops
              containerPort: {{ .opsPort }}
            {{- end }}
            {{- if .devicePort }}
            - name: device
              containerPort: {{ .devicePort }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $root.Release.Name }}-config
          env:
            - name: SSP_HTTP_PORT
              value: {{ .port | quote }}
            {{- if .opsPort }}
            - name: SSP_OPS_HOST
              value: 0.0.0.0
            - name: SSP_OPS_PORT
              value: {{ .opsPort | quote }}
            {{- end }}
            - name: SSP_INSTANCE_ID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: MONGODB_URL
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.mongodb.urlSecret.name }}
                  key: {{ $root.Values.mongodb.urlSecret.key }}
            {{- if ne $root.Values.kafka.securityProtocol "PLAINTEXT" }}
            {{- $kafkaSecret := printf "%s-%s" $root.Values.kafka.credentialsSecretPrefix .principal }}
            - name: KAFKA_SASL_USERNAME
              valueFrom:
                secretKeyRef:
                  name: {{ $kafkaSecret }}
                  key: username
            - name: KAFKA_SASL_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ $kafkaSecret }}
                  key: password
            {{- end }}
            {{- range $key, $value := .env }}
            - name: {{ $key }}
              value: {{ $value | quote }}
            {{- end }}
            {{- range .secretEnv }}
            - name: {{ .name }}
              valueFrom:
                secretKeyRef:
                  name: {{ .secret }}
                  key: {{ .key }}
                  optional: {{ .optional | default false }}
            {{- end }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: {{ $probePort }}
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: {{ $probePort }}
            periodSeconds: 5
            failureThreshold: 2
          startupProbe:
            httpGet:
              path: /healthz
              port: {{ $probePort }}
            periodSeconds: 2
            failureThreshold: 60
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            # The root filesystem is read-only; large uploads spill to /tmp.
            - name: tmp
              mountPath: /tmp
            {{- range .secretMounts }}
            - name: {{ .secret }}
              mountPath: {{ .path }}
              readOnly: true
            {{- end }}
            {{- if $root.Values.kafka.caSecret }}
            - name: kafka-ca
              mountPath: /var/run/secrets/kafka-ca
              readOnly: true
            {{- end }}
      terminationGracePeriodSeconds: 30
      volumes:
        - name: tmp
          emptyDir: {}
        {{- range .secretMounts }}
        - name: {{ .secret }}
          secret:
            secretName: {{ .secret }}
        {{- end }}
        {{- if $root.Values.kafka.caSecret }}
        - name: kafka-ca
          secret:
            secretName: {{ $root.Values.kafka.caSecret }}
        {{- end }}
{{- end -}}
