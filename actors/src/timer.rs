//! Timers that keep their time when the runtime is busy.
//!
//! ractor's `send_after` starts its sleep inside the task it spawns, so a timer set while
//! the runtime is backlogged (thousands of actors starting after a restart) fires late by
//! as long as its task waited to run. These fix the deadline when the timer is set.

use std::time::Duration;

use ractor::{ActorRef, Message, MessagingErr};
use tokio::task::JoinHandle;

/// Casts `msg` to `actor` once `wait` from now has passed; abort the handle to cancel.
pub(crate) fn cast_after<M: Message>(
    actor: &ActorRef<M>,
    wait: Duration,
    msg: M,
) -> JoinHandle<Result<(), MessagingErr<M>>> {
    let deadline = tokio::time::Instant::now() + wait;
    let actor = actor.clone();
    tokio::spawn(async move {
        tokio::time::sleep_until(deadline).await;
        actor.cast(msg)
    })
}

#[cfg(test)]
mod tests {
    use ractor::{Actor, ActorProcessingErr};
    use tokio::sync::mpsc;

    use super::*;

    struct Forward;

    impl Actor for Forward {
        type Msg = u32;
        type State = mpsc::UnboundedSender<u32>;
        type Arguments = mpsc::UnboundedSender<u32>;

        async fn pre_start(
            &self,
            _myself: ActorRef<u32>,
            out: Self::Arguments,
        ) -> Result<Self::State, ActorProcessingErr> {
            Ok(out)
        }

        async fn handle(
            &self,
            _myself: ActorRef<u32>,
            msg: u32,
            out: &mut Self::State,
        ) -> Result<(), ActorProcessingErr> {
            let _ = out.send(msg);
            Ok(())
        }
    }

    /// The clock moves on before the timer's task first runs (as on a busy runtime): the
    /// message still comes at the deadline set, not that long after it. Paused time: the
    /// clock only moves when told to or when every task waits on a timer.
    #[tokio::test(start_paused = true)]
    async fn a_timer_keeps_its_deadline_when_its_task_starts_late() {
        let (out, mut received) = mpsc::unbounded_channel();
        let (actor, _) = Actor::spawn(None, Forward, out).await.unwrap();
        let start = tokio::time::Instant::now();
        let _timer = cast_after(&actor, Duration::from_secs(10), 7);
        // The clock moves 8 s before the timer's task is first polled.
        tokio::time::advance(Duration::from_secs(8)).await;
        assert_eq!(received.recv().await, Some(7));
        assert_eq!(
            start.elapsed().as_secs(),
            10,
            "due 10 s after it was set, not 10 s after its task began"
        );
        actor.stop(None);
    }
}
