#!/bin/sh
# A stand-in for a message queue: says it is up, then waits for SIGTERM.
echo "queue: up (pid $$)"
trap 'echo "queue: stopping"; exit 0' TERM
sleep 100000 &
wait
