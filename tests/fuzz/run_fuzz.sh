#!/usr/bin/env bash
# Runs every fuzz target of tests/fuzz for SECONDS each (FUZZ_JOBS at a time, default one per
# CPU), on a temporary copy of its seed corpus and regression inputs (the repository is not
# modified), with its dictionary.
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
# A crash, leak, hang (-timeout=FUZZ_TIMEOUT s per input, default 60: generous, so a loaded
# machine does not flake) or out-of-memory (-rss_limit_mb=2048)
# fails the run; the input is kept in BUILD_DIR/fuzz-artifacts/TARGET/ — add it to
# tests/fuzz/regressions/TARGET/ once understood. A target listed alone on a line of
# known_issues.txt has open bugs: its crashes are reported but do not fail the run.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}"
seconds="${2:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}"
shift 2
timeout="${FUZZ_TIMEOUT:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(record_parser manifest_parser verify time_parser event_encoder event_json auditlogd_request)

known_targets=()
if [ -f "$here/known_issues.txt" ]; then
  while read -r line; do
    line="${line%%#*}"; line="${line//[[:space:]]/}"
    [ -n "$line" ] && [[ "$line" != */* ]] && known_targets+=("$line")
  done < "$here/known_issues.txt"
fi
is_known() { local t; for t in "${known_targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# One target's run; prints its report (at the end, so parallel runs do not interleave) and
# exits non-zero if it failed in a way that counts.
fuzz_one() {
  local t="$1" bin="$build/tests/fuzz/${1}_fuzz" work rc dict=()
  work="$(mktemp -d "${TMPDIR:-/tmp}/auditlog-fuzz-$t.XXXXXX")"
  mkdir -p "$work/corpus" "$build/fuzz-artifacts/$t"
  cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  "$bin" "$work/corpus" "${dict[@]}" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-artifacts/$t/" -print_final_stats=1 > "$work/log" 2>&1
  rc=$?
  {
    echo "== fuzz $t for ${seconds}s"
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done " "$work/log" | tr '\n' ' '
    echo
  }
  local counts=0
  if [ $rc -ne 0 ]; then
    grep -E "ERROR|runtime error|property violated|Test unit written|^    #[0-9]+ .* in auditlog" \
      "$work/log" | head -20
    if is_known "$t"; then
      echo "== fuzz $t: exit $rc, a known issue (known_issues.txt); not failing"
    else
      echo "== fuzz $t: FAILED (exit $rc); full log: $build/fuzz-artifacts/$t/last.log"
      counts=1
    fi
    cp "$work/log" "$build/fuzz-artifacts/$t/last.log"
  fi
  rm -rf "$work"
  return $counts
}

for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/${t}_fuzz" ] || { echo "run_fuzz: $build/tests/fuzz/${t}_fuzz missing (build the fuzz tree first)" >&2; exit 2; }
done
# FUZZ_JOBS targets at a time (default: one per CPU), each with its own report file.
jobs="${FUZZ_JOBS:-$(nproc)}"
reports="$(mktemp -d "${TMPDIR:-/tmp}/auditlog-fuzz-reports.XXXXXX")"
pids=()
for i in "${!targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  fuzz_one "${targets[$i]}" > "$reports/$i" 2>&1 &
  pids[$i]=$!
done
failed=()
for i in "${!targets[@]}"; do
  wait "${pids[$i]}" || failed+=("${targets[$i]}")
  cat "$reports/$i"
done
rm -rf "$reports"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
