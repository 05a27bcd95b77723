//! Login throttling: repeated wrong passwords slow down, per account and per client address,
//! and a long run of them locks the account until an admin unlocks it; password checks run
//! a few at a time, so a flood of logins cannot take every thread the other requests need.
//!
//! - After [`LoginPolicy::free_failures`] failures in a row, each further attempt must wait
//!   `base_delay × 2^(failures − free)`, at most `max_delay`; an attempt inside the wait is
//!   answered 429 with `Retry-After`, without a password check. A success clears the count.
//! - After [`LoginPolicy::lockout_after`] failures in a row the account is locked in the
//!   database (every server copy sees it); only an admin unlocks it.
//! - At most as many password checks run at once as the machine has cores; further logins
//!   wait for one, and past [`LoginPolicy::max_waiting`] waiting they are answered 503.
//!
//! The counts are kept in memory per server copy (behind a load balancer each copy counts on
//! its own, so a client spread over `n` copies gets `n` times the free failures before the
//! waits begin); the lockout is stored and shared.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;

/// How hard logins are throttled.
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy {
    /// Failures in a row allowed before the first wait.
    pub free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Failures in a row on one account that lock it until an admin unlocks it.
    pub lockout_after: u32,
    /// Password checks running at once.
    pub concurrent_checks: usize,
    /// Logins waiting for a check before further ones are turned away.
    pub max_waiting: usize,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            free_failures: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            lockout_after: 20,
            concurrent_checks: cores,
            max_waiting: 64,
        }
    }
}

/// Failures in a row of one account or one address.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

/// What a login may do now.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Check,
    /// Too many failures: try again after this long.
    Wait(Duration),
}

/// The login throttle of one server copy.
pub struct LoginThrottle {
    policy: LoginPolicy,
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
    checks: Semaphore,
    waiting: AtomicUsize,
}

impl LoginThrottle {
    pub fn new(policy: LoginPolicy) -> Self {
        Self {
            checks: Semaphore::new(policy.concurrent_checks.max(1)),
            policy,
            accounts: Mutex::default(),
            addresses: Mutex::default(),
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn policy(&self) -> &LoginPolicy {
        &self.policy
    }

    /// Whether a login for `account` from `address` may be checked now.
    pub fn admit(&self, account: &str, address: Option<IpAddr>, now: Instant) -> Admission {
        let account_wait = self.wait_of(lock(&self.accounts).get(account).copied(), now);
        let address_wait = address
            .and_then(|ip| lock(&self.addresses).get(&ip).copied())
            .and_then(|failures| self.wait_of(Some(failures), now));
        match account_wait.max(address_wait) {
            Some(wait) => Admission::Wait(wait),
            None => Admission::Check,
        }
    }

    /// Records a wrong password; returns the account's failures in a row.
    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: Instant) -> u32 {
        let bump = |failures: Option<&mut Failures>| match failures {
            Some(f) => {
                f.count = f.count.saturating_add(1);
                f.last = now;
                f.count
            }
            None => 1,
        };
        let mut accounts = lock(&self.accounts);
        let count = bump(accounts.get_mut(account));
        accounts.insert(account.to_owned(), Failures { count, last: now });
        drop(accounts);
        if let Some(ip) = address {
            let mut addresses = lock(&self.addresses);
            let count = bump(addresses.get_mut(&ip));
            addresses.insert(ip, Failures { count, last: now });
        }
        count
    }

    /// A right password clears the account's and the address's failures.
    pub fn succeeded(&self, account: &str, address: Option<IpAddr>) {
        lock(&self.accounts).remove(account);
        if let Some(ip) = address {
            lock(&self.addresses).remove(&ip);
        }
    }

    /// A place among the password checks running at once; 503 when too many wait already.
    pub async fn check_slot(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let permit = if waiting >= self.policy.max_waiting {
            Err(ApiError::Unavailable(
                "too many sign-ins at once; try again".into(),
            ))
        } else {
            self.checks
                .acquire()
                .await
                .map_err(|_| ApiError::internal("the password check queue was closed"))
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit
    }

    fn wait_of(&self, failures: Option<Failures>, now: Instant) -> Option<Duration> {
        let failures = failures?;
        let over = failures.count.checked_sub(self.policy.free_failures)?;
        if over == 0 {
            return None;
        }
        let factor = 2_u32.saturating_pow(over - 1);
        let delay = self
            .policy
            .base_delay
            .saturating_mul(factor)
            .min(self.policy.max_delay);
        let until = failures.last + delay;
        (until > now).then(|| until - now)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves only counts behind; they stay usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LoginPolicy {
        LoginPolicy {
            free_failures: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
            lockout_after: 8,
            concurrent_checks: 1,
            max_waiting: 2,
        }
    }

    #[test]
    fn waits_double_after_the_free_failures_and_stop_at_the_maximum() {
        let throttle = LoginThrottle::new(policy());
        let start = Instant::now();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        // (failures so far, wait asked of the next attempt right after the last failure)
        let expected = [
            (1, None),
            (2, None),
            (3, None),
            (4, Some(2)),
            (5, Some(4)),
            (6, Some(8)),
            (7, Some(10)),
            (8, Some(10)),
        ];
        for (failures, wait) in expected {
            assert_eq!(throttle.failed("wang", Some(ip), start), failures);
            let admitted = throttle.admit("wang", None, start);
            let want = wait.map_or(Admission::Check, |s| {
                Admission::Wait(Duration::from_secs(s))
            });
            assert_eq!(admitted, want, "after {failures} failures");
        }
        // The wait runs out; another address and another account are not held up by
        // this account, but this address is.
        assert_eq!(
            throttle.admit("wang", None, start + Duration::from_secs(11)),
            Admission::Check
        );
        assert_eq!(throttle.admit("li", None, start), Admission::Check);
        assert!(matches!(
            throttle.admit("li", Some(ip), start),
            Admission::Wait(_)
        ));
        throttle.succeeded("wang", Some(ip));
        assert_eq!(throttle.admit("wang", Some(ip), start), Admission::Check);
    }

    #[tokio::test]
    async fn password_checks_are_bounded_and_excess_is_turned_away() {
        let throttle = LoginThrottle::new(policy());
        let held = throttle.check_slot().await.unwrap();
        // One check runs; the queue of two fills, the third waiting is turned away.
        throttle.waiting.store(2, Ordering::SeqCst);
        assert!(matches!(
            throttle.check_slot().await,
            Err(ApiError::Unavailable(_))
        ));
        throttle.waiting.store(0, Ordering::SeqCst);
        drop(held);
        assert!(throttle.check_slot().await.is_ok());
    }
}
