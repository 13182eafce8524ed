#!/usr/bin/env bash
# Start a single-node KRaft Kafka broker (combined broker+controller, static voter)
# on 127.0.0.1 in the background, and wait until it is up.
#
#   KAFKA_PORT             client (PLAINTEXT) port               default 9092
#   KAFKA_CONTROLLER_PORT  controller port                       default 9093
#   KAFKA_DATA_DIR         config, data, broker.log, broker.pid  default <repo>/.kafka/data-<port>
#   KAFKA_START_TIMEOUT    seconds to wait for "Kafka Server started"   default 60
#   KAFKA_HEAP_OPTS        default "-Xms256m -Xmx512m"
#   KAFKA_OPTS             extra JVM options
#   KAFKA_CDS              auto (default): use/create an AppCDS archive in .kafka/cds; off: never
#   KAFKA_WATCH_PID        if set, a watchdog stops the broker once that process is gone
#   KAFKA_WATCH_CLEAN=1    ... and then deletes KAFKA_DATA_DIR (for throw-away test brokers)
#
# An existing, formatted data dir is reused (topics survive a restart); a new one is formatted.
# Stop with deploy/kafka/stop.sh (same KAFKA_PORT / KAFKA_DATA_DIR).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

t0="$(kafka_now_ms)"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA="${KAFKA_DATA_DIR:-$KAFKA_WORK_DIR/data-$PORT}"
TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
read -r -a HEAP <<<"${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
read -r -a EXTRA <<<"${KAFKA_OPTS:-}"

[[ "$PORT" =~ ^[0-9]+$ && "$CPORT" =~ ^[0-9]+$ && "$PORT" != "$CPORT" ]] ||
  kafka_die "KAFKA_PORT ($PORT) and KAFKA_CONTROLLER_PORT ($CPORT) must be two different port numbers"
kafka_fetched || kafka_die "jars for Kafka $KAFKA_VERSION not found in $KAFKA_LIB_DIR: run deploy/kafka/fetch.sh first"
command -v java >/dev/null 2>&1 || kafka_die "java not found on PATH"

mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
PIDFILE="$DATA/broker.pid"
LOG="$DATA/broker.log"
if pid="$(kafka_live_pid "$PIDFILE")" && [[ -n "$pid" ]]; then
  kafka_die "a broker is already running from $DATA (pid $pid); stop it with deploy/kafka/stop.sh"
fi

sed -e "s#__DATA_DIR__#$DATA#g" -e "s#__PORT__#$PORT#g" -e "s#__CONTROLLER_PORT__#$CPORT#g" \
  "$KAFKA_SCRIPT_DIR/server.properties" >"$DATA/server.properties"

# AppCDS: the first run dumps the loaded classes at JVM exit; stop.sh installs the
# archive in .kafka/cds and later starts map it (see README for the measured gain).
CDS_OPTS=()
TOOL_CDS_OPTS=()
rm -f "$DATA/kafka.jsa.dump"
if [[ "${KAFKA_CDS:-auto}" != off ]]; then
  if [[ -f "$KAFKA_CDS_ARCHIVE" ]]; then
    CDS_OPTS=("-XX:SharedArchiveFile=$KAFKA_CDS_ARCHIVE")
    TOOL_CDS_OPTS=("${CDS_OPTS[@]}") # same classpath, so the storage tool can map it too
  else
    # -Xlog:cds=off: no "Skipping ..." lines for every unarchivable class at exit.
    CDS_OPTS=("-XX:ArchiveClassesAtExit=$DATA/kafka.jsa.dump" -Xlog:cds=off)
  fi
fi

# If a JVM that mapped the archive crashes (killed by a signal, e.g. SIGBUS on a damaged
# archive; not a normal Kafka exit(1)), delete the archive and retry once without AppCDS.
drop_cds() {
  echo "kafka: $1 with AppCDS archive $KAFKA_CDS_ARCHIVE; deleting it and retrying without" >&2
  rm -f "$KAFKA_CDS_ARCHIVE"
  CDS_OPTS=()
  TOOL_CDS_OPTS=()
}
JVM_COMMON=("-XX:ErrorFile=$DATA/hs_err_pid%p.log" -Djava.awt.headless=true)

format() {
  # Static voter (controller.quorum.voters) => plain format, no --standalone.
  java -Xmx256m -XX:TieredStopAtLevel=1 "${JVM_COMMON[@]}" "${TOOL_CDS_OPTS[@]}" \
    "-Dlog4j.configuration=file:$KAFKA_SCRIPT_DIR/tools-log4j.properties" \
    -cp "$KAFKA_LIB_DIR/*" kafka.tools.StorageTool format \
    -t "$(kafka_random_cluster_id)" -c "$DATA/server.properties" >"$DATA/format.log" 2>&1
}
if [[ ! -f "$DATA/log/meta.properties" ]]; then
  rc=0
  format || rc=$?
  if ((rc != 0)); then
    ((rc >= 128 && ${#TOOL_CDS_OPTS[@]})) || { cat "$DATA/format.log" >&2; kafka_die "formatting $DATA/log failed"; }
    drop_cds "storage format crashed (exit $rc)"
    format || { cat "$DATA/format.log" >&2; kafka_die "formatting $DATA/log failed"; }
  fi
fi

LAUNCH=()
command -v setsid >/dev/null 2>&1 && LAUNCH=(setsid) # own session: survives the caller's Ctrl-C / hangup
launch() {
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.prev"
  : >"$LOG"
  "${LAUNCH[@]}" java "${HEAP[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent "${JVM_COMMON[@]}" "${CDS_OPTS[@]}" \
    "-Dlog4j.configuration=file:$KAFKA_SCRIPT_DIR/log4j.properties" "${EXTRA[@]}" \
    -cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$DATA/server.properties" </dev/null >>"$LOG" 2>&1 &
  PID=$!
  echo "$PID" >"$PIDFILE"
}

fail() {
  if kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -f "$PIDFILE" "$DATA/kafka.jsa.dump"
  {
    echo "kafka: $1"
    if grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$LOG"; then
      echo "---- first ERROR/FATAL lines of $LOG ----"
      grep -m 5 -A 3 -E '^\[[^]]*\] (ERROR|FATAL) ' "$LOG"
    fi
    echo "---- last 60 lines of $LOG ----"
    tail -n 60 "$LOG"
    echo "----"
    echo "kafka: start FAILED (Kafka $KAFKA_VERSION, 127.0.0.1:$PORT, controller $CPORT, data $DATA)"
  } >&2
  exit 1
}

launch
deadline=$((t0 + TIMEOUT * 1000))
until grep -q 'Kafka Server started' "$LOG"; do
  if ! kill -0 "$PID" 2>/dev/null; then
    rc=0
    wait "$PID" || rc=$?
    if ((rc >= 128)) && [[ "${CDS_OPTS[0]:-}" == -XX:SharedArchiveFile=* ]]; then
      drop_cds "broker JVM $PID crashed (exit $rc)"
      launch
      continue
    fi
    fail "broker process $PID exited (status $rc) before 'Kafka Server started'"
  fi
  (($(kafka_now_ms) < deadline)) || fail "no 'Kafka Server started' in $LOG within ${TIMEOUT}s"
  sleep 0.1
done
started_ms=$(($(kafka_now_ms) - t0))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
  (($(kafka_now_ms) < deadline)) || fail "port 127.0.0.1:$PORT not accepting connections within ${TIMEOUT}s"
  sleep 0.1
done

if [[ -n "${KAFKA_WATCH_PID:-}" ]]; then
  # Detached watchdog: stop the broker (and optionally delete its dir) when the watched process dies.
  "${LAUNCH[@]}" bash -c '
    while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
    if kill -0 "$2" 2>/dev/null; then KAFKA_DATA_DIR="$3" "$4/stop.sh"; fi
    if [[ "$5" == 1 ]]; then rm -rf "$3"; fi
  ' watchdog "$KAFKA_WATCH_PID" "$PID" "$DATA" "$KAFKA_SCRIPT_DIR" "${KAFKA_WATCH_CLEAN:-0}" \
    </dev/null >/dev/null 2>&1 &
fi

echo "kafka: Kafka $KAFKA_VERSION started on 127.0.0.1:$PORT (controller $CPORT), pid $PID, data $DATA," \
  "'Kafka Server started' after ${started_ms} ms${CDS_OPTS:+ (AppCDS: ${CDS_OPTS[0]%%=*})}"
