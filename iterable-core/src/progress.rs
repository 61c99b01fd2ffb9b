//! Progress of long work, reported to a callback at a steady rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// How far a read, conversion or pipeline has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Records done.
    pub records: u64,
    /// Bytes read from the input so far.
    pub bytes_read: u64,
    /// The input's size, when known (a local file).
    pub total_bytes: Option<u64>,
}

/// A progress callback, shared between tasks or threads.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How often a [`ProgressReporter`] calls back, at most.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Calls a [`ProgressFn`] at most every [`PROGRESS_INTERVAL`], and once more at the end.
///
/// ```
/// use iterable_core::{Progress, ProgressReporter};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let mut reporter = ProgressReporter::new(Some(Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.records))), Some(10));
/// for records in 1..=5000 {
///     reporter.update(records, records * 2);
/// }
/// reporter.done(5000, 10_000);
/// assert_eq!(seen.lock().unwrap().last(), Some(&5000));
/// ```
pub struct ProgressReporter {
    callback: Option<ProgressFn>,
    total_bytes: Option<u64>,
    last: Instant,
    calls: u32,
}

impl ProgressReporter {
    /// A reporter for `callback` (none: every call is a no-op) about an input of
    /// `total_bytes`.
    pub fn new(callback: Option<ProgressFn>, total_bytes: Option<u64>) -> Self {
        ProgressReporter {
            callback,
            total_bytes,
            last: Instant::now(),
            calls: 0,
        }
    }

    /// Reports if the interval has passed; cheap to call for every record.
    pub fn update(&mut self, records: u64, bytes_read: u64) {
        if self.callback.is_none() {
            return;
        }
        self.calls += 1;
        // Looking at the clock costs more than counting: look every 256 calls.
        if !self.calls.is_multiple_of(256) || self.last.elapsed() < PROGRESS_INTERVAL {
            return;
        }
        self.last = Instant::now();
        self.call(records, bytes_read);
    }

    /// Reports the final figures.
    pub fn done(&mut self, records: u64, bytes_read: u64) {
        self.call(records, bytes_read);
    }

    fn call(&self, records: u64, bytes_read: u64) {
        if let Some(callback) = &self.callback {
            callback(&Progress {
                records,
                bytes_read,
                total_bytes: self.total_bytes,
            });
        }
    }
}

/// Sums the progress of several parts of one job (the inputs of `convert_many`) for one
/// callback.
pub struct ProgressTotals {
    callback: ProgressFn,
    parts: std::sync::Mutex<Vec<Progress>>,
}

impl ProgressTotals {
    /// Totals over `parts` parts, reported to `callback`.
    pub fn new(callback: ProgressFn, parts: usize) -> Arc<Self> {
        Arc::new(ProgressTotals {
            callback,
            parts: std::sync::Mutex::new(vec![Progress::default(); parts]),
        })
    }

    /// The callback for part `index`: each call updates that part and reports the sum.
    pub fn part(self: &Arc<Self>, index: usize) -> ProgressFn {
        let totals = Arc::clone(self);
        Arc::new(move |progress: &Progress| {
            let sum = {
                let mut parts = totals
                    .parts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(slot) = parts.get_mut(index) {
                    *slot = *progress;
                }
                parts.iter().fold(
                    Progress {
                        total_bytes: Some(0),
                        ..Progress::default()
                    },
                    |sum, p| Progress {
                        records: sum.records + p.records,
                        bytes_read: sum.bytes_read + p.bytes_read,
                        total_bytes: sum.total_bytes.zip(p.total_bytes).map(|(a, b)| a + b),
                    },
                )
            };
            (totals.callback)(&sum);
        })
    }
}
