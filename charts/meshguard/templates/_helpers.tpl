{{/* Names */}}
{{- define "meshguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object. Cluster-scoped objects (the webhook configuration, ClusterRole and binding) carry it
too, so two releases with the same name in different namespaces collide: give one a fullnameOverride.
*/}}
{{- define "meshguard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "meshguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meshguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meshguard.labels" -}}
helm.sh/chart: {{ include "meshguard.chart" . }}
{{ include "meshguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: meshguard
{{- end }}

{{- define "meshguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meshguard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "meshguard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The webhook's DNS names, as the API server dials them (service.namespace.svc) and a few shorter spellings. */}}
{{- define "meshguard.serviceDnsNames" -}}
{{- $svc := include "meshguard.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/*
TLS mode: "certManager", "existingSecret" or "generated" (the default).
*/}}
{{- define "meshguard.tlsMode" -}}
{{- if .Values.certManager.enabled }}certManager
{{- else if .Values.tls.existingSecret }}existingSecret
{{- else }}generated
{{- end }}
{{- end }}

{{- define "meshguard.tlsSecretName" -}}
{{- if and .Values.tls.existingSecret (not .Values.certManager.enabled) }}
{{- .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "meshguard.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The chart-generated CA and serving certificate, as base64 strings {ca, crt, key}, computed once per render.

Templates render in separate files (the Secret, the webhook configuration, the Deployment's checksum), and each
genCA call makes a new key, so the result is kept in .Values under a private key on first use: every reader sees the
same certificate, and the caBundle always matches the Secret.

On `helm upgrade` (and `helm install` over a leftover Secret) `lookup` finds the Secret already in the cluster and
its certificate is reused unchanged: upgrades never rotate the CA behind the API server's back. `helm template` and
`--dry-run` without cluster access cannot look anything up and always generate (which is what the chart tests
exercise). To rotate: delete the Secret, then `helm upgrade`; the Secret, the caBundle and the pods (through the
checksum annotation) change together.
*/}}
{{- define "meshguard.generatedTLS" -}}
{{- if not (hasKey .Values "__meshguardGeneratedTLS") }}
{{- $secretName := include "meshguard.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $secretName | default dict }}
{{- $ca := dig "data" "ca.crt" "" $existing }}
{{- $crt := dig "data" "tls.crt" "" $existing }}
{{- $key := dig "data" "tls.key" "" $existing }}
{{- $tls := dict }}
{{- if and $ca $crt $key }}
{{- $tls = dict "ca" $ca "crt" $crt "key" $key "reused" true }}
{{- else }}
{{- $fullname := include "meshguard.fullname" . }}
{{- $dnsNames := include "meshguard.serviceDnsNames" . | fromJsonArray }}
{{- $days := int .Values.tls.validityDays }}
{{- /* ECDSA P-256: generated in milliseconds (RSA takes a second per key) and accepted by every TLS stack. */}}
{{- $caCert := genCAWithKey (printf "%s-webhook-ca" $fullname) $days (genPrivateKey "ecdsa") }}
{{- $serving := genSignedCertWithKey (index $dnsNames 2) nil $dnsNames $days $caCert (genPrivateKey "ecdsa") }}
{{- $tls = dict "ca" ($caCert.Cert | b64enc) "crt" ($serving.Cert | b64enc) "key" ($serving.Key | b64enc) "reused" false }}
{{- end }}
{{- $_ := set .Values "__meshguardGeneratedTLS" $tls }}
{{- end }}
{{- toJson (get .Values "__meshguardGeneratedTLS") }}
{{- end }}

{{/* Name of the cert-manager Certificate whose CA cainjector copies into the webhook configuration. */}}
{{- define "meshguard.certManagerCertificateName" -}}
{{- printf "%s-serving" (include "meshguard.fullname" .) }}
{{- end }}

{{/* Istio resources meshguard reviews and reads, generated from the vendored CRDs (scripts/render-manifests.mjs). */}}
{{- define "meshguard.istioResources" -}}
{{- .Files.Get "files/istio-resources.json" }}
{{- end }}

{{/* The policy configuration document the ConfigMap carries (also hashed into the pod template). */}}
{{- define "meshguard.configYaml" -}}
{{- toYaml (mustMergeOverwrite (dict "apiVersion" "meshguard.io/v1alpha1" "kind" "MeshguardConfig") (deepCopy .Values.config)) }}
{{- end }}

{{/*
"true" when the safe failure policy is on: the webhook configuration is installed with Ignore and meshguard switches it
to Fail after a successful reachability probe. Only meaningful when the policy to reach is Fail.
*/}}
{{- define "meshguard.failClosedAfterProbe" -}}
{{- if and .Values.webhook.failClosedAfterProbe (eq .Values.webhook.failurePolicy "Fail") }}true{{ end }}
{{- end }}

{{/* The failurePolicy written into the ValidatingWebhookConfiguration at install and upgrade. */}}
{{- define "meshguard.installedFailurePolicy" -}}
{{- if include "meshguard.failClosedAfterProbe" . }}Ignore{{ else }}{{ .Values.webhook.failurePolicy }}{{ end }}
{{- end }}

{{/* meshguard's evaluation deadline in ms: the value, or 60% of the webhook's timeoutSeconds. */}}
{{- define "meshguard.evaluationDeadlineMs" -}}
{{- $ms := int .Values.server.evaluationDeadlineMs }}
{{- if eq $ms 0 }}{{ $ms = mul (int .Values.webhook.timeoutSeconds) 600 }}{{ end }}
{{- if ge $ms (mul (int .Values.webhook.timeoutSeconds) 1000) }}
{{- fail (printf "server.evaluationDeadlineMs (%d) must be below webhook.timeoutSeconds (%d s): meshguard must answer before the API server gives up" $ms (int .Values.webhook.timeoutSeconds)) }}
{{- end }}
{{- $ms }}
{{- end }}

{{/* What is left of terminationGracePeriodSeconds after the preStop pause and a 5-second margin, in ms. */}}
{{- define "meshguard.shutdownTimeoutMs" -}}
{{- $seconds := sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds)) 5 }}
{{- if lt $seconds 1 }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds (%d) by more than 5 seconds: meshguard needs time to finish in-flight reviews after the pause" (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds)) }}
{{- end }}
{{- mul $seconds 1000 }}
{{- end }}
