{{/*
Names. With the release named "secretsync" (the documented install) every object has the name
deploy/ gives it; any other release name prefixes them, so two releases never share a
cluster-scoped name (ClusterRole, ClusterRoleBinding).
*/}}
{{- define "secretsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "secretsync.fullname" -}}
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

{{- define "secretsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "secretsync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The selector: the one label deploy/ puts on the pods. */}}
{{- define "secretsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "secretsync.name" . }}
{{- end }}

{{/* Labels of objects that deploy/ labels (Deployment, Service): the selector plus commonLabels. */}}
{{- define "secretsync.labels" -}}
{{ include "secretsync.selectorLabels" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* metadata.labels for objects deploy/ leaves unlabelled: only commonLabels, if any. */}}
{{- define "secretsync.commonLabels" -}}
{{- with .Values.commonLabels }}
labels:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "secretsync.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}
