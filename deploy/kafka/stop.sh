#!/usr/bin/env bash
# Stop the broker started by start.sh: SIGTERM (controlled shutdown), wait up to
# KAFKA_STOP_TIMEOUT (default 30) s, then SIGKILL.
# Finds it via KAFKA_DATA_DIR (default <repo>/.kafka/data-${KAFKA_PORT:-9092})/broker.pid.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PORT="${KAFKA_PORT:-9092}"
DATA="${KAFKA_DATA_DIR:-$KAFKA_WORK_DIR/data-$PORT}"
TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
PIDFILE="$DATA/broker.pid"

pid="$(kafka_live_pid "$PIDFILE")"
if [[ -z "$pid" ]]; then
  echo "kafka: no broker running from $DATA"
  rm -f "$PIDFILE" "$DATA/kafka.jsa.dump"
  exit 0
fi

t0="$(kafka_now_ms)"
kill -TERM "$pid" 2>/dev/null || true
graceful=1
deadline=$((t0 + TIMEOUT * 1000))
while [[ -n "$(kafka_live_pid "$PIDFILE")" ]]; do
  if (($(kafka_now_ms) >= deadline)); then
    echo "kafka: broker $pid still running after ${TIMEOUT}s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    graceful=0
    for _ in $(seq 50); do [[ -z "$(kafka_live_pid "$PIDFILE")" ]] && break; sleep 0.1; done
    break
  fi
  sleep 0.1
done
[[ -z "$(kafka_live_pid "$PIDFILE")" ]] || kafka_die "broker $pid did not die"
rm -f "$PIDFILE"

# Install the AppCDS archive dumped at a clean JVM exit (first run only).
dump="$DATA/kafka.jsa.dump"
if [[ "$graceful" == 1 && -s "$dump" && ! -f "$KAFKA_CDS_ARCHIVE" ]]; then
  mkdir -p "$KAFKA_CDS_DIR"
  tmp="$(mktemp "$KAFKA_CDS_DIR/.jsa.XXXXXX")"
  # Install only an archive the JVM accepts (-Xshare:on fails on a bad one).
  if cp "$dump" "$tmp" && chmod 644 "$tmp" &&
    java -Xshare:on "-XX:SharedArchiveFile=$tmp" "-XX:ErrorFile=$DATA/hs_err_pid%p.log" \
      -cp "$KAFKA_LIB_DIR/*" -version >/dev/null 2>&1; then
    mv -f "$tmp" "$KAFKA_CDS_ARCHIVE"
  else
    echo "kafka: discarding unusable AppCDS archive $dump" >&2
    rm -f "$tmp"
  fi
fi
rm -f "$dump"
echo "kafka: broker $pid stopped in $(($(kafka_now_ms) - t0)) ms"
