#!/bin/sh
# tests/redis/redis-server.sh: a throwaway redis-server on loopback for the tests.
#
#   redis-server.sh start <port> <dir> [redis-server options...]
#       start one on 127.0.0.1:<port> (no persistence, DEBUG allowed from
#       loopback), its pid, log and files in <dir>; return once it answers
#       PING (at most 10 s), else fail with its log
#   redis-server.sh stop <port> <dir>
#       stop it (SIGTERM, then SIGKILL after 10 s) and wait until it is gone;
#       a server that is not running is not an error
#
# The tests in tests/redis call it themselves (each test owns its server, so
# that one can stop, pause or restart it); CI only needs redis-server and
# redis-cli installed (Debian: redis-server, which pulls redis-tools).
set -eu

usage() { echo "usage: $0 start|stop <port> <dir> [redis-server options...]" >&2; exit 2; }
[ $# -ge 3 ] || usage
cmd=$1 port=$2 dir=$3
shift 3
case $port in ''|*[!0-9]*) usage ;; esac

# PONG, or NOAUTH from a server started with --requirepass: either way it is up
answers() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -qE 'PONG|NOAUTH'; }

stop_pid() {
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  case $pid in ''|*[!0-9]*) return 0 ;; esac
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/redis.pid"; return 0; }
  i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -eq 100 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    if [ $i -gt 150 ]; then echo "redis-server $pid would not stop" >&2; return 1; fi
    sleep 0.1
  done
  rm -f "$dir/redis.pid"
}

case $cmd in
start)
  command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2; exit 1; }
  command -v redis-cli >/dev/null || { echo "redis-cli is not installed (Debian: apt-get install redis-tools)" >&2; exit 1; }
  mkdir -p "$dir"
  rm -f "$dir/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    --save '' --appendonly no --enable-debug-command local "$@"
  i=0
  while [ $i -lt 100 ]; do
    if answers; then exit 0; fi
    sleep 0.1
    i=$((i + 1))
  done
  echo "redis-server on port $port did not answer within 10 s; its log:" >&2
  tail -n 20 "$dir/redis.log" >&2 || true
  stop_pid || true
  exit 1
  ;;
stop)
  stop_pid
  ;;
*)
  usage
  ;;
esac
