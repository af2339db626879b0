use super::*;
use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_codepipeline::operation::rollback_stage::RollbackStageOutput;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionExecutionDetail, ActionExecutionInput, ActionExecutionOutput,
    ActionExecutionResult, ActionExecutionStatus, ActionOwner, ActionTypeId, ErrorDetails, ExecutionType,
    PipelineExecutionSummary, PipelineRollbackMetadata, StageExecution, StageExecutionStatus, StageState,
};
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use lambda_runtime::Context;
use pipeguard_core::testing::env_of;
use serde_json::json;

fn rollbacker(codepipeline: &[&Rule], sns: &[&Rule], env: &[(&str, &str)]) -> Rollbacker {
    Rollbacker {
        policies: RollbackPolicies::from_env(env_of(env)),
        codepipeline: CodePipeline::new(mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            codepipeline
        )),
        notifier: Notifier::new(
            mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns),
            Some("arn:aws:sns:us-east-1:123456789012:t".into()),
        ),
    }
}

fn action_failed() -> LambdaEvent<Value> {
    let detail = json!({"pipeline": "web-app", "execution-id": "e2", "stage": "Deploy", "action": "Apply", "state": "FAILED",
                        "type": {"owner": "AWS", "provider": "CloudFormation", "category": "Deploy", "version": "1"}});
    LambdaEvent::new(
        json!({"source": "aws.codepipeline", "detail-type": "CodePipeline Action Execution State Change", "detail": detail}),
        Context::default(),
    )
}

/// Source, then Deploy whose latest execution is `execution` with `status`.
fn state(execution: &'static str, status: StageExecutionStatus) -> Rule {
    state_of(execution, status, None)
}

/// The same, with the execution's type when GetPipelineState reports it.
fn state_of(execution: &'static str, status: StageExecutionStatus, kind: Option<ExecutionType>) -> Rule {
    mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_output(move || {
        GetPipelineStateOutput::builder()
            .stage_states(StageState::builder().stage_name("Source").build())
            .stage_states(
                StageState::builder()
                    .stage_name("Deploy")
                    .latest_execution(
                        StageExecution::builder()
                            .pipeline_execution_id(execution)
                            .status(status.clone())
                            .set_type(kind.clone())
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
    })
}

fn runs(category: ActionCategory, code: &'static str) -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_action_executions).then_output(move || {
        let type_id = ActionTypeId::builder()
            .category(category.clone())
            .owner(ActionOwner::Aws)
            .provider("CloudFormation")
            .version("1")
            .build()
            .unwrap();
        ListActionExecutionsOutput::builder()
            .action_execution_details(
                ActionExecutionDetail::builder()
                    .pipeline_execution_id("e2")
                    .stage_name("Deploy")
                    .action_name("Apply")
                    .status(ActionExecutionStatus::Failed)
                    .input(ActionExecutionInput::builder().action_type_id(type_id).build())
                    .output(
                        ActionExecutionOutput::builder()
                            .execution_result(
                                ActionExecutionResult::builder()
                                    .error_details(
                                        ErrorDetails::builder().code(code).message("quota").build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

/// History: the failed execution e2 of `kind`, and (for the stage filter) e1 when `has_target`.
fn history(kind: ExecutionType, has_target: bool) -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_compute_output(move |request| {
        let summary = |id: &str, kind: ExecutionType| {
            PipelineExecutionSummary::builder()
                .pipeline_execution_id(id)
                .execution_type(kind)
                .build()
        };
        let mut output = ListPipelineExecutionsOutput::builder();
        if request.filter().is_none() {
            output = output.pipeline_execution_summaries(summary("e2", kind.clone()));
        } else if has_target {
            output = output.pipeline_execution_summaries(summary("e1", ExecutionType::Standard));
        }
        output.build()
    })
}

/// A failed apply in Deploy of execution e2: the apply's `category`, the failed execution's
/// `kind`, and whether an earlier execution succeeded in Deploy.
struct FailedApply {
    state: Rule,
    runs: Rule,
    history: Rule,
    rollback: Rule,
}

impl FailedApply {
    fn new(category: ActionCategory, kind: ExecutionType, has_target: bool) -> Self {
        Self {
            state: state("e2", StageExecutionStatus::Failed),
            runs: runs(category, "JobFailed"),
            history: history(kind, has_target),
            rollback: rollback_call(),
        }
    }

    fn rules(&self) -> [&Rule; 4] {
        [&self.state, &self.runs, &self.history, &self.rollback]
    }
}

fn rollback_call() -> Rule {
    mock!(aws_sdk_codepipeline::Client::rollback_stage)
        .match_requests(|request| {
            request.stage_name() == Some("Deploy") && request.target_pipeline_execution_id() == Some("e1")
        })
        .then_output(|| {
            RollbackStageOutput::builder()
                .pipeline_execution_id("r1")
                .build()
                .unwrap()
        })
}

fn publish_with(subject: &'static str) -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .match_requests(move |request| request.subject() == Some(subject))
        .then_output(|| PublishOutput::builder().build())
}

#[tokio::test]
async fn a_failed_apply_rolls_back_to_the_last_good_execution_and_says_so() {
    let aws = FailedApply::new(ActionCategory::Deploy, ExecutionType::Standard, true);
    let told = publish_with("pipeguard: web-app Deploy rolled back");
    rollbacker(&aws.rules(), &[&told], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!((aws.rollback.num_calls(), told.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_failure_that_does_not_qualify_is_left_alone_quietly() {
    let aws = FailedApply::new(ActionCategory::Build, ExecutionType::Standard, true);
    let publish = mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    rollbacker(&aws.rules(), &[&publish], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!(
        (
            aws.history.num_calls(),
            aws.rollback.num_calls(),
            publish.num_calls()
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn a_failed_rollback_is_reported_and_never_rolled_back() {
    let aws = FailedApply::new(ActionCategory::Deploy, ExecutionType::Rollback, true);
    let told = publish_with("pipeguard: web-app Deploy not rolled back");
    rollbacker(&aws.rules(), &[&told], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!((aws.rollback.num_calls(), told.num_calls()), (0, 1));
}

#[tokio::test]
async fn without_an_earlier_success_the_rollback_is_skipped_and_said() {
    let aws = FailedApply::new(ActionCategory::Deploy, ExecutionType::Standard, false);
    let told = publish_with("pipeguard: web-app Deploy not rolled back");
    rollbacker(&aws.rules(), &[&told], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!((aws.rollback.num_calls(), told.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_dry_run_decides_and_reports_without_acting() {
    let aws = FailedApply::new(ActionCategory::Deploy, ExecutionType::Standard, true);
    let told = publish_with("pipeguard: web-app Deploy would be rolled back (dry run)");
    rollbacker(&aws.rules(), &[&told], &[("ROLLBACK_DRY_RUN", "true")])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!((aws.rollback.num_calls(), told.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_duplicate_after_the_rollback_started_does_nothing() {
    let (state, runs, rollback) = (
        state("r1", StageExecutionStatus::InProgress),
        runs(ActionCategory::Deploy, "JobFailed"),
        rollback_call(),
    );
    rollbacker(&[&state, &runs, &rollback], &[], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!((runs.num_calls(), rollback.num_calls()), (0, 0));
}

#[tokio::test]
async fn a_bad_environment_fails_every_invocation_naming_the_variable() {
    let error = rollbacker(&[], &[], &[("ROLLBACK_MESSAGE_PATTERN", "(")])
        .on_invocation(action_failed())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ROLLBACK_MESSAGE_PATTERN"), "{error}");
}

#[tokio::test]
async fn the_stages_own_execution_type_spares_reading_the_history_for_it() {
    let mut aws = FailedApply::new(ActionCategory::Deploy, ExecutionType::Standard, true);
    aws.state = state_of("e2", StageExecutionStatus::Failed, Some(ExecutionType::Standard));
    let told = publish_with("pipeguard: web-app Deploy rolled back");
    rollbacker(&aws.rules(), &[&told], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!(
        (aws.history.num_calls(), aws.rollback.num_calls()),
        (1, 1),
        "only the target is looked up: four calls in all"
    );
    let mut rolled_back = FailedApply::new(ActionCategory::Deploy, ExecutionType::Standard, true);
    rolled_back.state = state_of("e2", StageExecutionStatus::Failed, Some(ExecutionType::Rollback));
    let told = publish_with("pipeguard: web-app Deploy not rolled back");
    rollbacker(&rolled_back.rules(), &[&told], &[])
        .on_invocation(action_failed())
        .await
        .unwrap();
    assert_eq!(
        (
            rolled_back.history.num_calls(),
            rolled_back.rollback.num_calls(),
            told.num_calls()
        ),
        (0, 0, 1)
    );
}

/// Succeeded in Deploy, newest first, over two pages: a rollback to e0, then e1; then e0. The
/// failed execution e2 came after the rollback.
fn history_after_a_rollback() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_compute_output(|request| {
        let summary = |id: &str, kind: ExecutionType| {
            PipelineExecutionSummary::builder()
                .pipeline_execution_id(id)
                .execution_type(kind)
        };
        let output = ListPipelineExecutionsOutput::builder();
        match request.next_token() {
            None => output
                .pipeline_execution_summaries(
                    summary("r1", ExecutionType::Rollback)
                        .rollback_metadata(
                            PipelineRollbackMetadata::builder()
                                .rollback_target_pipeline_execution_id("e0")
                                .build(),
                        )
                        .build(),
                )
                .pipeline_execution_summaries(summary("e1", ExecutionType::Standard).build())
                .next_token("page-2"),
            Some(_) => output.pipeline_execution_summaries(summary("e0", ExecutionType::Standard).build()),
        }
        .build()
    })
}

#[tokio::test]
async fn after_a_rollback_the_stage_returns_to_the_state_the_rollback_returned_it_to() {
    let (state, runs, history) = (
        state_of("e2", StageExecutionStatus::Failed, Some(ExecutionType::Standard)),
        runs(ActionCategory::Deploy, "JobFailed"),
        history_after_a_rollback(),
    );
    let to_e0 = mock!(aws_sdk_codepipeline::Client::rollback_stage)
        .match_requests(|request| request.target_pipeline_execution_id() == Some("e0"))
        .then_output(|| {
            RollbackStageOutput::builder()
                .pipeline_execution_id("r2")
                .build()
                .unwrap()
        });
    let to_anything_else = mock!(aws_sdk_codepipeline::Client::rollback_stage)
        .match_requests(|request| request.target_pipeline_execution_id() != Some("e0"))
        .then_output(|| {
            RollbackStageOutput::builder()
                .pipeline_execution_id("r2")
                .build()
                .unwrap()
        });
    let told = publish_with("pipeguard: web-app Deploy rolled back");
    rollbacker(
        &[&state, &runs, &history, &to_e0, &to_anything_else],
        &[&told],
        &[],
    )
    .on_invocation(action_failed())
    .await
    .unwrap();
    assert_eq!(
        (to_e0.num_calls(), to_anything_else.num_calls(), told.num_calls()),
        (1, 0, 1),
        "to e0, which the rollback returned the stage to, not e1, which it rolled away from"
    );
    assert_eq!(
        history.num_calls(),
        2,
        "the rollback's target is on the second page"
    );
}

#[path = "handler_bake_tests.rs"]
mod bake;
