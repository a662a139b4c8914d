// haproxy-template reads {"template": "...", "data": {...}} on stdin and writes the rendered HAProxy config on
// stdout. A template that does not parse or execute exits 1 with Go's error on stderr.
//
// The data and the one function are those upstream CAPD gives its templates: FrontendControlPlanePort,
// BackendControlPlanePort, BackendServers (Machine name → Address, Weight), IPv6, and JoinHostPort.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"text/template"
)

type backendServer struct {
	Address string
	Weight  int
}

type configData struct {
	FrontendControlPlanePort string
	BackendControlPlanePort  string
	BackendServers           map[string]backendServer
	IPv6                     bool
}

type request struct {
	Template string     `json:"template"`
	Data     configData `json:"data"`
}

func render(input []byte) (string, error) {
	var req request
	if err := json.Unmarshal(input, &req); err != nil {
		return "", fmt.Errorf("reading the request: %w", err)
	}
	parsed, err := template.New("haproxy.cfg").
		Funcs(template.FuncMap{"JoinHostPort": net.JoinHostPort}).
		Parse(req.Template)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := parsed.Execute(&out, req.Data); err != nil {
		return "", err
	}
	return out.String(), nil
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err == nil {
		var config string
		if config, err = render(input); err == nil {
			_, err = os.Stdout.WriteString(config)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
