#!/bin/sh
# A stand-in for a web front end that needs the worker: started last,
# stopped first.
echo "web: up, serving (pid $$)"
trap 'echo "web: stopping"; exit 0' TERM
sleep 100000 &
wait
