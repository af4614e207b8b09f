#!/bin/sh
# The demo: what secvf does, on this machine, in a throw-away home.
# usage: demo.sh SECVF
set -eu
secvf=$1
export SECVF_HOME="${SECVF_DEMO_HOME:-$(mktemp -d /tmp/secvf-demo-XXXXXX)}"
chmod 700 "$SECVF_HOME"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "secvf $("$secvf" --version | cut -d' ' -f2), home $SECVF_HOME"
"$secvf" --help
