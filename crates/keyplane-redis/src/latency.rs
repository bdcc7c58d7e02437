//! A fixed-bucket latency histogram kept in atomics, so recording a call takes no lock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the buckets, in microseconds: 50 µs to 250 ms, then everything slower.
const BOUNDS_MICROS: [u64; 12] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000,
];

#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// One count per bound, and the last for slower calls.
    buckets: [AtomicU64; BOUNDS_MICROS.len() + 1],
    sum_micros: AtomicU64,
}

impl LatencyHistogram {
    pub fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_MICROS
            .iter()
            .position(|&bound| micros <= bound)
            .unwrap_or(BOUNDS_MICROS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    /// The sum in seconds, the count, and each bucket's upper bound in seconds with its own
    /// (not cumulative) count, the last bound infinite.
    pub fn read(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let bounds = BOUNDS_MICROS
            .iter()
            .map(|&b| b as f64 / 1e6)
            .chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(counts.iter().copied()).collect();
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        (sum, counts.iter().sum(), buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_lands_in_the_first_bucket_that_holds_it() {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_micros(40));
        histogram.observe(Duration::from_micros(50));
        histogram.observe(Duration::from_micros(900));
        histogram.observe(Duration::from_secs(3));
        let (sum, count, buckets) = histogram.read();
        assert_eq!(count, 4);
        assert!((sum - 3.000_99).abs() < 1e-9);
        assert_eq!(buckets[0], (0.000_05, 2));
        assert_eq!(buckets[4], (0.001, 1));
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 1)));
    }
}
