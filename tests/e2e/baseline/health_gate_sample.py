"""The benchmark's baseline: a health gate that behaves like AWS's published Python sample.

One DescribeEvents call (no pagination) for the regions in UserParameters (comma-separated,
default us-east-1), categories [issue], statuses [open, upcoming]; no events -> success, any
event -> failure "Incident In Progress". Clients are built once per cold start. Like the sample,
it has no error handling: a Health error leaves the job unanswered.

It runs under awslambdaric, the Python Lambda runtime interface client, exactly as the Rust
functions run under lambda_runtime: `python3 -m awslambdaric health_gate_sample.handler`.
"""

import os
import socket

import boto3


def active_region():
    """The sample resolves the CNAME of global.health.amazonaws.com once per cold start.
    Against the local emulator (AWS_ENDPOINT_URL set) there is nothing to resolve."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return "us-east-1"
    try:
        name, _, _ = socket.gethostbyname_ex("global.health.amazonaws.com")
        return name.split(".")[1]
    except OSError:
        return "us-east-1"


HEALTH = boto3.client("health", region_name=active_region())
CODEPIPELINE = boto3.client("codepipeline")


def handler(event, context):
    job = event["CodePipeline.job"]
    job_id = job["id"]
    configuration = job["data"]["actionConfiguration"]["configuration"]
    regions = [region.strip() for region in (configuration.get("UserParameters") or "us-east-1").split(",")]
    events = HEALTH.describe_events(
        filter={"regions": regions, "eventTypeCategories": ["issue"], "eventStatusCodes": ["open", "upcoming"]}
    )["events"]
    if not events:
        CODEPIPELINE.put_job_success_result(jobId=job_id)
    else:
        CODEPIPELINE.put_job_failure_result(
            jobId=job_id, failureDetails={"type": "JobFailed", "message": "Incident In Progress"}
        )
