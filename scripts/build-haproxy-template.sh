#!/bin/sh
# Builds the renderer of custom HAProxy templates (src/haproxy-template, Go's standard library only) as the
# static binary dist/haproxy-template, beside the compiled provider; the Dockerfile runs it in a Go image.
set -eu
cd "$(dirname "$0")/../src/haproxy-template"
CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags '-s -w' -o ../../dist/haproxy-template .
