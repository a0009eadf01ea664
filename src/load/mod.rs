//! Load mode and scale-out: the same `.hurl` scenarios under a closed or open load model,
//! aggregated into HDR histograms per request name × outcome, judged by thresholds, written as a
//! mergeable `shakedown.load/v1` document; shards (`--shard M/N`) and their merge.
//!
//! Never prints: `cli::load_cmd` and `cli::merge_cmd` render what this returns.

pub mod engine;
pub mod histogram;
pub mod metrics;
pub mod plan;
pub mod result;
pub mod scripts;
pub mod shard;
pub mod summary;
pub mod threshold;
