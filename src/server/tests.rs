//! Real-process tests of the server lifecycle: `sh`, `python3` and `sleep` children.
