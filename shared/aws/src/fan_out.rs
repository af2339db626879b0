//! Independent calls run at once (principle 6): one task each, their findings gathered.

use tokio::task::JoinSet;

/// Runs every call at once, each on its own task, and gathers what they found, in the order they
/// finish; the first error ends it. A call that panics panics here, as it would have run inline.
pub(crate) async fn all_at_once<T, E, F>(calls: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<Vec<T>, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut running: JoinSet<Result<Vec<T>, E>> = calls.into_iter().collect();
    let mut found = Vec::new();
    while let Some(finished) = running.join_next().await {
        match finished {
            Ok(result) => found.extend(result?),
            // Only a panic ends a task early: the set is never aborted while it is awaited.
            Err(failed) => std::panic::resume_unwind(
                failed
                    .try_into_panic()
                    .unwrap_or_else(|cancelled| Box::new(cancelled.to_string())),
            ),
        }
    }
    Ok(found)
}

/// Runs the calls at most `limit` at a time (a decision may name many keys: the function's one
/// connection pool and its memory are not made to hold them all in flight), each on its own task,
/// and gathers what they found as `all_at_once` does.
pub(crate) async fn at_most<T, E, F>(limit: usize, calls: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<Vec<T>, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let limited = calls.into_iter().map(|call| {
        let permits = permits.clone();
        async move {
            // Never closed while the calls run: acquiring only waits its turn.
            let _turn = permits.acquire_owned().await;
            call.await
        }
    });
    all_at_once(limited).await
}

/// Runs every call at once, each to its end, and gathers what they found in the order they
/// finish, with the first failure, if any: what the others found still counts beside it (a
/// firing alarm is not hidden by another region that could not be read).
pub(crate) async fn every_answer<T, E, F>(calls: impl IntoIterator<Item = F>) -> (Vec<T>, Option<E>)
where
    F: Future<Output = Result<Vec<T>, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let answered = calls
        .into_iter()
        .map(|call| async move { Ok::<_, std::convert::Infallible>(vec![call.await]) });
    let answers = match all_at_once(answered).await {
        Ok(answers) => answers,
        Err(never) => match never {},
    };
    let mut found = Vec::new();
    let mut failed = None;
    for answer in answers {
        match answer {
            Ok(more) => found.extend(more),
            Err(failure) => {
                failed.get_or_insert(failure);
            }
        }
    }
    (found, failed)
}

#[cfg(test)]
#[path = "fan_out_tests.rs"]
mod tests;
