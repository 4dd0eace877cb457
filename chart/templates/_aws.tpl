{{/*
AWS credentials for the webhook container: standard AWS SDK variables and files only, so the SDK's default
provider chain picks them up (static keys, web identity, shared config with role_arn / credential_process).
*/}}

{{- define "ecr-anywhere.aws.webIdentityDir" -}}/var/run/secrets/ecr-anywhere/aws-web-identity{{- end -}}
{{- define "ecr-anywhere.aws.configDir" -}}/etc/ecr-anywhere/aws{{- end -}}

{{- define "ecr-anywhere.aws.configSecretName" -}}
{{- if .Values.aws.configFile.existingSecret -}}
{{- .Values.aws.configFile.existingSecret -}}
{{- else -}}
{{- include "ecr-anywhere.suffixedName" (dict "root" . "suffix" "aws-config") -}}
{{- end -}}
{{- end -}}

{{- define "ecr-anywhere.aws.configEnabled" -}}
{{- if or .Values.aws.configFile.existingSecret .Values.aws.configFile.content -}}true{{- end -}}
{{- end -}}

{{- define "ecr-anywhere.aws.env" -}}
{{- $aws := .Values.aws -}}
- name: AWS_REGION
  value: {{ $aws.region | quote }}
{{- with $aws.existingSecret }}
{{- if .name }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .secretAccessKeyKey }}
{{- if .sessionTokenKey }}
- name: AWS_SESSION_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .sessionTokenKey }}
{{- end }}
{{- end }}
{{- end }}
{{- if $aws.webIdentity.enabled }}
- name: AWS_ROLE_ARN
  value: {{ $aws.webIdentity.roleArn | quote }}
- name: AWS_WEB_IDENTITY_TOKEN_FILE
  value: {{ include "ecr-anywhere.aws.webIdentityDir" . }}/token
{{- with $aws.webIdentity.roleSessionName }}
- name: AWS_ROLE_SESSION_NAME
  value: {{ . | quote }}
{{- end }}
{{- with $aws.webIdentity.sessionDuration }}
- name: AWS_ROLE_SESSION_DURATION
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if include "ecr-anywhere.aws.configEnabled" . }}
- name: AWS_CONFIG_FILE
  value: {{ include "ecr-anywhere.aws.configDir" . }}/config
{{- with $aws.configFile.profile }}
- name: AWS_PROFILE
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $aws.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ecr-anywhere.aws.volumes" -}}
{{- if .Values.aws.webIdentity.enabled }}
- name: aws-web-identity
  projected:
    sources:
      - serviceAccountToken:
          audience: {{ .Values.aws.webIdentity.audience | quote }}
          expirationSeconds: {{ .Values.aws.webIdentity.expirationSeconds }}
          path: token
{{- end }}
{{- if include "ecr-anywhere.aws.configEnabled" . }}
- name: aws-config
  secret:
    secretName: {{ include "ecr-anywhere.aws.configSecretName" . }}
    # 0444 (read-only for all), written in decimal so every YAML parser reads the same number.
    defaultMode: 292
    items:
      - key: {{ .Values.aws.configFile.key }}
        path: config
{{- end }}
{{- end -}}

{{- define "ecr-anywhere.aws.volumeMounts" -}}
{{- if .Values.aws.webIdentity.enabled }}
- name: aws-web-identity
  mountPath: {{ include "ecr-anywhere.aws.webIdentityDir" . }}
  readOnly: true
{{- end }}
{{- if include "ecr-anywhere.aws.configEnabled" . }}
- name: aws-config
  mountPath: {{ include "ecr-anywhere.aws.configDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
