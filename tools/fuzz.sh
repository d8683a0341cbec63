#!/usr/bin/env bash
# Builds every libFuzzer target (tag "fuzzer") with --config=fuzz and runs
# each for a while on a copy of its seed corpus.
#
#   tools/fuzz.sh [seconds] [target_name...]
#
#   seconds       how long each target runs (default 60)
#   target_name   only these targets, e.g. url_fuzzer (default: all)
#
# For each target one line, which .ci/run counts as one test:
#   PASS fuzz:<name> execs=<total> execs/s=<rate> ...
#   FAIL fuzz:<name> <why>; input: <path of the input that failed>
# and exits non-zero if any target crashed, leaked, timed out or did not
# build. A failure keeps its work directory (corpus, log, the input that
# failed); a clean run removes it.
#
# The build uses its own Bazel output base, so the clang toolchain it
# configures does not replace the gcc one of the checkout's main output
# base. That server exits by itself after $VALKEY_CPP_FUZZ_IDLE_SECS
# (default 300) idle seconds. Environment:
#   VALKEY_CPP_CI_CACHE          disk cache root, as for .ci/run
#                                (default ~/.cache/valkey-cpp-ci)
#   VALKEY_CPP_FUZZ_OUTPUT_BASE  output base (default
#                                ~/.cache/valkey-cpp-fuzz/<hash of checkout>)
#   VALKEY_CPP_FUZZ_KEEP=1       keep the work directory after a clean run
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tools/fuzz.sh [seconds] [target_name...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
wanted=("$@")

cache="${VALKEY_CPP_CI_CACHE:-$HOME/.cache/valkey-cpp-ci}"
# One output base per checkout: two checkouts sharing one would restart
# each other's server.
checkout_hash=$(printf %s "$PWD" | md5sum | cut -c1-12)
output_base="${VALKEY_CPP_FUZZ_OUTPUT_BASE:-$HOME/.cache/valkey-cpp-fuzz/$checkout_hash}"
mkdir -p "$cache" "$output_base"
bazel_in_base() {  # <command> <args...>: bazel in the fuzz output base
  bazel --output_base="$output_base" \
    --max_idle_secs="${VALKEY_CPP_FUZZ_IDLE_SECS:-300}" "$@"
}
bazel_fuzz() {  # <build|info> <args...>
  local command=$1; shift
  bazel_in_base "$command" --config=fuzz --disk_cache="$cache/disk" \
    --color=no --curses=no "$@"
}

work=$(mktemp -d /tmp/valkey-fuzz.XXXXXX)
touch "$work/query.log"

# Every target tagged "fuzzer" (bazel/fuzz.bzl), or those asked for. Not
# "//...": this server would walk into the bazel-* links of the main output
# base. So the packages that use valkey_fuzzer() (find does not follow
# those links), then their tagged targets.
patterns=$(find . \( -name BUILD.bazel -o -name BUILD \) \
  -exec grep -l 'valkey_fuzzer(' {} + | sed -e 's|^\./|//|' -e 's|/BUILD[.a-z]*$|:all|' |
  sort | paste -sd+ -)
all=()
if [[ -n $patterns ]]; then
  mapfile -t all < <(bazel_in_base query --noshow_progress \
    "attr(tags, '\bfuzzer\b', $patterns)" 2>"$work/query.log" | sort)
fi
if [[ ${#all[@]} -eq 0 ]]; then
  tail -n 20 "$work/query.log"
  echo "FAIL fuzz:query no fuzz targets found; log: $work/query.log"
  exit 1
fi
targets=()
if [[ ${#wanted[@]} -eq 0 ]]; then
  targets=("${all[@]}")
else
  for name in "${wanted[@]}"; do
    found=""
    for label in "${all[@]}"; do
      [[ ${label##*:} == "$name" ]] && found=$label
    done
    if [[ -z $found ]]; then
      echo "unknown fuzz target '$name'; known: ${all[*]##*:}" >&2
      rm -rf "$work"
      exit 2
    fi
    targets+=("$found")
  done
fi

echo "=== fuzz: building ${targets[*]} (output base $output_base)"
build_start=$(date +%s)
if ! bazel_fuzz build --noshow_progress "${targets[@]}" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  for label in "${targets[@]}"; do
    echo "FAIL fuzz:${label##*:} build failed; log: $work/build.log"
  done
  exit 1
fi
echo "=== fuzz: build took $(($(date +%s) - build_start)) s"
bin_dir=$(bazel_fuzz info bazel-bin 2>/dev/null)

failed=0
for label in "${targets[@]}"; do
  package=${label#//}
  package=${package%%:*}
  name=${label##*:}
  dir="$work/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if [[ -d $package/corpus/$name ]]; then
    cp -R "$package/corpus/$name/." "$dir/corpus/"
  fi
  flags=(
    -max_total_time="$seconds"
    -timeout=30               # one input running this long is a hang
    -rss_limit_mb=2048
    -print_final_stats=1
    -artifact_prefix="$dir/artifacts/"
  )
  [[ -f $package/$name.dict ]] && flags+=(-dict="$package/$name.dict")

  echo "=== fuzz: $name for $seconds s"
  # libFuzzer stops itself after max_total_time; the outer time-out only
  # catches a process that does not.
  UBSAN_OPTIONS=print_stacktrace=1 timeout --kill-after=10 $((seconds + 120)) \
    "$bin_dir/$package/$name" "${flags[@]}" "$dir/corpus" >"$dir/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  units=$(find "$dir/corpus" -type f | wc -l)
  artifact=$(find "$dir/artifacts" -type f | head -n 1)
  if [[ $rc -eq 0 && -n $execs && -z $artifact ]]; then
    echo "PASS fuzz:$name execs=$execs execs/s=$rate corpus=$units files (${seconds} s)"
    continue
  fi
  failed=1
  # The end of libFuzzer's report: the sanitizer's or FUZZ_CHECK's message,
  # the stack and the input.
  grep -v -e '^#[0-9]' "$dir/log" | tail -n 60
  why="exit $rc"
  grep -q 'ERROR: libFuzzer: timeout' "$dir/log" && why="timeout"
  grep -q 'ERROR: LeakSanitizer' "$dir/log" && why="leak"
  grep -q 'ERROR: libFuzzer: out-of-memory' "$dir/log" && why="out of memory"
  grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
    -e 'FUZZ_CHECK' -e 'deadly signal' "$dir/log" && why="crash"
  [[ $rc -eq 124 || $rc -eq 137 ]] && why="did not stop (killed)"
  echo "FAIL fuzz:$name $why execs=${execs:-?}; input: ${artifact:-none saved}; log: $dir/log"
  echo "  reproduce: $bin_dir/$package/$name ${artifact:-<input>}"
done

if [[ $failed -ne 0 ]]; then
  echo "=== fuzz: FAILED; work directory kept: $work"
  exit 1
fi
if [[ ${VALKEY_CPP_FUZZ_KEEP:-0} == 1 ]]; then
  echo "=== fuzz: work directory kept: $work"
else
  rm -rf "$work"
fi
exit 0
