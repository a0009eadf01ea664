//! Latency histograms of load mode: HDR histograms in microseconds, their summary, and their wire form.
//!
//! Every histogram has the same layout (1 µs to one hour, 3 significant digits), so adding one to
//! another is a plain sum of counters and loses nothing: a merged histogram is exactly the
//! histogram of all the samples. The wire form is the standard HdrHistogram V2 encoding (without
//! DEFLATE), base64 in JSON, which the Java, Go and C ports read too.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};

/// The highest value a histogram holds, in microseconds (one hour); larger values are clamped.
pub const HIGHEST_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds.
#[derive(Clone, Debug)]
pub struct Latency {
    inner: Histogram<u64>,
}

/// A histogram could not be read back from a result file.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    /// The text is not base64.
    #[error("the histogram is not base64: {0}")]
    Base64(String),
    /// The bytes are not a V2 histogram.
    #[error("the histogram does not decode: {0}")]
    Decode(String),
    /// The histogram's range does not fit ours.
    #[error("the histogram does not fit the 1 µs..1 h range: {0}")]
    Range(String),
}

impl Default for Latency {
    fn default() -> Latency {
        Latency::new()
    }
}

impl Latency {
    /// An empty histogram.
    pub fn new() -> Latency {
        // The bounds are constants that satisfy the crate's preconditions (1 <= low,
        // high >= 2 * low, sigfig <= 5): no input reaches this, so it cannot fail.
        let inner = Histogram::new_with_bounds(1, HIGHEST_US, 3)
            .expect("constant histogram bounds are valid");
        Latency { inner }
    }

    /// Records one value in microseconds (0 counts as 1 µs; above one hour is clamped).
    pub fn record_us(&mut self, us: u64) {
        self.inner.saturating_record(us.clamp(1, HIGHEST_US));
    }

    /// Records one duration.
    pub fn record(&mut self, duration: std::time::Duration) {
        self.record_us(u64::try_from(duration.as_micros()).unwrap_or(HIGHEST_US));
    }

    /// Adds every sample of `other` (lossless: both share one layout).
    pub fn add(&mut self, other: &Latency) {
        if self.inner.add(&other.inner).is_err() {
            // Only possible for a histogram read from a file with a larger range: add
            // value by value, clamped, so nothing is lost in the count.
            for v in other.inner.iter_recorded() {
                self.inner.saturating_record_n(
                    v.value_iterated_to().clamp(1, HIGHEST_US),
                    v.count_at_value(),
                );
            }
        }
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// The value at quantile `q` (0..=1), in microseconds; 0 when empty.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.inner.is_empty() { 0 } else { self.inner.value_at_quantile(q) }
    }

    /// The summary written to the report.
    pub fn summary(&self) -> Summary {
        let empty = self.inner.is_empty();
        Summary {
            count: self.count(),
            min_us: if empty { 0 } else { self.inner.min() },
            mean_us: if empty { 0 } else { self.inner.mean().round() as u64 },
            p50_us: self.quantile_us(0.50),
            p90_us: self.quantile_us(0.90),
            p95_us: self.quantile_us(0.95),
            p99_us: self.quantile_us(0.99),
            p999_us: self.quantile_us(0.999),
            max_us: if empty { 0 } else { self.inner.max() },
        }
    }

    /// The V2 encoding, base64.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::new();
        match V2Serializer::new().serialize(&self.inner, &mut bytes) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
            // Serializing into a Vec cannot fail for I/O; an empty string reads back as empty.
            Err(_) => String::new(),
        }
    }

    /// Reads the base64 V2 encoding back (an empty string is an empty histogram).
    pub fn decode(text: &str) -> Result<Latency, HistogramError> {
        if text.is_empty() {
            return Ok(Latency::new());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| HistogramError::Base64(e.to_string()))?;
        let read: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| HistogramError::Decode(format!("{e:?}")))?;
        if !read.is_empty() && read.max() > HIGHEST_US.saturating_mul(2) {
            return Err(HistogramError::Range(format!("max {} µs", read.max())));
        }
        let mut out = Latency::new();
        out.add(&Latency { inner: read });
        Ok(out)
    }
}

/// Percentiles of a histogram, in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Smallest.
    pub min_us: u64,
    /// Mean, rounded to the microsecond (an integer, so the summary flattens into JSON
    /// objects that serde_json's `arbitrary_precision` reads back).
    pub mean_us: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest.
    pub max_us: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_histograms_equal_one_histogram_of_the_same_samples() {
        let mut shards = vec![Latency::new(), Latency::new(), Latency::new(), Latency::new()];
        let mut single = Latency::new();
        let mut x: u64 = 12345;
        for i in 0..40_000u64 {
            // A deterministic spread from 1 µs to ~2 s, with a tail.
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = if i % 1000 == 0 { 2_000_000 + (x >> 44) } else { 1 + (x >> 50) };
            let shard = usize::try_from(i % 4).unwrap_or(0);
            shards[shard].record_us(v);
            single.record_us(v);
        }
        // Through the wire form, as merge reads it.
        let mut merged = Latency::new();
        for shard in &shards {
            merged.add(&Latency::decode(&shard.encode()).unwrap());
        }
        assert_eq!(merged.count(), 40_000);
        assert_eq!(merged.summary(), single.summary());
        assert_eq!(merged.inner, single.inner);
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(merged.quantile_us(q), single.quantile_us(q), "q={q}");
        }
    }

    #[test]
    fn values_are_clamped_not_lost() {
        let mut h = Latency::new();
        h.record_us(0);
        h.record_us(u64::MAX);
        assert_eq!(h.count(), 2);
        assert_eq!(h.summary().min_us, 1);
        assert!(h.summary().max_us >= HIGHEST_US);
        assert_eq!(Latency::decode("").unwrap().count(), 0);
        assert!(Latency::decode("not base64!").is_err());
        assert!(Latency::decode("AAAA").is_err());
    }
}
