//! Order-preserving parallel map over scoped threads.
//!
//! Checking is CPU-bound and files are independent, so one thread per core pays off as
//! soon as there are more than a handful of files; below that, spawning costs more than
//! it saves and the work stays on the calling thread.

/// Files per thread below which spawning is not worth it.
const MIN_PER_THREAD: usize = 32;

pub fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let next: Vec<T> = items.by_ref().take(chunk).collect();
        if next.is_empty() {
            break;
        }
        chunks.push(next);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a checking thread panicked"))
            .collect()
    })
}

/// `map` with one item per thread (up to twice the cores): for items that each wait on
/// something else (a child process), however few.
pub fn map_each<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    if items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores * 2).min(items.len());
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next());
                    let Ok(Some((i, item))) = next else { break };
                    let out = f(item);
                    if let Ok(mut results) = results.lock() {
                        results.push((i, out));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, out)| out).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn map_each_keeps_order() {
        let out = super::map_each((0..50).collect(), |i: i32| i * 2);
        assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn keeps_order() {
        let out = super::map((0..1000).collect(), |i: i32| i * 2);
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
