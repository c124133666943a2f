{{/*
Names: every object of a service is <release>-<service>, so a canary release's Service is <release>-canary-<service>.
Call with (dict "root" $ "name" $name).
*/}}
{{- define "app.fullname" -}}
{{- $name := printf "%s-%s" .root.Release.Name .name -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "%s is longer than 63 characters, the limit of a Kubernetes name: shorten the release or service name" $name) -}}
{{- end -}}
{{- $name -}}
{{- end }}

{{/* A label value: at most 63 characters of [A-Za-z0-9-_.]; SemVer's "+" becomes "_". */}}
{{- define "app.labelValue" -}}
{{- regexReplaceAll "[^A-Za-z0-9._-]" (toString .) "_" | trunc 63 | trimSuffix "-" | trimSuffix "_" | trimSuffix "." -}}
{{- end }}

{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
slipway.dev/track: {{ .track | default .root.Values.track }}
{{- end }}

{{/*
Blue/green: the tracks a service's Deployments run as. Without blueGreen.enabled, one unnamed track (the release's own
Deployment). With it, one dict per track in blueGreen.tracks: {name, version, commit, image}, and config when the
track keeps the variables it runs with (blueGreen.tracks.<track>.config.<service>). Call with $ctx.
*/}}
{{- define "app.tracks" -}}
{{- $tracks := list -}}
{{- if .root.Values.blueGreen.enabled -}}
{{- range $track, $spec := .root.Values.blueGreen.tracks -}}
{{- $images := $spec.images | default dict -}}
{{- $entry := dict "name" $track "version" ($spec.version | default "") "commit" ($spec.commit | default "") "image" (index $images $.name) -}}
{{- $configs := $spec.config | default dict -}}
{{- if hasKey $configs $.name -}}
{{- $_ := set $entry "config" ((index $configs $.name) | default dict) -}}
{{- end -}}
{{- $tracks = append $tracks $entry -}}
{{- end -}}
{{- else -}}
{{- $tracks = append $tracks (dict "name" "") -}}
{{- end -}}
{{- toYaml (dict "tracks" $tracks) -}}
{{- end }}

{{/* The active track's name suffix (-blue, -green) of the objects traffic reaches; empty without blue/green. */}}
{{- define "app.activeSuffix" -}}
{{- if .Values.blueGreen.enabled }}-{{ .Values.blueGreen.active }}{{ end -}}
{{- end }}

{{- define "app.labels" -}}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/component: {{ .component | default .name }}
app.kubernetes.io/part-of: slipway
app.kubernetes.io/version: {{ include "app.labelValue" (.version | default .root.Values.release.version) | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "app.labelValue" (printf "%s-%s" .root.Chart.Name .root.Chart.Version) }}
slipway.dev/environment: {{ include "app.labelValue" .root.Values.environment | quote }}
slipway.dev/commit: {{ include "app.labelValue" (.commit | default .root.Values.release.commit) | quote }}
{{- end }}

{{/* The release as annotations: the full version, which a label cannot hold. */}}
{{- define "app.releaseAnnotations" -}}
slipway.dev/version: {{ .version | default .root.Values.release.version | quote }}
slipway.dev/commit: {{ .commit | default .root.Values.release.commit | quote }}
{{- end }}

{{/* Images by digest only: a missing or malformed digest fails the render. Call with (dict "name" $name "service" $svc). */}}
{{- define "app.image" -}}
{{- $image := .service.image | default dict -}}
{{- if not $image.repository -}}
{{- fail (printf "services.%s.image.repository is missing: generate the values with ./build.sh --target HelmValues --env <env>" .name) -}}
{{- end -}}
{{- $digest := $image.digest | default "" | toString -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" $digest) -}}
{{- fail (printf "services.%s.image.digest is %q: images are deployed by digest only (sha256: and 64 hex digits); generate the values from artifacts/release.json with ./build.sh --target HelmValues --env <env>" .name $digest) -}}
{{- end -}}
{{- printf "%s@%s" $image.repository $digest -}}
{{- end }}

{{/* The service's first port: probes and routes use it. */}}
{{- define "app.firstPort" -}}
{{- $ports := .service.ports | default list -}}
{{- if not $ports -}}
{{- fail (printf "services.%s.ports is empty: Kubernetes probes and routes need the port the service listens on (services.%s.ports in environments/*.yml)" .name .name) -}}
{{- end -}}
{{- toYaml (first $ports) -}}
{{- end }}

{{- define "app.podSecurityContext" -}}
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "app.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Requests and limits, both required. Call with (dict "name" $name "service" $svc). */}}
{{- define "app.resources" -}}
{{- $resources := .service.resources | default dict -}}
{{- if or (not $resources.requests) (not $resources.limits) -}}
{{- fail (printf "services.%s.resources needs requests and limits (services.%s.resources in environments/*.yml)" .name .name) -}}
{{- end -}}
{{- toYaml (pick $resources "requests" "limits") -}}
{{- end }}

{{/* Secret variables as secretKeyRef to the Secret named by secretName; never a value. */}}
{{- define "app.secretEnv" -}}
{{- range .service.secretEnv | default list }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ required "secretName is required when a service has secretEnv: the Secret the deploy driver creates" $.root.Values.secretName }}
      key: {{ .key }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's data: env and FeatureFlags__<flag>, as Compose passes them; a blue/green track that keeps the
variables it runs with ($ctx.config) has those instead, so deploying the other track never changes its pods.
*/}}
{{- define "app.configData" -}}
{{- $data := dict -}}
{{- if hasKey . "config" -}}
{{- $data = .config | default dict -}}
{{- else -}}
{{- range $key, $value := .service.env | default dict -}}
{{- $_ := set $data $key (toString $value) -}}
{{- end -}}
{{- range $flag, $on := .service.featureFlags | default dict -}}
{{- $_ := set $data (printf "FeatureFlags__%s" $flag) (toString $on) -}}
{{- end -}}
{{- end -}}
{{- /* One sorted map either way: a track keeping its variables renders the same text, and checksum, as when it was deployed. */}}
{{- range $key, $value := $data }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}

{{/* Whether this release renders a service: every one on the stable track, only the routed one on the canary. */}}
{{- define "app.renders" -}}
{{- if or (eq .root.Values.track "stable") (eq .name .root.Values.route.service) -}}true{{- end -}}
{{- end }}

{{/* Checks of values that span keys; every template includes them first, so the first error Helm reports is the real one. */}}
{{- define "app.validate" -}}
{{- $v := .Values -}}
{{- if not (has $v.track (list "stable" "canary")) -}}
{{- fail (printf "track is %q: stable or canary" $v.track) -}}
{{- end -}}
{{- if not (has $v.route.router (list "gateway" "ingress-nginx")) -}}
{{- fail (printf "route.router is %q: gateway or ingress-nginx" $v.route.router) -}}
{{- end -}}
{{- $weight := $v.route.canary.weight | default 0 -}}
{{- if or (not (regexMatch "^[0-9]+$" (toString $weight))) (gt (int $weight) 100) -}}
{{- fail (printf "route.canary.weight is %v: a whole number from 0 to 100" $weight) -}}
{{- end -}}
{{- if and (gt (int $weight) 0) (eq $v.track "stable") (eq $v.route.router "gateway") (not $v.route.canary.service) -}}
{{- fail "route.canary.weight is above 0 but route.canary.service is empty: name the canary release's Service (<release>-canary-<service>)" -}}
{{- end -}}
{{- if and $v.services $v.route.service (not (hasKey $v.services $v.route.service)) -}}
{{- fail (printf "route.service is %q, which is not a key of services (%s)" $v.route.service (keys $v.services | sortAlpha | join ", ")) -}}
{{- end -}}
{{- if and (eq $v.track "canary") (not $v.route.service) -}}
{{- fail "track canary needs route.service: the service the canary release runs" -}}
{{- end -}}
{{- if $v.blueGreen.enabled -}}
{{- if ne $v.track "stable" -}}
{{- fail "blueGreen.enabled is for the stable release: a blue/green environment has no canary release" -}}
{{- end -}}
{{- if not (has $v.blueGreen.active (list "blue" "green")) -}}
{{- fail (printf "blueGreen.active is %q: blue or green" $v.blueGreen.active) -}}
{{- end -}}
{{- range $track, $spec := $v.blueGreen.tracks -}}
{{- if not (has $track (list "blue" "green")) -}}
{{- fail (printf "blueGreen.tracks.%s: the tracks are blue and green" $track) -}}
{{- end -}}
{{- range $name, $svc := $v.services -}}
{{- if not (hasKey ($spec.images | default dict) $name) -}}
{{- fail (printf "blueGreen.tracks.%s.images has no image for service %s: every track runs every service" $track $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not (hasKey ($v.blueGreen.tracks | default dict) $v.blueGreen.active) -}}
{{- fail (printf "blueGreen.active is %q, which is not one of blueGreen.tracks: traffic would reach no pod" $v.blueGreen.active) -}}
{{- end -}}
{{- end -}}
{{- if and $v.migrations.enabled (eq $v.track "stable") (not (hasKey ($v.services | default dict) ($v.migrations.service | default ""))) -}}
{{- fail (printf "migrations.service is %q, which is not a key of services" ($v.migrations.service | default "")) -}}
{{- end -}}
{{- end }}
