//! The fault-injecting proxy behind `shakedown proxy`: a loopback TCP proxy that makes
//! intermittent transport failures happen on demand, reproducibly from a seed, and logs every
//! fault it injects.
//!
//! Pure parts: [`plan`] (faults, parameters, validation of `TYPE:key=value,...` and of the
//! control API's JSON), [`roll`] (seeded draws keyed by connection and request, so the same
//! seed and plan hit the same connections and requests), [`http1`] (HTTP/1.1 framing, enough
//! to count requests and responses), [`log`] (the injected-fault log).
//! I/O parts: [`proxy`] (listener, connections, faults applied to the bytes) and [`control`]
//! (the control API, served with hyper).
//!
//! **Architecture invariant:** loopback only. Listening, upstream and control addresses
//! outside 127.0.0.0/8 and ::1 are refused ([`proxy::check_loopback`]). The module never
//! prints; `cli::proxy_cmd` does.

pub mod control;
pub mod http1;
pub mod log;
pub mod plan;
pub mod proxy;
pub mod roll;

pub use control::ControlServer;
pub use log::{Injected, LogSnapshot};
pub use plan::{Fault, FaultKind, FaultPlan, PlanError, Scope, Stream};
pub use proxy::{Control, Proxy, ProxyConfig, ProxyError, Summary, check_loopback};
