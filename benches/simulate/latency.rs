//! The simulation's own latencies: one API round trip. How long AWS takes to make each kind of resource
//! ready is each kind's `latency()` (its module cites the sources: LATENCIES in the project's shared
//! notes, public Terraform logs and issues), the same figures the plan's estimate uses.

/// A range of seconds.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// One API round trip inside a region (E: 50-300 ms is what the SDK's own request logs show).
pub const API_CALL: Range = Range { min: 0.08, max: 0.25 };
