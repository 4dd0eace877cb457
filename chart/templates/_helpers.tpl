{{/*
Names and labels, defined once. Every generated name is truncated so that it stays a valid
Kubernetes name (63 characters; 52 for the CronJob, whose Jobs append 11).
*/}}

{{- define "ecr-anywhere.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecr-anywhere.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<suffix>" within `max` characters (default 63): the prefix is cut, never the suffix. */}}
{{- define "ecr-anywhere.suffixedName" -}}
{{- $max := .max | default 63 -}}
{{- $prefix := include "ecr-anywhere.fullname" .root | trunc (int (sub $max (add1 (len .suffix)))) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix .suffix -}}
{{- end -}}

{{- define "ecr-anywhere.webhook.name" -}}
{{- include "ecr-anywhere.suffixedName" (dict "root" . "suffix" "webhook") -}}
{{- end -}}

{{/* The MutatingWebhookConfiguration (cluster-scoped): also given to the webhook as WEBHOOK_CONFIGURATION_NAME. */}}
{{- define "ecr-anywhere.webhook.configurationName" -}}
{{- include "ecr-anywhere.webhook.name" . -}}
{{- end -}}

{{/* The webhook Service; the serving certificate covers <service>.<namespace>.svc. Given as SERVICE_NAME. */}}
{{- define "ecr-anywhere.webhook.serviceName" -}}
{{- include "ecr-anywhere.webhook.name" . -}}
{{- end -}}

{{- define "ecr-anywhere.refresher.name" -}}
{{- include "ecr-anywhere.suffixedName" (dict "root" . "suffix" "refresher" "max" 52) -}}
{{- end -}}

{{- define "ecr-anywhere.webhook.serviceAccountName" -}}
{{- if .Values.webhook.serviceAccount.create -}}
{{- default (include "ecr-anywhere.webhook.name" .) .Values.webhook.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.webhook.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ecr-anywhere.refresher.serviceAccountName" -}}
{{- if .Values.refresher.serviceAccount.create -}}
{{- default (include "ecr-anywhere.refresher.name" .) .Values.refresher.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.refresher.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the webhook serves its certificate from (files modes) or keeps its CA in (self mode). */}}
{{- define "ecr-anywhere.tls.secretName" -}}
{{- if eq .Values.tls.mode "manual" -}}
{{- required "tls.manual.secretName is required when tls.mode=manual: an existing kubernetes.io/tls Secret in the release namespace" .Values.tls.manual.secretName -}}
{{- else if and (eq .Values.tls.mode "self") .Values.tls.self.secretName -}}
{{- .Values.tls.self.secretName -}}
{{- else -}}
{{- include "ecr-anywhere.suffixedName" (dict "root" . "suffix" "webhook-tls") -}}
{{- end -}}
{{- end -}}

{{- define "ecr-anywhere.certManager.certificateName" -}}
{{- include "ecr-anywhere.webhook.name" . -}}
{{- end -}}

{{- define "ecr-anywhere.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels for every object. */}}
{{- define "ecr-anywhere.labels" -}}
helm.sh/chart: {{ include "ecr-anywhere.chart" . }}
app.kubernetes.io/name: {{ include "ecr-anywhere.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecr-anywhere
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (webhook or refresher): they never select the other component's pods. */}}
{{- define "ecr-anywhere.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr-anywhere.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ecr-anywhere.componentLabels" -}}
{{ include "ecr-anywhere.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ecr-anywhere.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level settings shared by the webhook and refresher pods. */}}
{{- define "ecr-anywhere.podSecurity" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* A writable /tmp for a read-only root filesystem (Node and the AWS SDK may write temporary files). */}}
{{- define "ecr-anywhere.tmpVolume" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- end -}}

{{- define "ecr-anywhere.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* A label map as a selector string, "k1=v1,k2=v2" in key order (for REFRESH_NAMESPACE_SELECTOR). */}}
{{- define "ecr-anywhere.labelSelectorString" -}}
{{- $pairs := list -}}
{{- range $key, $value := . -}}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* Inputs that fail the render with a message saying what to set, before anything reaches the cluster. */}}
{{- define "ecr-anywhere.validate" -}}
{{- $_ := required "aws.region is required: the AWS region of your default ECR registry, e.g. --set aws.region=us-east-1" .Values.aws.region -}}
{{- range .Values.aws.env -}}
{{- if eq .name "AWS_REGION" "AWS_DEFAULT_REGION" -}}
{{- fail (printf "aws.env must not set %s: use aws.region instead (it is the one the webhook and the chart read)" .name) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.aws.webIdentity.enabled (not .Values.aws.webIdentity.roleArn) -}}
{{- fail "aws.webIdentity.roleArn is required when aws.webIdentity.enabled=true" -}}
{{- end -}}
{{- if and .Values.aws.configFile.existingSecret .Values.aws.configFile.content -}}
{{- fail "aws.configFile: set existingSecret or content, not both" -}}
{{- end -}}
{{- if eq .Values.tls.mode "manual" -}}
{{- $_ := include "ecr-anywhere.tls.secretName" . -}}
{{- $_ := required "tls.manual.caBundle is required when tls.mode=manual: the PEM (or base64 of the PEM) of the CA that signed the serving certificate" .Values.tls.manual.caBundle -}}
{{- end -}}
{{- if and .Values.webhook.url (ne .Values.tls.mode "manual") -}}
{{- fail "webhook.url needs tls.mode=manual: set tls.manual.caBundle to the CA of the webhook serving that URL" -}}
{{- end -}}
{{- if .Values.serviceAccounts.inject.enabled -}}
{{- if not (include "ecr-anywhere.serviceAccounts.secretName" .) -}}
{{- fail "serviceAccounts.inject.enabled needs a Secret name: set serviceAccounts.inject.secretName or refresher.provisioning.secretName" -}}
{{- end -}}
{{- if and .Values.webhook.url (not (hasSuffix "/sync" .Values.webhook.url)) -}}
{{- fail "serviceAccounts.inject.enabled with webhook.url: the URL must end in /sync (the ServiceAccount entry calls the same host at /mutate-serviceaccounts)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pull Secret new ServiceAccounts get: its own value, else the one provisioning creates. */}}
{{- define "ecr-anywhere.serviceAccounts.secretName" -}}
{{- .Values.serviceAccounts.inject.secretName | default .Values.refresher.provisioning.secretName -}}
{{- end -}}

{{/*
How the API server reaches the webhook at one path: the Service, or webhook.url with its /sync path swapped.
Called with (dict "root" $ "path" "/sync" "caBundle" $caBundle).
*/}}
{{- define "ecr-anywhere.webhook.clientConfig" -}}
{{- $values := .root.Values -}}
{{- if $values.webhook.url }}
url: {{ printf "%s%s" (trimSuffix "/sync" $values.webhook.url) .path | quote }}
{{- else }}
service:
  name: {{ include "ecr-anywhere.webhook.serviceName" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: 443
{{- end }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end -}}

{{/* Namespaces that opted in, never the system namespaces nor our own (its Secrets stay writable while the webhook is down). */}}
{{- define "ecr-anywhere.webhook.namespaceSelector" -}}
matchExpressions:
  - key: ecr-anywhere.centml.ai/namespace
    operator: In
    values: ["enabled"]
  {{- range $key, $value := .Values.extraNamespaceLabels }}
  - key: {{ $key | quote }}
    operator: In
    values: [{{ $value | quote }}]
  {{- end }}
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- toYaml (concat (list "kube-system" "kube-public" .Release.Namespace) .Values.webhook.excludedNamespaces | uniq) | nindent 6 }}
{{- end -}}
