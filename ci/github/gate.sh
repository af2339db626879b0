#!/usr/bin/env bash
# The Action's gate step (action.yml): runs `pipeguard health --json` with the Action's inputs,
# sets the step's outputs, writes the job summary (a Markdown table of what blocks) and ends as
# the gate decided. The inputs come as environment variables, never pasted into the script.
#
# PIPEGUARD: the binary; GATE_*: the inputs; GITHUB_OUTPUT, GITHUB_STEP_SUMMARY: the runner's
# files; RUNNER_TEMP: where the JSON answer is kept (the `report` output).
set -euo pipefail

args=(health --json)
add() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
add --regions "${GATE_REGIONS:-}"
add --services "${GATE_SERVICES:-}"
add --accounts "${GATE_ACCOUNTS:-}"
add --source "${GATE_SOURCE:-}"
add --events-table "${GATE_EVENTS_TABLE:-}"
add --pipeline "${GATE_PIPELINE:-}"
add --windows "${GATE_WINDOWS:-}"
add --blackouts "${GATE_BLACKOUTS:-}"

# The gate's UserParameters: the `params` input, with `on-health-error` set in it when given.
params=${GATE_PARAMS:-}
if [ -n "${GATE_ON_HEALTH_ERROR:-}" ]; then
    params=$(jq --compact-output --arg mode "$GATE_ON_HEALTH_ERROR" '. + {on_health_error: $mode}' <<<"${params:-"{}"}") ||
        { echo "::error title=pipeguard::the params input is not a JSON object"; exit 2; }
fi
add --params "$params"
if [ "${GATE_IGNORE_FREEZES:-false}" = true ]; then args+=(--ignore-freezes); fi

report="${RUNNER_TEMP:-/tmp}/pipeguard-health.json"
set +e
"$PIPEGUARD" "${args[@]}" >"$report"
exit_code=$?
set -e

# A configuration problem prints no JSON, only a line on standard error (docs/cli-json.md);
# without jq nothing could be read, so nothing is taken as a pass.
if ! { [ -s "$report" ] && jq --exit-status 'has("verdict")' "$report" >/dev/null 2>&1; }; then
    {
        echo "deploy=false"
        echo "verdict=ERROR"
        echo "exit-code=$exit_code"
        echo "blocking=0"
        echo "report="
    } >>"$GITHUB_OUTPUT"
    echo "### pipeguard: the gate could not decide (exit code $exit_code); see the step's log" >>"$GITHUB_STEP_SUMMARY"
    if [ "$exit_code" -eq 0 ]; then
        echo "::error title=pipeguard::the gate's answer could not be read (is jq installed?)"
        exit 2
    fi
    exit "$exit_code"
fi

{
    echo "deploy=$(jq --raw-output '.deploy' "$report")"
    echo "verdict=$(jq --raw-output '.verdict' "$report")"
    echo "exit-code=$exit_code"
    echo "blocking=$(jq '.blocking | length' "$report")"
    echo "report=$report"
} >>"$GITHUB_OUTPUT"

# One row per blocker: its kind, what it is, and when it ends by itself (when known).
jq --raw-output '
  def when: if . == null then "" else todate end;
  def cell: tostring | gsub("\\|"; "\\|") | gsub("\n"; " ");
  def what:
    if .kind == "aws_health_event" then "\(.service) \(.event_type_code) in \(.region), account \(.account) (\(.status))"
    elif .kind == "running_pipeline" then "pipeline \(.pipeline) is running (\(.execution_id), \(.status))"
    elif .kind == "outside_window" then "outside \(.because)"
    elif .kind == "freeze" then "freeze \(.id) by \(.by): \(.reason) (\(.covers))"
    elif .kind == "unreadable_freeze" then "unreadable freeze \(.id): \(.unreadable) (\(.covers))"
    elif .kind == "change_calendar" then "Change Calendar \(.name) in \(.region), account \(.account) is \(.state)"
    elif .cause != null then .cause
    else del(.kind) | tojson end;
  def ends:
    if .kind == "outside_window" or .kind == "change_calendar" then .opens_at | when
    elif .kind == "freeze" then .until | when
    else "" end;
  (if .deploy then "### pipeguard: deploy (\(.verdict))" else "### pipeguard: blocked (\(.verdict))" end),
  "",
  (if (.blocking | length) > 0 then
     "| kind | what | until |", "| --- | --- | --- |",
     (.blocking[] | "| \(.kind | cell) | \(what | cell) | \(ends | cell) |")
   else empty end),
  "",
  "<details><summary>The gate said</summary>",
  "",
  "```",
  .message,
  "```",
  "</details>"
' "$report" >>"$GITHUB_STEP_SUMMARY"

# Only a block is let through: AWS Health that could not be asked (3) fails as ever.
if [ "$exit_code" -eq 1 ] && [ "${GATE_FAIL_ON_BLOCK:-true}" = false ]; then
    echo "::warning title=pipeguard::the gate says do not deploy ($(jq --raw-output '.verdict' "$report")); fail-on-block is false"
    exit 0
fi
exit "$exit_code"
