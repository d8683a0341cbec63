#!/usr/bin/env bash
# Proves that valkey-cpp drops into another Bazel workspace unchanged
# (docs/bazel.md): builds and runs the two consumer workspaces,
# examples/consumer and examples/consumer_own_absl, against a real
# valkey-server on a loopback port, and checks which definition of
# @com_google_absl each one used.
#
# Prints one line per check, "PASS <name>" or "FAIL <name>", then
# "consumer_test: N passed, N failed". Exits 1 if any check failed.
#
# Environment:
#   VALKEY_CPP_CI_CACHE       if set, builds use --disk_cache=$VALKEY_CPP_CI_CACHE/disk
#                             (the cache .ci/run uses)
#   VALKEY_CPP_KEEP_SERVERS   if 1, leave the consumer workspaces' Bazel
#                             servers running afterwards (default: shut down)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BAZEL_FLAGS=(--color=no --curses=no --noshow_progress)
if [[ -n "${VALKEY_CPP_CI_CACHE:-}" ]]; then
  mkdir -p "$VALKEY_CPP_CI_CACHE/disk"
  BAZEL_FLAGS+=(--disk_cache="$VALKEY_CPP_CI_CACHE/disk")
fi

passed=0
failed=0
server_pid=""
# Short, so that nothing in it hits a path-length limit.
tmp=$(mktemp -d /tmp/vkct.XXXXXX)

cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {  # <name> <command...>: runs the command, records PASS/FAIL
  local name=$1; shift
  if "$@" >"$tmp/check.log" 2>&1; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    | /' "$tmp/check.log" | tail -n 25
    failed=$((failed + 1))
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- a valkey-server on a free loopback port --------------------------------
start_server() {
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port) || return 1
    mkdir -p "$tmp/server"
    valkey-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize no --dir "$tmp/server" --logfile "$tmp/server/log" &
    server_pid=$!
    local i
    for i in $(seq 1 100); do
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi  # port clash?
      if grep -q "Ready to accept connections" "$tmp/server/log" 2>/dev/null; then
        return 0
      fi
      sleep 0.05
    done
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  done
  cat "$tmp/server/log" 2>/dev/null
  return 1
}

port=""
check valkey_server_started start_server

key="consumer_test:$$:$RANDOM"
cat >"$tmp/client.textproto" <<EOF
# Written by tools/consumer_test.sh.
connection {
  host: "127.0.0.1"
  port: ${port:-6379}
  client_name: "consumer-test"
  connect_timeout { seconds: 2 }
  socket_timeout { seconds: 2 }
}
pool {
  max_connections: 2
  wait_timeout { seconds: 2 }
}
EOF
# A config naming a port nobody listens on: the consumer must fail with the
# status. (Port 1 is privileged; no test server can be there.)
cat >"$tmp/refused.textproto" <<EOF
connection { host: "127.0.0.1" port: 1 connect_timeout { seconds: 2 } }
EOF

# --- the checks --------------------------------------------------------------
ws_bazel() {  # <workspace dir> <bazel command and args...>
  local ws=$1; shift
  (cd "$ROOT/$ws" && bazel "$@")
}

build() {  # <workspace dir>
  ws_bazel "$1" build "${BAZEL_FLAGS[@]}" //:consumer
}

run_ok() {  # <workspace dir>: SET/GET against the server, value read back
  local ws=$1 bin out
  bin="$(ws_bazel "$ws" info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/consumer"
  out=$("$bin" "$tmp/client.textproto" "$key:$ws" "value from $ws") || {
    echo "$out"; return 1; }
  echo "$out"
  grep -qxF "GET $key:$ws -> value from $ws" <<<"$out"
}

run_refused() {  # <workspace dir>: exit 1 and the status on stderr
  local ws=$1 bin rc err
  bin="$(ws_bazel "$ws" info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/consumer"
  err=$("$bin" "$tmp/refused.textproto" 2>&1 >/dev/null)
  rc=$?
  echo "exit $rc: $err"
  [[ $rc -eq 1 ]] && grep -q "UNAVAILABLE" <<<"$err" && grep -q "127.0.0.1:1" <<<"$err"
}

# The label contract, observed: which rule defined @com_google_absl.
absl_definition() {  # <workspace dir>
  ws_bazel "$1" query "${BAZEL_FLAGS[@]}" --output=build //external:com_google_absl 2>/dev/null
}

absl_from_macro() {  # examples/consumer: valkey_cpp_dependencies() declared it
  local def
  def=$(absl_definition examples/consumer) || return 1
  echo "$def"
  grep -q '^local_repository(' <<<"$def" &&
    grep -q 'generator_function = "valkey_cpp_dependencies"' <<<"$def"
}

absl_from_consumer() {  # examples/consumer_own_absl: its own rule won
  local def
  def=$(absl_definition examples/consumer_own_absl) || return 1
  echo "$def"
  grep -q '^own_abseil_repository(' <<<"$def" &&
    grep -q 'consumer_own_absl/WORKSPACE' <<<"$def" &&
    ! grep -q 'valkey_cpp_dependencies' <<<"$def"
}

# The binary printed the marker that only the consumer's Abseil has.
run_own_absl() {
  run_ok examples/consumer_own_absl >"$tmp/own.out" 2>&1
  local rc=$?
  cat "$tmp/own.out"
  [[ $rc -eq 0 ]] && grep -q "this workspace's own @com_google_absl" "$tmp/own.out"
}

for ws in examples/consumer examples/consumer_own_absl; do
  name=${ws#examples/}
  if check "$name:build" build "$ws"; then
    if [[ -n "$server_pid" ]]; then
      if [[ $name == consumer_own_absl ]]; then
        check "$name:set_get" run_own_absl
      else
        check "$name:set_get" run_ok "$ws"
      fi
    fi
    check "$name:failure_exit_status" run_refused "$ws"
  fi
done
check "label_contract:absl_from_valkey_cpp_dependencies" absl_from_macro
check "label_contract:consumer_absl_wins" absl_from_consumer

if [[ "${VALKEY_CPP_KEEP_SERVERS:-0}" != 1 ]]; then
  for ws in examples/consumer examples/consumer_own_absl; do
    ws_bazel "$ws" shutdown >/dev/null 2>&1
  done
fi

echo "consumer_test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
