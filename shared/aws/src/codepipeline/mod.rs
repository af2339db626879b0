//! Every CodePipeline call pipeguard makes, and the translation of their answers and errors
//! into the plain data of `pipeline` and `job`: a job's result (`jobs`), a pipeline's stages and
//! structure and what changes them (`stages`), and its executions (`executions`).

mod executions;
mod jobs;
mod stages;

pub use jobs::{JobContext, ReportError, Reported};

use aws_sdk_codepipeline::Error as CodePipelineError;
use aws_sdk_codepipeline::error::DisplayErrorContext;
use pipeguard_core::selection::PipelineSelection;

/// A CodePipeline call that failed: which, for which pipeline, and what AWS said.
#[derive(Debug, thiserror::Error)]
#[error("{operation} for pipeline {pipeline} failed: {}", DisplayErrorContext(cause))]
pub struct PipelineCallError {
    /// The operation called.
    pub operation: &'static str,
    /// The pipeline it was called for.
    pub pipeline: String,
    /// What the SDK answered, typed for matching. The message gives it with its chain, so it is
    /// not also the error's `source()`, which would print it twice.
    pub cause: Box<CodePipelineError>,
}

impl PipelineCallError {
    fn new<E>(operation: &'static str, pipeline: &str, error: E) -> Self
    where
        CodePipelineError: From<E>,
    {
        Self {
            operation,
            pipeline: pipeline.to_owned(),
            cause: Box::new(CodePipelineError::from(error)),
        }
    }

    /// CodePipeline knows no such pipeline (or stage): a mistake in what was asked, not an
    /// outage.
    pub fn is_not_found(&self) -> bool {
        matches!(
            *self.cause,
            CodePipelineError::PipelineNotFoundException(_) | CodePipelineError::StageNotFoundException(_)
        )
    }
}

/// The CodePipeline API, as pipeguard uses it.
#[derive(Debug, Clone)]
pub struct CodePipeline {
    client: aws_sdk_codepipeline::Client,
}

impl CodePipeline {
    /// The API through `client`.
    pub fn new(client: aws_sdk_codepipeline::Client) -> Self {
        Self { client }
    }

    /// The API as `config` reaches it.
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_codepipeline::Client::new(config))
    }

    /// Every pipeline in the account and region.
    pub async fn pipelines(&self) -> Result<Vec<String>, PipelineCallError> {
        let mut pages = self.client.list_pipelines().into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| PipelineCallError::new("ListPipelines", "(all)", error))?;
            names.extend(
                page.pipelines()
                    .iter()
                    .filter_map(|pipeline| pipeline.name())
                    .map(str::to_owned),
            );
        }
        Ok(names)
    }

    /// The pipelines `selection` selects: those it names as named, without a call; else those
    /// of `pipelines` it selects, sorted.
    pub async fn selected_pipelines(
        &self,
        selection: &PipelineSelection,
    ) -> Result<Vec<String>, PipelineCallError> {
        let existing = if selection.needs_existing() {
            self.pipelines().await?
        } else {
            Vec::new()
        };
        Ok(selection.select_from(existing))
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
