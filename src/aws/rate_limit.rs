//! A client-side rate limit per AWS service, so a large deployment slows itself down instead of being
//! throttled (and then retrying, which costs more time than waiting a little).
//!
//! AWS throttles per account and region with token buckets: EC2 documents 100 tokens refilled at 20 per
//! second for each Describe action and smaller buckets for mutating ones
//! (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html); the other services publish no
//! figures. clusterup keeps each service to [`SERVICE_RATE`]: the same account's console, CI and other
//! tools draw from those buckets too.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Calls per second and burst, per service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// What clusterup allows itself per service: a full apply makes a few hundred calls in all, so this only
/// binds when many waits poll at once or a retry storm starts.
pub const SERVICE_RATE: Rate = Rate { per_second: 20.0, burst: 40.0 };

/// A token bucket that hands out calls in arrival order. Tokens may go negative: a caller takes its
/// token at once and sleeps until the bucket would have held it, so waiting callers never race.
#[derive(Debug)]
pub struct RateLimiter {
    rate: Rate,
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> Self {
        RateLimiter { rate, bucket: Mutex::new((rate.burst, Instant::now())) }
    }

    /// Wait until one more call fits in the rate.
    pub async fn acquire(&self) {
        let wait = {
            let Ok(mut bucket) = self.bucket.lock() else { return };
            let now = Instant::now();
            let (tokens, updated) = *bucket;
            let refilled =
                (tokens + now.duration_since(updated).as_secs_f64() * self.rate.per_second).min(self.rate.burst);
            let left = refilled - 1.0;
            *bucket = (left, now);
            if left >= 0.0 {
                return;
            }
            Duration::from_secs_f64(-left / self.rate.per_second)
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_at_once_then_calls_follow_the_rate() {
        let limiter = RateLimiter::new(Rate { per_second: 10.0, burst: 5.0 });
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..10 {
            limiter.acquire().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 1.0).abs() < 0.01, "10 calls past the burst take 1 s at 10/s, took {took}");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_rate() {
        let limiter = std::sync::Arc::new(RateLimiter::new(Rate { per_second: 20.0, burst: 1.0 }));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..41 {
            let limiter = limiter.clone();
            tasks.spawn(async move { limiter.acquire().await });
        }
        while tasks.join_next().await.is_some() {}
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "40 calls past a burst of 1 at 20/s take 2 s, took {took}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_bucket_refills_only_up_to_its_burst() {
        let limiter = RateLimiter::new(Rate { per_second: 10.0, burst: 3.0 });
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 0.1).abs() < 0.01, "the fourth call waits one interval, took {took}");
    }
}
