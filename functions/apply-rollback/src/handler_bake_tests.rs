//! A failed bake of the stack's gate (`BAKE_FAILED`) is rolled back, once, and told as a bake;
//! the same words in the message of an action that invokes no gate roll nothing back.

use super::*;
use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::types::{ActionDeclaration, PipelineDeclaration, StageDeclaration};

const GATE: &str = "pipeguard-HealthGate-1AB2";
const BAKE_MESSAGE: &str = "BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake, seen at 2026-12-07 22:10 UTC after 12 of 30 minutes:\n- CloudWatch metric alarm web-5xx in us-east-1 is ALARM";

/// ListActionExecutions: Deploy's Apply succeeded and its Bake (a Lambda invoke action) failed
/// saying its bake failed.
fn baked_runs() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_action_executions).then_output(|| {
        let type_id = |category: ActionCategory, provider: &str| {
            ActionTypeId::builder()
                .category(category)
                .owner(ActionOwner::Aws)
                .provider(provider)
                .version("1")
                .build()
                .unwrap()
        };
        let detail = |action: &str, status, category, provider: &str| {
            ActionExecutionDetail::builder()
                .pipeline_execution_id("e2")
                .stage_name("Deploy")
                .action_name(action)
                .status(status)
                .input(
                    ActionExecutionInput::builder()
                        .action_type_id(type_id(category, provider))
                        .build(),
                )
        };
        let failure = ActionExecutionOutput::builder()
            .execution_result(
                ActionExecutionResult::builder()
                    .error_details(
                        ErrorDetails::builder()
                            .code("JobFailed")
                            .message(BAKE_MESSAGE)
                            .build(),
                    )
                    .build(),
            )
            .build();
        ListActionExecutionsOutput::builder()
            .action_execution_details(
                detail(
                    "Apply",
                    ActionExecutionStatus::Succeeded,
                    ActionCategory::Deploy,
                    "CloudFormation",
                )
                .build(),
            )
            .action_execution_details(
                detail(
                    "Bake",
                    ActionExecutionStatus::Failed,
                    ActionCategory::Invoke,
                    "Lambda",
                )
                .output(failure)
                .build(),
            )
            .build()
    })
}

/// GetPipeline: Deploy's Bake invokes `function`.
fn structure(function: &'static str) -> Rule {
    mock!(aws_sdk_codepipeline::Client::get_pipeline).then_output(move || {
        let bake = ActionDeclaration::builder()
            .name("Bake")
            .action_type_id(
                ActionTypeId::builder()
                    .category(ActionCategory::Invoke)
                    .owner(ActionOwner::Aws)
                    .provider("Lambda")
                    .version("1")
                    .build()
                    .unwrap(),
            )
            .configuration("FunctionName", function)
            .build()
            .unwrap();
        GetPipelineOutput::builder()
            .pipeline(
                PipelineDeclaration::builder()
                    .name("web-app")
                    .role_arn("arn:aws:iam::123456789012:role/web-app")
                    .stages(
                        StageDeclaration::builder()
                            .name("Deploy")
                            .actions(bake)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

#[tokio::test]
async fn a_failed_bake_of_the_stacks_gate_rolls_the_stage_back_once_and_says_what_fired() {
    let state = state("e2", StageExecutionStatus::Failed);
    let (runs, declared) = (baked_runs(), structure(GATE));
    let (history, rollback) = (history(ExecutionType::Standard, true), rollback_call());
    let told = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| {
            request.subject() == Some("pipeguard: web-app Deploy rolled back (bake failed)")
                && request.message().is_some_and(|body| {
                    body.contains("The bake of stage Deploy in pipeline web-app (action Bake) failed")
                        && body.contains("CloudWatch alarm web-5xx (us-east-1) fired during the bake, seen at 2026-12-07 22:10 UTC")
                })
        })
        .then_output(|| PublishOutput::builder().build());
    rollbacker(
        &[&state, &runs, &declared, &history, &rollback],
        &[&told],
        &[("GATE_FUNCTIONS", GATE)],
    )
    .on_invocation(action_failed())
    .await
    .unwrap();
    assert_eq!(
        (declared.num_calls(), rollback.num_calls(), told.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn bake_failed_from_an_action_that_invokes_no_gate_of_the_stack_rolls_nothing_back() {
    let state = state("e2", StageExecutionStatus::Failed);
    let (runs, declared) = (baked_runs(), structure("someone-elses-function"));
    let (history, rollback) = (history(ExecutionType::Standard, true), rollback_call());
    let publish = mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    let rules = [&state, &runs, &declared, &history, &rollback];
    rollbacker(&rules, &[&publish], &[("GATE_FUNCTIONS", GATE)])
        .on_invocation(action_failed())
        .await
        .unwrap();
    // Without GATE_FUNCTIONS (a stack from before bakes) nothing is a failed bake either, and
    // the structure is not even asked.
    rollbacker(&rules, &[&publish], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!(
        (declared.num_calls(), rollback.num_calls(), publish.num_calls()),
        (1, 0, 0)
    );
}
