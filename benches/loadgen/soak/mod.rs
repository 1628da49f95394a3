//! `apo-loadgen soak`: minutes of mixed load on a running deployment (one server, or replicas
//! behind a proxy), with each server process sampled every minute. Driven by benches/soak.sh,
//! which starts the servers, restarts one at half time and says why the rates are what they
//! are.
//!
//! All at once: reads (`GET` dashboard, members, key results, a primer) at a steady rate;
//! reports (`POST /api/v1/actuals`, one valid report each, sent by the editor of the report's
//! member with an `Idempotency-Key`, as the browser sends them) at one rate for the first half
//! and a multiple of it for the second; N live sockets with churn ([`viewers`]). Every minute
//! one line: the latencies of the reads and of the acknowledged writes that minute (from their
//! scheduled time), failures, what the sockets did, and per server its PID, VmRSS, VmHWM,
//! descriptors, connections, live sockets held and CPU used. The samples go to a CSV file; at the end, a summary and
//! the verdict ([`verdict`]): the exit status is 2 when memory or descriptors grew beyond the
//! rule, or requests failed outside the minutes of the restart.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use tokio_util::sync::CancellationToken;

use crate::http::Conn;
use load::{Bucket, Recorder};
use report::Minute;
use requests::KeyResult;
use sample::{Sample, Server};
use viewers::{Rng, Viewers};

mod load;
mod report;
mod requests;
mod sample;
mod verdict;
mod viewers;

/// Minutes of mixed load with samples of every server each minute; exits 2 when memory or
/// descriptors grow beyond the rule (see benches/soak.sh).
#[derive(Debug, Clone, clap::Args)]
pub struct Soak {
    /// Where the load goes: the proxy in front of the replicas, or the one server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, default_value_t = 30)]
    pub minutes: u32,
    /// The length of a "minute", in seconds (shorter only to try the soak itself out).
    #[arg(long, default_value_t = 60.0, hide = true)]
    pub minute_secs: f64,
    /// Live sockets held open.
    #[arg(long, default_value_t = 2000)]
    pub sockets: usize,
    /// Fraction of the sockets closed each minute; each comes back 1-10 s later and resumes.
    #[arg(long, default_value_t = 0.1)]
    pub churn: f64,
    #[arg(long, default_value_t = 20.0)]
    pub reads_per_second: f64,
    /// Reports per second in the first half.
    #[arg(long, default_value_t = 4.0)]
    pub writes_per_second: f64,
    /// The second half's rate of reports, as a multiple of the first's.
    #[arg(long, default_value_t = 10.0)]
    pub second_half_factor: f64,
    /// A server process to sample: NAME=PID_FILE=HOST:PORT (its own address, for /metrics);
    /// once per server. Its PID is read from the file at every sample.
    #[arg(long = "server", required = true)]
    pub servers: Vec<Server>,
    /// Where the samples are written.
    #[arg(long)]
    pub csv: PathBuf,
    /// The most VmRSS may grow from the early window to the last one, in percent...
    #[arg(long, default_value_t = 10.0)]
    pub rss_growth_pct: f64,
    /// ...plus this many KiB for each live socket held beyond the early window's.
    #[arg(long, default_value_t = 32)]
    pub socket_kib: u64,
    /// The most the descriptors besides connections may grow between the same windows.
    #[arg(long, default_value_t = 24)]
    pub fd_slack: u64,
    /// The most the connections besides live sockets may grow between the same windows.
    #[arg(long, default_value_t = 64)]
    pub conn_slack: u64,
    /// A Secretariat token: it makes the editors' and the viewers' tokens, and reads
    /// /metrics.
    #[arg(long, env = "APO_TOKEN", hide_env_values = true)]
    pub token: String,
}

pub async fn run(s: Soak) -> anyhow::Result<bool> {
    let host = s
        .url
        .strip_prefix("http://")
        .context("the URL must be http://HOST:PORT")?
        .trim_end_matches('/')
        .to_owned();
    ensure!(s.minutes >= 1, "--minutes is at least 1");
    ensure!((0.0..=1.0).contains(&s.churn), "--churn is a fraction");
    check_descriptors(s.sockets)?;
    let secretariat = format!("Authorization: Bearer {}\r\n", s.token);

    let mut api = Conn::new(&host);
    let krs: Vec<KeyResult> =
        requests::get_json(&mut api, "/api/v1/key_results", &secretariat).await?;
    ensure!(!krs.is_empty(), "no key results: is the demo data loaded?");
    let (viewer, editors) = requests::credentials(&mut api, &secretariat, &krs).await?;
    let reports = Arc::new(requests::reports(&krs, &editors));
    let members: Vec<String> = editors.keys().cloned().collect();

    let stop = CancellationToken::new();
    let opening = Instant::now();
    let viewers = Viewers::open(&host, viewer.clone().into(), s.sockets, stop.clone()).await?;
    println!(
        "# {} sockets open in {:.1} s; {} key results, {} editors; samples to {}",
        viewers.len(),
        opening.elapsed().as_secs_f64(),
        krs.len(),
        editors.len(),
        s.csv.display()
    );

    let minute = Duration::from_secs_f64(s.minute_secs);
    let own_cpu = sample::cpu_seconds(std::process::id());
    let start = Instant::now();
    let end = start + minute * s.minutes;
    let half = minute.mul_f64(f64::from(s.minutes) / 2.0);
    let (reads, writes) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let mut load = tokio::task::JoinSet::new();
    load.spawn(load::open_loop(
        host.clone(),
        8,
        start,
        end,
        {
            let r = s.reads_per_second;
            move |_| r
        },
        Arc::new(move |i| requests::read_request(i, &members, &viewer)),
        reads.clone(),
    ));
    let run_id = format!(
        "soak-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    load.spawn(load::open_loop(
        host.clone(),
        16,
        start,
        end,
        {
            let (w, f) = (s.writes_per_second, s.second_half_factor);
            move |t| if t < half { w } else { w * f }
        },
        Arc::new(move |i| requests::write_request(i, &reports, &run_id)),
        writes.clone(),
    ));

    let mut csv =
        std::fs::File::create(&s.csv).with_context(|| format!("creating {}", s.csv.display()))?;
    writeln!(csv, "{}", report::CSV_HEADER)?;
    let secretariat_metrics = secretariat.clone();
    let mut samples: Vec<Vec<(u32, Sample)>> = vec![Vec::new(); s.servers.len()];
    let mut minutes: Vec<(u32, Minute)> = Vec::new();
    let mut last = Totals::default();
    let churn_every = minute.div_f64((s.churn * s.sockets as f64).max(1.0));
    let mut clock = Clock {
        start,
        half,
        churn_every,
        next_churn: (s.churn > 0.0).then(|| start + churn_every),
        half_said: false,
        rng: Rng::new(21),
    };
    for m in 0..=s.minutes {
        clock
            .until(
                start + minute * m,
                &viewers,
                s.writes_per_second * s.second_half_factor,
            )
            .await;
        let now = Totals::read(&viewers.counts);
        let mut figures = now.minute(&last, reads.take(), writes.take());
        last = now;
        let rate = if m > 0 {
            rate_in(&s, half, minute, m)
        } else {
            0.0
        };
        let mut line = format!("min {m:>2} |");
        if m > 0 {
            line += &report::load_figures(&mut figures, rate);
        } else {
            line += " before the load |";
        }
        for (i, server) in s.servers.iter().enumerate() {
            let got = sample::sample(server, &secretariat_metrics).await;
            let before = samples[i].last().filter(|(at, _)| at + 1 == m);
            line +=
                &report::server_figures(&server.name, got.as_ref(), before.map(|(_, b)| b), minute);
            report::csv_row(&mut csv, m, rate, &server.name, got.as_ref(), &mut figures)?;
            if let Some(sample) = got {
                samples[i].push((m, sample));
            }
        }
        csv.flush()?;
        println!("{line}");
        minutes.push((m, figures));
    }
    if let (Some(a), Some(b)) = (own_cpu, sample::cpu_seconds(std::process::id())) {
        // It shares the machine with the servers: what it takes, they could not have.
        println!(
            "# the load generator used {:.0} % of a core",
            (b - a) / start.elapsed().as_secs_f64() * 100.0
        );
    }
    stop.cancel();
    while load.join_next().await.is_some() {}
    viewers.join().await;
    Ok(report::summary(&s, half, minute, &samples, &mut minutes))
}

/// What happens between the minutes: churn, spread over each minute, and the half-time mark.
struct Clock {
    start: Instant,
    half: Duration,
    churn_every: Duration,
    /// When the next socket closes (none without churn).
    next_churn: Option<Instant>,
    half_said: bool,
    rng: Rng,
}

impl Clock {
    /// Churns and marks half time, each when due, until `at`.
    async fn until(&mut self, at: Instant, viewers: &Viewers, high_rate: f64) {
        let half = self.start + self.half;
        loop {
            let churn_due = self.next_churn.filter(|&t| t < at);
            let half_due = (!self.half_said && half <= at).then_some(half);
            let Some(next) = [churn_due, half_due].into_iter().flatten().min() else {
                break;
            };
            tokio::time::sleep_until(next.into()).await;
            if half_due == Some(next) {
                // benches/soak.sh restarts a replica when it reads this line.
                println!("# half time: writes at {high_rate:.0}/s from now");
                self.half_said = true;
            } else {
                viewers.churn(self.rng.below(viewers.len()));
                self.next_churn = Some(next + self.churn_every);
            }
        }
        tokio::time::sleep_until(at.into()).await;
    }
}

/// The counters of the sockets at one moment.
#[derive(Default)]
struct Totals {
    open: i64,
    churned: u64,
    dropped: u64,
    resumed: u64,
    snapshots: u64,
    failed_connects: u64,
    gaps: u64,
    patches: u64,
}

impl Totals {
    /// A minute's figures: the requests done, and the sockets' counters since `last`.
    fn minute(&self, last: &Totals, reads: Bucket, writes: Bucket) -> Minute {
        Minute {
            reads,
            writes,
            open: self.open,
            churned: self.churned - last.churned,
            dropped: self.dropped - last.dropped,
            resumed: self.resumed - last.resumed,
            snapshots: self.snapshots - last.snapshots,
            failed_connects: self.failed_connects - last.failed_connects,
            gaps: self.gaps - last.gaps,
            patches: self.patches - last.patches,
        }
    }

    fn read(c: &viewers::Counts) -> Self {
        Self {
            open: c.open.load(Relaxed),
            churned: c.churned.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
            resumed: c.resumed.load(Relaxed),
            snapshots: c.snapshots.load(Relaxed),
            failed_connects: c.failed_connects.load(Relaxed),
            gaps: c.gaps.load(Relaxed),
            patches: c.patches.load(Relaxed),
        }
    }
}

/// The write rate over minute `m` (1-based): the mean, when half time falls inside it.
pub fn rate_in(s: &Soak, half: Duration, minute: Duration, m: u32) -> f64 {
    let (from, to) = (minute * (m - 1), minute * m);
    let high = s.writes_per_second * s.second_half_factor;
    if to <= half {
        s.writes_per_second
    } else if from >= half {
        high
    } else {
        let low_part = (half - from).as_secs_f64() / minute.as_secs_f64();
        s.writes_per_second * low_part + high * (1.0 - low_part)
    }
}

/// Whether minute `m` (1-based) overlaps the minute that follows half time, when a replica
/// restarts and its sockets come back: the restart's minutes.
pub fn restart_minute(half: Duration, minute: Duration, m: u32) -> bool {
    let (from, to) = (minute * (m - 1), minute * m);
    from < half + minute && to > half
}

/// Fails when the sockets and the connections would not fit in this process's descriptor
/// limit.
fn check_descriptors(sockets: usize) -> anyhow::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Ok(());
    }
    let need = sockets as u64 + 128;
    ensure!(
        limit.rlim_cur >= need,
        "{sockets} sockets need {need} descriptors; the limit is {} (ulimit -n)",
        limit.rlim_cur
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restarts_minutes_are_those_that_overlap_the_minute_after_half_time() {
        let minute = Duration::from_secs(60);
        let half = minute * 15;
        let at: Vec<u32> = (1..=30)
            .filter(|&m| restart_minute(half, minute, m))
            .collect();
        assert_eq!(at, vec![16]);
        let half = minute.mul_f64(1.5);
        let at: Vec<u32> = (1..=3)
            .filter(|&m| restart_minute(half, minute, m))
            .collect();
        assert_eq!(at, vec![2, 3]);
    }
}
