#!/bin/sh
# The seed's worker: reads its parameters (libconfig text) from standard
# input, says which environment it runs in (never the secret), and works
# until warden stops it with SIGTERM.
config=$(cat)
environment=$(printf '%s\n' "$config" | sed -n 's/^environment = "\(.*\)";$/\1/p')
echo "worker: started for environment ${environment:-unknown} ($(printf '%s\n' "$config" | wc -l) lines of parameters)"
trap 'echo "worker: stopping"; exit 0' TERM INT
while :; do sleep 1; done
