# The release checks' one way of counting: `check WHAT COMMAND...` runs the command and says
# ok or FAILED; each script ends by printing `name: N passed, N failed` and failing on any.
# Sourced by bash scripts, not run.
# shellcheck shell=bash
passed=0
failures=0
check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
        passed=$((passed + 1))
    else
        echo "FAILED: $what" >&2
        failures=$((failures + 1))
    fi
}
