//! Work spread over a few connections: each worker opens its connection and
//! takes items from a shared list until it is empty. Used for the per-table
//! steps after a restore (ANALYZE, REINDEX) and the restore check's re-reads.

use std::sync::Mutex;

use tokio_postgres::Client;

/// Runs `work` on every item over at most `jobs` connections made by `open`;
/// returns what `work` reported (`Some`), in no particular order. The first
/// error stops the run.
pub async fn on_connections<T, R, E>(
    items: Vec<T>,
    jobs: usize,
    open: impl AsyncFn() -> Result<Client, E>,
    work: impl AsyncFn(&Client, T) -> Result<Option<R>, E>,
) -> Result<Vec<R>, E> {
    let workers = jobs.clamp(1, items.len().max(1));
    let queue = Mutex::new(items);
    let worker = async || {
        let client = open().await?;
        let mut out = Vec::new();
        loop {
            let Some(item) = queue.lock().expect("queue lock").pop() else {
                break;
            };
            if let Some(r) = work(&client, item).await? {
                out.push(r);
            }
        }
        Ok::<_, E>(out)
    };
    let done = futures_util::future::try_join_all((0..workers).map(|_| worker())).await?;
    Ok(done.into_iter().flatten().collect())
}
