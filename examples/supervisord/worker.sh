#!/bin/sh
# A stand-in for a worker that needs the queue: started after it.
echo "worker: up, consuming from the queue (pid $$)"
trap 'echo "worker: stopping"; exit 0' TERM
sleep 100000 &
wait
