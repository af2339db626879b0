use super::*;

#[tokio::test]
async fn calls_at_once_gather_everything_they_found() {
    let calls = (0..4).map(|call| async move {
        // The later calls finish first: the gathering does not depend on the order.
        tokio::time::sleep(std::time::Duration::from_millis(40 - 10 * call)).await;
        Ok::<_, String>(vec![call, call * 10])
    });
    let mut found = all_at_once(calls).await.unwrap();
    found.sort();
    assert_eq!(found, [0, 0, 1, 2, 3, 10, 20, 30]);
}

#[tokio::test]
async fn the_first_call_that_fails_is_the_answer() {
    let calls = (0..3).map(|call| async move {
        if call == 1 {
            Err(format!("call {call} failed"))
        } else {
            Ok(vec![call])
        }
    });
    assert_eq!(all_at_once(calls).await, Err("call 1 failed".to_owned()));
}

#[tokio::test]
#[should_panic(expected = "a bug in one call")]
async fn a_call_that_panics_panics_the_caller() {
    let calls = [async { panic!("a bug in one call") }];
    let _: Result<Vec<u8>, String> = all_at_once(calls).await;
}

#[tokio::test]
async fn every_call_runs_to_its_end_and_what_the_others_found_stands_beside_a_failure() {
    let calls = (0..4).map(|call| async move {
        tokio::time::sleep(std::time::Duration::from_millis(10 * call)).await;
        if call == 0 {
            Err(format!("call {call} failed"))
        } else {
            Ok(vec![call])
        }
    });
    let (mut found, failed) = every_answer(calls).await;
    found.sort();
    assert_eq!(found, [1, 2, 3], "the calls after the failure still answered");
    assert_eq!(failed, Some("call 0 failed".to_owned()));
}

#[tokio::test]
async fn at_most_runs_no_more_than_its_limit_at_once_and_gathers_everything() {
    let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let busiest = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let calls = (0..20).map(|call| {
        let (running, busiest) = (running.clone(), busiest.clone());
        async move {
            let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            busiest.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, String>(vec![call])
        }
    });
    let mut found = at_most(3, calls).await.unwrap();
    found.sort();
    assert_eq!(found, (0..20).collect::<Vec<_>>());
    let busiest = busiest.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=3).contains(&busiest), "{busiest} at once");
}
