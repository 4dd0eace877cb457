{{/*
Mutual TLS and the webhook's NetworkPolicy (docs/security.md): the client CA bundle's source, the env, volume and
mount it needs, and the checks that fail the install when the settings cannot work.
*/}}

{{- define "ecr-anywhere.clientAuth.configMapName" -}}
{{- include "ecr-anywhere.suffixedName" (dict "root" . "suffix" "webhook-client-ca") -}}
{{- end -}}

{{- define "ecr-anywhere.clientAuth.env" -}}
{{- $auth := .Values.webhook.clientAuth -}}
- name: TLS_MIN_VERSION
  value: {{ .Values.webhook.tlsMinVersion | quote }}
{{- if $auth.enabled }}
- name: CLIENT_CA_FILE
  value: /client-ca/{{ $auth.key }}
{{- with $auth.allowedNames }}
- name: CLIENT_ALLOWED_NAMES
  value: {{ join "," . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "ecr-anywhere.clientAuth.volumeMount" -}}
{{- if .Values.webhook.clientAuth.enabled -}}
- name: client-ca
  mountPath: /client-ca
  readOnly: true
{{- end -}}
{{- end -}}

{{/* A ConfigMap or Secret volume: the kubelet swaps its files in place, and the webhook reloads them. */}}
{{- define "ecr-anywhere.clientAuth.volume" -}}
{{- $auth := .Values.webhook.clientAuth -}}
{{- if $auth.enabled -}}
- name: client-ca
{{- if $auth.existingSecret }}
  secret:
    secretName: {{ $auth.existingSecret }}
{{- else }}
  configMap:
    name: {{ $auth.existingConfigMap | default (include "ecr-anywhere.clientAuth.configMapName" .) }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "ecr-anywhere.validateSecurity" -}}
{{- $auth := .Values.webhook.clientAuth -}}
{{- $sources := 0 -}}
{{- range (list $auth.caBundle $auth.existingConfigMap $auth.existingSecret) -}}
{{- if . -}}{{- $sources = add1 $sources -}}{{- end -}}
{{- end -}}
{{- if and $auth.enabled (ne (int $sources) 1) -}}
{{- fail "webhook.clientAuth.enabled needs exactly one of webhook.clientAuth.caBundle, existingConfigMap or existingSecret: the CA of the API server's webhook client certificate" -}}
{{- end -}}
{{- if and (not $auth.enabled) $auth.allowedNames -}}
{{- fail "webhook.clientAuth.allowedNames needs webhook.clientAuth.enabled=true: names are only checked on verified client certificates" -}}
{{- end -}}
{{- if and .Values.webhook.networkPolicy.enabled (not .Values.webhook.networkPolicy.from) -}}
{{- fail "webhook.networkPolicy.from is required when webhook.networkPolicy.enabled=true: the peers the API server calls from (e.g. the control-plane CIDR); without them every labeled Secret write would fail" -}}
{{- end -}}
{{- end -}}
