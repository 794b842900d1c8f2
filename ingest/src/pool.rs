//! The server's side of the workers: long-lived `certwatch worker` processes, a lane of
//! slots for cheap jobs (pages) and one for expensive ones (documents, OCR, spreadsheets)
//! so OCR never starves monitoring, each shared fairly between tenants. Every worker runs
//! under an address-space limit, at a lower CPU priority, in its own process group; each
//! job has a CPU limit (set by the worker) and a wall-clock deadline (kept here: past it
//! the whole process group is killed). A worker that ends mid-job is replaced by a fresh
//! one for the next job, and the job's outcome says which limit it ran into.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::Instant;
use uuid::Uuid;

use crate::fair::{FairPermit, FairSlots};
use crate::limits::Limits;
use crate::protocol::{self, Job, Reply, Request};

/// How the pool runs its workers.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The `certwatch` binary (run as `certwatch worker`).
    pub program: PathBuf,
    /// Address space of one worker and the programs it starts.
    pub memory_bytes: u64,
    /// Longest one job may take, waiting for its programs included.
    pub timeout: Duration,
    /// Expensive jobs at once (documents, OCR, spreadsheets).
    pub document_jobs: usize,
    /// Cheap jobs at once (pages).
    pub page_jobs: usize,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lane {
    Pages,
    Documents,
}

/// Why a job has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    #[error("needed more than {0} MiB of memory")]
    Memory(u64),
    #[error("needed more than {0} s of CPU time")]
    Cpu(u64),
    #[error("took longer than {0} s")]
    Time(u64),
    /// The reader died for no reason a limit explains (a crash); trying again in a fresh
    /// worker may help once.
    #[error("crashed the reader ({0})")]
    Crashed(String),
    /// No worker could be started.
    #[error("could not be read: no worker process could start ({0})")]
    Unavailable(String),
}

impl JobError {
    /// Why jobs are refused, as counted by [`Pool::refused`].
    pub const KINDS: [&'static str; 5] = ["memory", "cpu", "time", "crashed", "unavailable"];

    fn kind_index(&self) -> usize {
        match self {
            JobError::Memory(_) => 0,
            JobError::Cpu(_) => 1,
            JobError::Time(_) => 2,
            JobError::Crashed(_) => 3,
            JobError::Unavailable(_) => 4,
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The end of what the worker wrote to stderr (a Rust OOM abort says so there).
    stderr: Arc<Mutex<String>>,
    stderr_done: tokio::task::JoinHandle<()>,
}

struct LaneState {
    slots: Arc<FairSlots>,
    idle: Mutex<Vec<Worker>>,
}

pub struct Pool {
    config: PoolConfig,
    pages: LaneState,
    documents: LaneState,
    /// Jobs running now, per lane (pages, documents), for health.
    running: [std::sync::atomic::AtomicUsize; 2],
    /// Jobs refused so far, per [`JobError::KINDS`].
    refused: [std::sync::atomic::AtomicU64; 5],
}

/// A job under way: its replies come with [`Running::next`]. Dropped before its last
/// reply, the worker is killed (it is mid-job and cannot be reused).
pub struct Running<'a> {
    pool: &'a Pool,
    lane: Lane,
    worker: Option<Worker>,
    deadline: Instant,
    _permit: FairPermit,
    done: bool,
}

const STDERR_KEPT: usize = 4096;

impl Pool {
    pub fn new(config: PoolConfig) -> Pool {
        let lane = |n| LaneState {
            slots: FairSlots::new(n),
            idle: Mutex::new(Vec::new()),
        };
        Pool {
            pages: lane(config.page_jobs),
            documents: lane(config.document_jobs),
            config,
            running: Default::default(),
            refused: Default::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    fn lane(&self, lane: Lane) -> &LaneState {
        match lane {
            Lane::Pages => &self.pages,
            Lane::Documents => &self.documents,
        }
    }

    /// Jobs running now in a lane.
    pub fn running(&self, lane: Lane) -> usize {
        self.running[lane as usize].load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Jobs refused since start, by why (each of [`JobError::KINDS`]).
    pub fn refused(&self) -> [(&'static str, u64); 5] {
        std::array::from_fn(|i| {
            (
                JobError::KINDS[i],
                self.refused[i].load(std::sync::atomic::Ordering::Relaxed),
            )
        })
    }

    fn count(&self, e: JobError) -> JobError {
        self.refused[e.kind_index()].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        e
    }

    /// Runs a job that has one reply.
    pub async fn run(&self, tenant: Uuid, lane: Lane, job: Job) -> Result<Reply, JobError> {
        let mut running = self.start(tenant, lane, job).await?;
        running.next().await
    }

    /// Starts a job once `tenant` has its turn in `lane`.
    pub async fn start(&self, tenant: Uuid, lane: Lane, job: Job) -> Result<Running<'_>, JobError> {
        let permit = self.lane(lane).slots.acquire(tenant).await;
        let idle = self
            .lane(lane)
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let mut worker = match idle {
            Some(w) => w,
            None => self
                .spawn()
                .map_err(|e| self.count(JobError::Unavailable(e.to_string())))?,
        };
        self.running[lane as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut running = Running {
            pool: self,
            lane,
            worker: None,
            deadline: Instant::now() + self.config.timeout,
            _permit: permit,
            done: false,
        };
        let request = Request {
            limits: self.config.limits.clone(),
            job,
        };
        let mut frame = Vec::new();
        protocol::write_frame(&mut frame, &request)
            .map_err(|e| JobError::Unavailable(e.to_string()))?;
        let sent = tokio::time::timeout_at(running.deadline, worker.stdin.write_all(&frame)).await;
        running.worker = Some(worker);
        match sent {
            Ok(Ok(())) => Ok(running),
            // A worker that died while idle (or cannot take the job) is replaced once.
            Ok(Err(_)) | Err(_) => Err(self.count(running.fail().await)),
        }
    }

    fn spawn(&self) -> std::io::Result<Worker> {
        let mut command = Command::new(&self.config.program);
        command
            .arg("worker")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let memory = self.config.memory_bytes;
        // SAFETY: only async-signal-safe calls (setrlimit, setpriority, prctl) run between
        // fork and exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: memory,
                    rlim_max: memory,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // Parsing yields to the server: API answers stay fast while every core
                // parses.
                libc::setpriority(libc::PRIO_PROCESS, 0, 10);
                // A worker dies with the server, so no job outlives a crash or a kill -9.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut err = child.stderr.take().expect("piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        let kept = stderr.clone();
        let stderr_done = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]);
                tracing::debug!(worker = %text.trim_end(), "worker stderr");
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                kept.push_str(&text);
                if kept.len() > STDERR_KEPT {
                    let mut cut = kept.len() - STDERR_KEPT;
                    while !kept.is_char_boundary(cut) {
                        cut += 1;
                    }
                    kept.drain(..cut);
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            stdout,
            stderr,
            stderr_done,
        })
    }
}

impl Running<'_> {
    /// The job's next reply. After the last one the worker goes back to its lane.
    pub async fn next(&mut self) -> Result<Reply, JobError> {
        let worker = self.worker.as_mut().expect("a running job has its worker");
        let read = tokio::time::timeout_at(self.deadline, read_reply(&mut worker.stdout)).await;
        match read {
            Ok(Ok(reply)) => {
                if reply.is_last() {
                    self.done = true;
                    let worker = self.worker.take().expect("checked above");
                    let lane = self.pool.lane(self.lane);
                    lane.idle
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(worker);
                }
                Ok(reply)
            }
            Err(_) => {
                self.kill().await;
                Err(self
                    .pool
                    .count(JobError::Time(self.pool.config.timeout.as_secs())))
            }
            Ok(Err(_)) => Err(self.pool.count(self.fail().await)),
        }
    }

    async fn kill(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            if let Some(pid) = worker.child.id() {
                // SAFETY: killpg only sends a signal; the group is the worker's own.
                unsafe {
                    libc::killpg(pid as libc::pid_t, libc::SIGKILL);
                }
            }
            let _ = worker.child.wait().await;
        }
        self.done = true;
    }

    /// The worker stopped answering: why, from how it ended.
    async fn fail(&mut self) -> JobError {
        let Some(mut worker) = self.worker.take() else {
            return JobError::Crashed("no worker".into());
        };
        self.done = true;
        let status = tokio::time::timeout(Duration::from_secs(5), worker.child.wait()).await;
        if let Some(pid) = worker.child.id() {
            // SAFETY: as in `kill`; what is left of the group goes too.
            unsafe {
                libc::killpg(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut worker.stderr_done).await;
        let stderr = worker
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let signal = match status {
            Ok(Ok(status)) => std::os::unix::process::ExitStatusExt::signal(&status),
            _ => None,
        };
        classify(signal, &stderr, &self.pool.config)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.pool.running[self.lane as usize].fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if !self.done
            && let Some(worker) = self.worker.take()
            && let Some(pid) = worker.child.id()
        {
            // Abandoned mid-job: the worker is in the middle of something nobody waits for.
            // SAFETY: as in `kill`.
            unsafe {
                libc::killpg(pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }
}

async fn read_reply(stdout: &mut BufReader<ChildStdout>) -> std::io::Result<Reply> {
    let mut header = [0u8; 4];
    stdout.read_exact(&mut header).await?;
    let mut body = vec![0u8; protocol::frame_len(header)?];
    stdout.read_exact(&mut body).await?;
    protocol::decode(&body)
}

/// Which limit a worker that ended mid-job ran into, from its signal and last words.
fn classify(signal: Option<i32>, stderr: &str, config: &PoolConfig) -> JobError {
    if signal == Some(libc::SIGXCPU) {
        return JobError::Cpu(config.limits.cpu_seconds);
    }
    // Rust aborts with "memory allocation of N bytes failed"; a reservation past what can
    // be addressed panics with "capacity overflow".
    if stderr.contains("memory allocation of") || stderr.contains("capacity overflow") {
        return JobError::Memory(config.memory_bytes >> 20);
    }
    let how = match signal {
        Some(s) => format!("signal {s}"),
        None => "it exited".into(),
    };
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    JobError::Crashed(format!(
        "{how}{}{last}",
        if last.is_empty() { "" } else { ": " }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PoolConfig {
        PoolConfig {
            program: "certwatch".into(),
            memory_bytes: 256 << 20,
            timeout: Duration::from_secs(30),
            document_jobs: 1,
            page_jobs: 1,
            limits: Limits {
                cpu_seconds: 5,
                ..Limits::default()
            },
        }
    }

    #[test]
    fn deaths_are_told_apart_by_signal_and_last_words() {
        let c = config();
        assert_eq!(classify(Some(libc::SIGXCPU), "", &c), JobError::Cpu(5));
        assert_eq!(
            classify(
                Some(libc::SIGABRT),
                "memory allocation of 4294967296 bytes failed\n",
                &c
            ),
            JobError::Memory(256)
        );
        assert_eq!(
            classify(None, "thread 'main' panicked: capacity overflow", &c),
            JobError::Memory(256)
        );
        assert_eq!(
            classify(Some(libc::SIGSEGV), "", &c),
            JobError::Crashed("signal 11".into())
        );
        assert_eq!(
            JobError::Memory(1024).to_string(),
            "needed more than 1024 MiB of memory"
        );
    }
}
