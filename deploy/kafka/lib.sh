# Shared settings for deploy/kafka/*.sh. Source it; do not run it.
# Works from any cwd: every path is derived from this file's location.

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_REPO_ROOT="$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)"
KAFKA_WORK_DIR="$KAFKA_REPO_ROOT/.kafka"     # gitignored
KAFKA_LIB_DIR="$KAFKA_WORK_DIR/lib"
KAFKA_CDS_DIR="$KAFKA_WORK_DIR/cds"
KAFKA_STAMP="$KAFKA_LIB_DIR/FETCHED"

# The pinned version lives in pom.xml only (<kafka.version>).
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_SCRIPT_DIR/pom.xml" | head -n1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "kafka: cannot read <kafka.version> from $KAFKA_SCRIPT_DIR/pom.xml" >&2; exit 1; }
KAFKA_CORE_JAR="$KAFKA_LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar"
KAFKA_CDS_ARCHIVE="$KAFKA_CDS_DIR/kafka-$KAFKA_VERSION.jsa"

kafka_die() { echo "kafka: $*" >&2; exit 1; }

kafka_require_java() {
  command -v java >/dev/null 2>&1 || kafka_die "java not found on PATH (Kafka $KAFKA_VERSION needs Java 11+; tested with 17)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${v%%.*}" =~ ^[0-9]+$ && "${v%%.*}" -ge 11 ]] || kafka_die "java $v is too old (need 11+, tested with 17)"
}

# Number of SLF4J 1.x bindings among the jars in $1.
kafka_count_slf4j_bindings() {
  find "$1" -maxdepth 1 -name '*.jar' -printf '%f\n' |
    grep -cE '^(slf4j-(reload4j|log4j12|simple|jdk14|nop|jcl)|logback-classic|log4j-slf4j2?-impl)-[0-9]' || true
}

# Is the jar set for the pinned version in place?
kafka_fetched() {
  [[ -f "$KAFKA_STAMP" && -f "$KAFKA_CORE_JAR" ]] && grep -qx "kafka_version=$KAFKA_VERSION" "$KAFKA_STAMP"
}

# pid in file $1 if that process is alive and is a Kafka broker; empty otherwise.
kafka_live_pid() {
  local f="$1" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    echo "$pid"
  fi
}

kafka_now_ms() { date +%s%3N; }

# Random KRaft cluster id, same shape as org.apache.kafka.common.Uuid: 16 random
# bytes, base64url without padding (22 chars), never starting with '-'.
kafka_random_cluster_id() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"
    [[ "$id" != -* && "$id" != AAAAAAAAAAAAAAAAAAAAA* ]] && break
  done
  echo "$id"
}
