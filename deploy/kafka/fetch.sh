#!/usr/bin/env bash
# Download the Apache Kafka broker jars (version pinned in pom.xml) into <repo>/.kafka/lib.
# Idempotent: exits at once when the jars for the pinned version are already there.
# Needs java and mvn (Maven Central, cached in ~/.m2). FORCE=1 re-downloads.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

if [[ "${FORCE:-0}" != 1 ]] && kafka_fetched; then
  echo "kafka: jars for Kafka $KAFKA_VERSION already in $KAFKA_LIB_DIR"
  exit 0
fi

kafka_require_java
command -v mvn >/dev/null 2>&1 || kafka_die "mvn not found on PATH (apt-get install maven)"

mkdir -p "$KAFKA_WORK_DIR"
# Serialise concurrent fetches (several engineers/CI jobs in one tree).
exec 9>"$KAFKA_WORK_DIR/fetch.lock"
command -v flock >/dev/null 2>&1 && flock 9
if [[ "${FORCE:-0}" != 1 ]] && kafka_fetched; then
  echo "kafka: jars for Kafka $KAFKA_VERSION already in $KAFKA_LIB_DIR"
  exit 0
fi

t0="$(kafka_now_ms)"
tmp="$(mktemp -d "$KAFKA_WORK_DIR/lib.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central ..."
mvn -B -q -Dstyle.color=never -f "$KAFKA_SCRIPT_DIR/pom.xml" \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp"

[[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || kafka_die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
bindings="$(kafka_count_slf4j_bindings "$tmp")"
if [[ "$bindings" != 1 ]]; then
  ls "$tmp" | grep -Ei 'slf4j|log4j|logback|reload4j' >&2 || true
  kafka_die "expected exactly one SLF4J binding, found $bindings"
fi
# The two main classes start.sh runs must be in the core jar.
core="$tmp/kafka_2.13-$KAFKA_VERSION.jar"
if command -v unzip >/dev/null 2>&1; then list=(unzip -Z1 "$core"); elif command -v jar >/dev/null 2>&1; then list=(jar tf "$core"); else list=(); fi
if ((${#list[@]})); then
  classes="$("${list[@]}" | grep -cxE 'kafka/Kafka\.class|kafka/tools/StorageTool\.class' || true)"
  [[ "$classes" == 2 ]] || kafka_die "kafka.Kafka / kafka.tools.StorageTool not found in $(basename "$core")"
fi

printf 'kafka_version=%s\njars=%s\n' "$KAFKA_VERSION" "$(find "$tmp" -name '*.jar' | wc -l)" >"$tmp/FETCHED"
rm -rf "$KAFKA_LIB_DIR" "$KAFKA_CDS_DIR"   # an AppCDS archive is only valid for the exact jar set
mv "$tmp" "$KAFKA_LIB_DIR"
trap - EXIT
echo "kafka: $(grep '^jars=' "$KAFKA_STAMP" | cut -d= -f2) jars for Kafka $KAFKA_VERSION in $KAFKA_LIB_DIR ($(( $(kafka_now_ms) - t0 )) ms)"
