#!/usr/bin/env sh
# policy-checker CI entry point: check exports, write every CI report, exit with the gate's code.
#
#   ci/policy-check.sh INPUT...
#
# Settings (environment variables, all optional):
#   CHECKER        the checker command            (default: checker)
#   POLICIES       policy directory               (default: ./policies if it exists, else the
#                  pack installed with the checker: `checker pack list`)
#   PROFILES       field-mapping profiles, space-separated [PATTERN=]FILE entries; a FILE that
#                  does not exist is taken from the profiles installed with the checker by
#                  name, e.g. kuaishou-distribution.yaml (`checker pack path profiles`)
#   OUT            directory for the reports      (default: policy-reports)
#   FAIL_ON        lowest severity that fails     (default: info, any violation)
#   BASELINE       baseline file (if it exists, findings in it do not fail)
#   WAIVERS        waivers file  (if it exists)
#   STRICT         1: exit 3 when any input record is rejected
#   EXTRA_ARGS     further arguments for checker check (e.g. "--timezone UTC")
#
# Writes $OUT/report.sarif, report.xml (JUnit), report.json, findings.csv,
# report.txt and rejects.jsonl; prints the text report and, on GitHub Actions,
# annotations. Exit codes are checker check's: 0 pass, 1 violations, 2 error
# (also when no input record was accepted: nothing was judged), 3 rejected
# records under STRICT=1.
#
# Those files of a previous run are removed first (and any temporary file a
# killed run left beside them), so $OUT never mixes two runs: checker check
# writes its reports all-or-nothing, and after an error there is none.
set -eu

CHECKER=${CHECKER:-checker}
POLICIES=${POLICIES:-}
OUT=${OUT:-policy-reports}
FAIL_ON=${FAIL_ON:-info}

if [ "$#" -eq 0 ]; then
  echo "usage: $0 INPUT..." >&2
  exit 2
fi
mkdir -p "$OUT"
for name in report.sarif report.xml report.json findings.csv report.txt rejects.jsonl; do
  rm -f "$OUT/$name" "$OUT/.$name."*.tmp
done

set -- "$@" --fail-on "$FAIL_ON" --quiet \
  --rejects "$OUT/rejects.jsonl" \
  --format sarif -o "$OUT/report.sarif" \
  --format junit -o "$OUT/report.xml" \
  --format json -o "$OUT/report.json" \
  --format csv -o "$OUT/findings.csv" \
  --format text -o "$OUT/report.txt"
if [ -n "$POLICIES" ]; then
  set -- "$@" --policies "$POLICIES"
fi
for profile in ${PROFILES:-}; do
  case "$profile" in *=*) pattern="${profile%=*}=" file="${profile##*=}" ;; *) pattern="" file="$profile" ;; esac
  if [ ! -e "$file" ] && bundled=$("$CHECKER" pack path profiles 2>/dev/null) && [ -f "$bundled/${file##*/}" ]; then
    profile="$pattern$bundled/${file##*/}"
  fi
  set -- "$@" --profile "$profile"
done
if [ -n "${BASELINE:-}" ] && [ -f "$BASELINE" ]; then
  set -- "$@" --baseline "$BASELINE"
fi
if [ -n "${WAIVERS:-}" ] && [ -f "$WAIVERS" ]; then
  set -- "$@" --waivers "$WAIVERS"
fi
if [ "${STRICT:-0}" = "1" ]; then
  set -- "$@" --strict
fi
if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
  set -- "$@" --format github
fi

status=0
# shellcheck disable=SC2086 # EXTRA_ARGS is split on purpose
"$CHECKER" check "$@" ${EXTRA_ARGS:-} || status=$?
if [ -f "$OUT/report.txt" ]; then
  cat "$OUT/report.txt"
fi
exit "$status"
