#!/usr/bin/env bash
# The gate's CI wrappers against a stand-in `pipeguard` that answers as docs/cli-json.md says:
# - the Action's step (ci/github/gate.sh) passes the inputs as flags, sets the step outputs,
#   writes a job summary with one table row per blocker, and fails or only warns as told;
# - the GitLab template's script passes its variables as flags and keeps the answer.
# Usage: tests/release/ci_templates.sh PYTHON_WITH_PYYAML (run from the repository's root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/release/check.sh
. "$here/check.sh"

# The blocked answer of docs/cli-json.md (the JSON block after "Blocked by AWS Health events").
awk '/^Blocked by AWS Health events/ { seen = 1 } seen && /^```json/ { inside = 1; next }
     inside && /^```/ { exit } inside { print }' docs/cli-json.md >"$work/blocked.json"
jq --exit-status '.blocking | length == 5' "$work/blocked.json" >/dev/null

# The stand-in: records its arguments, prints the answer it is given, exits with its code.
cat >"$work/pipeguard" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$STUB_ARGS"
cat "$STUB_ANSWER"
exit "$STUB_EXIT"
EOF
chmod +x "$work/pipeguard"
export STUB_ARGS="$work/args" STUB_ANSWER="$work/blocked.json" STUB_EXIT=1

run_gate() {
    : >"$work/output"
    : >"$work/summary"
    env PIPEGUARD="$work/pipeguard" RUNNER_TEMP="$work" GITHUB_OUTPUT="$work/output" \
        GITHUB_STEP_SUMMARY="$work/summary" "$@" bash ci/github/gate.sh >"$work/gate.log" 2>&1
}

status=0
run_gate GATE_REGIONS="eu-west-1,global" GATE_EVENTS_TABLE="pipeguard-health-events" \
    GATE_WINDOWS="Mon-Thu 09:00-16:00 Europe/Berlin" GATE_ON_HEALTH_ERROR=fail-open \
    GATE_PARAMS='{"block_while_running": "db-migrations"}' || status=$?
check "Action: a blocked deploy fails the step with the CLI's exit code" test "$status" -eq 1
check "Action: inputs become flags, a window with its spaces whole" \
    grep -qxF "Mon-Thu 09:00-16:00 Europe/Berlin" "$work/args"
check "Action: on-health-error is set in params" \
    grep -qxF '{"block_while_running":"db-migrations","on_health_error":"fail-open"}' "$work/args"
check "Action: an input left empty is no flag" bash -c "! grep -qxF -- --services '$work/args'"
verdict=$(jq --raw-output .verdict "$work/blocked.json")
check "Action: outputs deploy, verdict, exit-code, blocking" bash -c "
    grep -qx 'deploy=false' '$work/output' && grep -qx 'verdict=$verdict' '$work/output' &&
    grep -qx 'exit-code=1' '$work/output' && grep -qx 'blocking=5' '$work/output'"
check "Action: the summary's table has one row per blocker" \
    test "$(grep '^| [a-z_]* | ' "$work/summary" | grep -vc '^| kind |')" -eq 5
check "Action: the summary names the event and when the window opens" bash -c "
    grep -qF '| aws_health_event | EC2 AWS_EC2_OPERATIONAL_ISSUE in us-east-1, account all (open) |' '$work/summary' &&
    grep -qF '| outside_window | outside Mon-Thu 09:00-16:00 Europe/Berlin | 2026-12-01T09:00:00Z |' '$work/summary'"

status=0
run_gate GATE_FAIL_ON_BLOCK=false || status=$?
check "Action: fail-on-block false only warns" test "$status" -eq 0
check "Action: ... and says so" grep -q '^::warning' "$work/gate.log"
status=0
run_gate GATE_FAIL_ON_BLOCK=false STUB_EXIT=3 || status=$?
check "Action: fail-on-block false still fails when AWS Health could not be asked" test "$status" -eq 3
status=0
run_gate STUB_ANSWER=/dev/null STUB_EXIT=0 || status=$?
check "Action: an answer that does not read never passes" test "$status" -eq 2

printf 'pipeguard: --regions: unknown region\n' >"$work/usage.txt"
status=0
STUB_ANSWER="$work/usage.txt" STUB_EXIT=2 run_gate || status=$?
check "Action: a configuration problem (no JSON) ends with its exit code" test "$status" -eq 2
check "Action: ... and verdict ERROR" grep -qx 'verdict=ERROR' "$work/output"

# The GitLab template's script, as GitLab runs it (sh), with pipeguard on PATH.
"$python" - ci/gitlab/pipeguard-gate.yml >"$work/gitlab.sh" <<'EOF'
import sys
import yaml
template = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
for name, value in template["variables"].items():
    print(f"{name}=${{{name}-{value!s}}}")
print("\n".join(template["pipeguard-gate"]["script"]))
EOF
status=0
(cd "$work" && PATH="$work:$PATH" PIPEGUARD_REGIONS="eu-west-1,global" \
    PIPEGUARD_WINDOWS="Mon-Thu 09:00-16:00 Europe/Berlin" \
    PIPEGUARD_PARAMS='{"on_health_error": "fail-open"}' sh gitlab.sh >gitlab.log 2>&1) || status=$?
check "GitLab: a blocked deploy fails the job" test "$status" -eq 1
check "GitLab: variables become flags, a window with its spaces whole" bash -c "
    grep -qxF 'eu-west-1,global' '$work/args' && grep -qxF 'Mon-Thu 09:00-16:00 Europe/Berlin' '$work/args' && grep -qxF '{\"on_health_error\": \"fail-open\"}' '$work/args' &&
    ! grep -qxF -- --services '$work/args'"
check "GitLab: the answer is kept for the artifact" cmp -s "$work/pipeguard-health.json" "$work/blocked.json"

echo "ci templates: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
