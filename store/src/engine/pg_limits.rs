//! Rate-limit budgets in PostgreSQL, shared by every node on the database: a client
//! spreading its requests over the nodes still has one budget.
//!
//! The rule is the one `governor` keeps in memory on sled (GCRA): a key of `n` per minute
//! may take `n` at once, then one every `60/n` s. Its whole state is the theoretical arrival
//! time (`tat`) of the next request; one statement moves it forward if the request fits.
//! The table is UNLOGGED: a budget need not survive the database's crash (it starts full),
//! and taking one costs no WAL flush. The table is made with the store's schema (`pg_kv`).

use crate::engine::error::StoreError;
use crate::engine::pg_kv::{PgKv, storage};

/// What a key has left after a request, or how long until it may send the next.
#[derive(Debug, Clone, PartialEq)]
pub enum Budget {
    Remaining(u32),
    Exhausted { retry_after_secs: u64 },
}

/// Takes one request from the key's budget if it fits; answers the slack left in seconds.
const TAKE: &str = "INSERT INTO rate_limits AS r (key, tat)
    VALUES ($1, now() + make_interval(secs => $2))
    ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, now()) + make_interval(secs => $2)
    WHERE GREATEST(r.tat, now()) + make_interval(secs => $2) <= now() + interval '60 seconds'
    RETURNING EXTRACT(EPOCH FROM now() + interval '60 seconds' - tat)::float8";

/// How long until the key's next request fits, in seconds.
const WAIT: &str = "SELECT EXTRACT(EPOCH FROM
        GREATEST(tat, now()) + make_interval(secs => $2) - now() - interval '60 seconds')::float8
    FROM rate_limits WHERE key = $1";

/// Budgets whose time has passed are full: their rows say nothing a missing row does not.
const FORGET_FULL: &str = "DELETE FROM rate_limits WHERE tat < now()";

impl PgKv {
    /// Counts one request of `key` against a budget of `per_minute`.
    pub fn take_budget(&self, key: &str, per_minute: u32) -> Result<Budget, StoreError> {
        let key = key.to_string();
        let interval = spacing(per_minute);
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            if let Some(row) = client
                .query_opt(TAKE, &[&key, &interval])
                .await
                .map_err(storage)?
            {
                return Ok(Budget::Remaining(remaining(row.get(0), interval)));
            }
            let wait: f64 = client
                .query_opt(WAIT, &[&key, &interval])
                .await
                .map_err(storage)?
                .map_or(0.0, |row| row.get(0));
            Ok(Budget::Exhausted {
                retry_after_secs: retry_after(wait),
            })
        })
    }

    /// Removes the rows of budgets that are full again, so the table holds only the
    /// clients of the last minute.
    pub fn forget_full_budgets(&self) -> Result<u64, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(storage)?;
            client.execute(FORGET_FULL, &[]).await.map_err(storage)
        })
    }
}

/// Seconds between requests once a budget of `per_minute` is spent.
fn spacing(per_minute: u32) -> f64 {
    60.0 / f64::from(per_minute.max(1))
}

/// Whole requests that fit in `slack` seconds (a hair of float error forgiven).
fn remaining(slack: f64, spacing: f64) -> u32 {
    (slack / spacing + 1e-6).floor().max(0.0) as u32
}

/// The wait rounded up to whole seconds, at least one (a refusal that says "retry in 0 s"
/// would invite a busy loop).
fn retry_after(wait: f64) -> u64 {
    (wait.ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_of_three_counts_down_like_governor() {
        let t = spacing(3);
        assert_eq!(t, 20.0);
        // After the first, second and third request of a minute.
        assert_eq!(remaining(60.0 - t, t), 2);
        assert_eq!(remaining(60.0 - 2.0 * t, t), 1);
        assert_eq!(remaining(60.0 - 3.0 * t, t), 0);
        // Float error just under a whole request still counts it.
        assert_eq!(remaining(39.999_999_9, t), 2);
        assert_eq!(remaining(-0.5, t), 0);
    }

    #[test]
    fn waits_round_up_to_a_whole_second() {
        assert_eq!(retry_after(19.2), 20);
        assert_eq!(retry_after(0.0), 1);
        assert_eq!(retry_after(-3.0), 1);
        assert_eq!(spacing(0), 60.0);
    }
}
