// A custom HAProxy template such as users write for upstream CAPD: its variables, trim markers, a range over
// the servers with $ for the root, and JoinHostPort.

/**
 * A whole HAProxy config as a template. Its stats frontend (port 8404) answers on /<version>, so a test can
 * tell which config HAProxy serves; `defaults` adds lines to the defaults section.
 */
export function capdStyleTemplate(version: string, defaults = ''): string {
  return `global
  maxconn 1000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1m
  timeout server 1m
${defaults}
frontend stats
  mode http
  bind *:8404
  monitor-uri /${version}
frontend control-plane
  bind *:{{ .FrontendControlPlanePort }}
  {{ if .IPv6 -}}
  bind :::{{ .FrontendControlPlanePort }};
  {{- end }}
  default_backend kube-apiservers
backend kube-apiservers
  option httpchk GET /healthz
  {{- range $server, $backend := .BackendServers }}
  server {{ $server }} {{ JoinHostPort $backend.Address $.BackendControlPlanePort }} check check-ssl verify none weight {{ $backend.Weight }} resolve-prefer {{ if $.IPv6 -}} ipv6 {{- else -}} ipv4 {{- end }}
  {{- end }}
`;
}
