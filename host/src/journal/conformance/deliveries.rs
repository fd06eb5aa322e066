//! Scenarios on deliveries: a webhook's or a schedule tick's runs are
//! created once per delivery id, and the latest delivery of a source is
//! read back with its runs.

use std::sync::Arc;

use super::{T0, new_run, write};
use crate::journal::{DeliveryRecord, Storage, WriteOp, WriteOutcome};

fn delivery(source: &str, id: &str, at: i64, run: &str) -> WriteOp {
    WriteOp::Delivery {
        source: source.to_string(),
        delivery_id: id.to_string(),
        at,
        runs: vec![new_run(run, None, None)],
    }
}

pub async fn a_delivery_starts_its_runs_once_and_the_latest_is_read(s: Arc<dyn Storage>) {
    let latest = |with_runs| {
        let s = s.clone();
        async move { s.deliveries("tick", 1, with_runs).await.unwrap().pop() }
    };
    assert_eq!(latest(false).await, None);
    let first = write(&s, delivery("tick", "t1", T0 + 10, "r1"))
        .await
        .unwrap();
    assert_eq!(
        first,
        WriteOutcome::Delivered {
            new: true,
            runs: vec!["r1".into()]
        }
    );
    // The same id again, with another run: nothing new, the first runs.
    let again = write(&s, delivery("tick", "t1", T0 + 10, "r9"))
        .await
        .unwrap();
    assert_eq!(
        again,
        WriteOutcome::Delivered {
            new: false,
            runs: vec!["r1".into()]
        }
    );
    assert_eq!(s.run("r9").await.unwrap(), None);
    write(&s, delivery("tick", "t3", T0 + 30, "r3"))
        .await
        .unwrap();
    // Written later but earlier in time: the latest is still t3.
    write(&s, delivery("tick", "t2", T0 + 20, "r2"))
        .await
        .unwrap();
    write(&s, delivery("other", "t4", T0 + 40, "r4"))
        .await
        .unwrap();
    // A delivery that started nothing (a skipped tick) is the latest, but
    // not the latest with runs.
    let skipped = WriteOp::Delivery {
        source: "tick".into(),
        delivery_id: "t5".into(),
        at: T0 + 50,
        runs: Vec::new(),
    };
    write(&s, skipped).await.unwrap();
    let last = latest(false).await.unwrap();
    assert_eq!((last.delivery_id.as_str(), last.runs.len()), ("t5", 0));
    assert_eq!(
        latest(true).await,
        Some(DeliveryRecord {
            delivery_id: "t3".into(),
            at: T0 + 30,
            runs: vec!["r3".into()]
        })
    );
    let ids: Vec<String> = s
        .deliveries("tick", 10, false)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.delivery_id)
        .collect();
    assert_eq!(ids, ["t5", "t3", "t2", "t1"]);
}
