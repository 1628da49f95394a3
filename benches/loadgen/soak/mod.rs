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
//! descriptors and live sockets held. The samples go to a CSV file; at the end, a summary and
//! the verdict ([`verdict`]): the exit status is 2 when memory or descriptors grew beyond the
//! rule, or requests failed outside the minutes of the restart.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::http::Conn;
use load::{Bucket, Recorder, Request};
use sample::{Sample, Server};
use verdict::Rule;
use viewers::{Rng, Viewers};

mod load;
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
    /// The most VmRSS may grow from the early window to the last one, in percent.
    #[arg(long, default_value_t = 10.0)]
    pub rss_growth_pct: f64,
    /// The most the descriptors besides live sockets may grow between the same windows.
    #[arg(long, default_value_t = 32)]
    pub fd_slack: u64,
    /// A Secretariat token: it makes the editors' and the viewers' tokens, and reads
    /// /metrics.
    #[arg(long, env = "APO_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// A key result as `GET /api/v1/key_results` lists it (the fields a report needs).
#[derive(Deserialize)]
struct KeyResult {
    iso3: String,
    code: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

/// One minute's figures of the load (the servers' are sampled beside them).
struct Minute {
    reads: Bucket,
    writes: Bucket,
    /// Counters of the sockets, as differences from the previous minute (`open`: now).
    open: i64,
    churned: u64,
    dropped: u64,
    resumed: u64,
    snapshots: u64,
    failed_connects: u64,
    gaps: u64,
    patches: u64,
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
    let krs: Vec<KeyResult> = get_json(&mut api, "/api/v1/key_results", &secretariat).await?;
    ensure!(!krs.is_empty(), "no key results: is the demo data loaded?");
    let viewer = format!(
        "Authorization: Bearer {}\r\n",
        new_token(&mut api, &secretariat, "viewer", None).await?
    );
    let mut editors = std::collections::BTreeMap::new();
    for kr in &krs {
        if !editors.contains_key(&kr.iso3) {
            let token = new_token(&mut api, &secretariat, "editor", Some(&kr.iso3)).await?;
            editors.insert(
                kr.iso3.clone(),
                format!("Authorization: Bearer {token}\r\n"),
            );
        }
    }
    let reports = Arc::new(reports(&krs, &editors));
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
        Arc::new(move |i| read_request(i, &members, &viewer)),
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
        Arc::new(move |i| write_request(i, &reports, &run_id)),
        writes.clone(),
    ));

    let mut csv =
        std::fs::File::create(&s.csv).with_context(|| format!("creating {}", s.csv.display()))?;
    writeln!(csv, "{}", CSV_HEADER)?;
    let secretariat_metrics = secretariat.clone();
    let mut samples: Vec<Vec<(u32, Sample)>> = vec![Vec::new(); s.servers.len()];
    let mut minutes: Vec<(u32, Minute)> = Vec::new();
    let mut last = Totals::default();
    let mut rng = Rng::new(21);
    let churn_every = minute.div_f64((s.churn * s.sockets as f64).max(1.0));
    let mut next_churn = start + churn_every;
    let mut half_said = false;
    for m in 0..=s.minutes {
        let at = start + minute * m;
        // Until the minute is up: churn, spread over the minute, and the half-time mark.
        loop {
            let churn_due = (s.churn > 0.0 && next_churn < at).then_some(next_churn);
            let half_due = (!half_said && start + half <= at).then_some(start + half);
            let next = match (churn_due, half_due) {
                (Some(c), Some(h)) => c.min(h),
                (c, h) => match c.or(h) {
                    Some(t) => t,
                    None => break,
                },
            };
            tokio::time::sleep_until(next.into()).await;
            if half_due == Some(next) {
                // benches/soak.sh restarts a replica when it reads this line.
                println!(
                    "# half time: writes at {:.0}/s from now",
                    s.writes_per_second * s.second_half_factor
                );
                half_said = true;
            } else {
                viewers.churn(rng.below(viewers.len()));
                next_churn += churn_every;
            }
        }
        tokio::time::sleep_until(at.into()).await;
        let now = Totals::read(&viewers.counts);
        let mut figures = Minute {
            reads: reads.take(),
            writes: writes.take(),
            open: now.open,
            churned: now.churned - last.churned,
            dropped: now.dropped - last.dropped,
            resumed: now.resumed - last.resumed,
            snapshots: now.snapshots - last.snapshots,
            failed_connects: now.failed_connects - last.failed_connects,
            gaps: now.gaps - last.gaps,
            patches: now.patches - last.patches,
        };
        last = now;
        let rate = if m > 0 {
            rate_in(&s, half, minute, m)
        } else {
            0.0
        };
        let mut line = format!("min {m:>2} |");
        if m > 0 {
            line += &load_figures(&mut figures, rate);
        } else {
            line += " before the load |";
        }
        for (i, server) in s.servers.iter().enumerate() {
            let got = sample::sample(server, &secretariat_metrics).await;
            line += &server_figures(&server.name, got.as_ref());
            csv_row(&mut csv, m, rate, &server.name, got.as_ref(), &mut figures)?;
            if let Some(sample) = got {
                samples[i].push((m, sample));
            }
        }
        csv.flush()?;
        println!("{line}");
        minutes.push((m, figures));
    }
    stop.cancel();
    while load.join_next().await.is_some() {}
    viewers.join().await;
    Ok(summary(&s, half, minute, &samples, &mut minutes))
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
fn rate_in(s: &Soak, half: Duration, minute: Duration, m: u32) -> f64 {
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
fn restart_minute(half: Duration, minute: Duration, m: u32) -> bool {
    let (from, to) = (minute * (m - 1), minute * m);
    from < half + minute && to > half
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn load_figures(f: &mut Minute, rate: f64) -> String {
    let (w50, w99) = (f.writes.quantile(0.5), f.writes.quantile(0.99));
    let (r50, r99) = (f.reads.quantile(0.5), f.reads.quantile(0.99));
    let mut s = format!(
        " writes {rate:.0}/s: {} p50 {} p99 {} ms, {} failed | reads {} p50 {} p99 {} ms, {} failed \
         | sockets {} open, {} churned, {} dropped, back {} resumed {} snapshot, {} refused, {} gaps |",
        f.writes.ms.len(),
        ms(w50),
        ms(w99),
        f.writes.failed,
        f.reads.ms.len(),
        ms(r50),
        ms(r99),
        f.reads.failed,
        f.open,
        f.churned,
        f.dropped,
        f.resumed,
        f.snapshots,
        f.failed_connects,
        f.gaps,
    );
    for (what, b) in [("write", &f.writes), ("read", &f.reads)] {
        if let Some(why) = &b.first_failure {
            let _ = write!(s, " first failed {what}: {why} |");
        }
    }
    s
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn server_figures(name: &str, s: Option<&Sample>) -> String {
    match s {
        None => format!(" {name} not running |"),
        Some(s) => format!(
            " {name} pid {} rss {:.1} hwm {:.1} MB fds {} live {} |",
            s.pid,
            mb(s.rss_kib),
            mb(s.hwm_kib),
            s.fds,
            s.live.map_or("?".into(), |l| l.to_string())
        ),
    }
}

const CSV_HEADER: &str = "minute,server,pid,vmrss_kib,vmhwm_kib,fds,socket_fds,live_sockets,\
    write_rate,writes,write_p50_ms,write_p99_ms,write_max_ms,writes_failed,\
    reads,read_p50_ms,read_p99_ms,read_max_ms,reads_failed,\
    sockets_open,churned,dropped,resumed,snapshots,refused,gaps,patches";

fn csv_row(
    out: &mut std::fs::File,
    m: u32,
    rate: f64,
    server: &str,
    s: Option<&Sample>,
    f: &mut Minute,
) -> std::io::Result<()> {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let proc = s.map_or(",,,,,,".into(), |s| {
        format!(
            "{},{},{},{},{},{}",
            s.pid,
            s.rss_kib,
            s.hwm_kib,
            s.fds,
            s.socket_fds,
            s.live.map_or(String::new(), |l| l.to_string())
        )
    });
    let (w50, w99, wmax) = (
        f.writes.quantile(0.5),
        f.writes.quantile(0.99),
        f.writes.quantile(1.0),
    );
    let (r50, r99, rmax) = (
        f.reads.quantile(0.5),
        f.reads.quantile(0.99),
        f.reads.quantile(1.0),
    );
    writeln!(
        out,
        "{m},{server},{proc},{rate},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        f.writes.ms.len(),
        opt(w50),
        opt(w99),
        opt(wmax),
        f.writes.failed,
        f.reads.ms.len(),
        opt(r50),
        opt(r99),
        opt(rmax),
        f.reads.failed,
        f.open,
        f.churned,
        f.dropped,
        f.resumed,
        f.snapshots,
        f.failed_connects,
        f.gaps,
        f.patches,
    )
}

/// Prints the summary and the verdict; true when bounded and nothing failed outside the
/// restart's minutes.
fn summary(
    s: &Soak,
    half: Duration,
    minute: Duration,
    samples: &[Vec<(u32, Sample)>],
    minutes: &mut [(u32, Minute)],
) -> bool {
    let rule = Rule {
        rss_growth_pct: s.rss_growth_pct,
        fd_slack: s.fd_slack,
    };
    let w = verdict::windows(s.minutes);
    println!(
        "# summary: {} minutes, {} sockets ({:.0} % churn a minute), reads {}/s, writes {}/s then {}/s; samples in {}",
        s.minutes,
        s.sockets,
        s.churn * 100.0,
        s.reads_per_second,
        s.writes_per_second,
        s.writes_per_second * s.second_half_factor,
        s.csv.display()
    );
    let mut ok = true;
    for (server, points) in s.servers.iter().zip(samples) {
        let name = &server.name;
        let mut pids: Vec<u32> = points.iter().map(|(_, p)| p.pid).collect();
        pids.dedup();
        let first = points.iter().find(|(m, _)| *m >= 1);
        if let (Some((m0, a)), Some((m1, b))) = (first, points.last()) {
            println!(
                "#   {name}: minute {m0} -> {m1}: RSS {:.1} -> {:.1} MB ({:+.1} %), VmHWM {:.1} -> {:.1} MB, \
                 descriptors {} -> {}, live sockets {} -> {}, others {} -> {}; pids {}",
                mb(a.rss_kib),
                mb(b.rss_kib),
                (b.rss_kib as f64 / a.rss_kib.max(1) as f64 - 1.0) * 100.0,
                mb(a.hwm_kib),
                mb(b.hwm_kib),
                a.fds,
                b.fds,
                a.live.map_or("?".into(), |l| l.to_string()),
                b.live.map_or("?".into(), |l| l.to_string()),
                a.other_fds(),
                b.other_fds(),
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" then ")
            );
        }
        match verdict::judge(points, s.minutes, rule) {
            Ok(j) => {
                let word = |b: bool| if b { "bounded" } else { "GROWS" };
                println!(
                    "#   {name}: highest RSS minutes {}-{} {:.1} MB, minutes {}-{} {:.1} MB: {:+.1} % \
                     (limit {} %): {}; descriptors besides live sockets {} -> {} (limit +{}): {}{}",
                    w.early.start(),
                    w.early.end(),
                    mb(j.rss_early_kib),
                    w.late.start(),
                    w.late.end(),
                    mb(j.rss_late_kib),
                    j.rss_growth_pct,
                    rule.rss_growth_pct,
                    word(j.rss_ok),
                    j.other_fds_early,
                    j.other_fds_late,
                    rule.fd_slack,
                    word(j.fds_ok),
                    if j.live_known {
                        ""
                    } else {
                        " (live sockets unknown: all descriptors judged)"
                    }
                );
                ok &= j.bounded();
            }
            Err(e) => {
                println!("#   {name}: not judged: {e}");
                ok = false;
            }
        }
    }
    let mut worst = |pick: fn(&mut Minute) -> &mut Bucket| {
        minutes
            .iter_mut()
            .filter(|(m, _)| *m > 0)
            .filter_map(|(m, f)| pick(f).quantile(0.99).map(|p| (p, *m)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let (ww, wr) = (worst(|f| &mut f.writes), worst(|f| &mut f.reads));
    let show =
        |w: Option<(f64, u32)>| w.map_or("-".into(), |(p, m)| format!("{p:.1} ms (minute {m})"));
    println!("#   worst p99: writes {}, reads {}", show(ww), show(wr));
    let (mut failed, mut failed_at_restart) = (0u64, 0u64);
    let (mut done_w, mut done_r, mut gaps) = (0usize, 0usize, 0u64);
    for (m, f) in minutes.iter().filter(|(m, _)| *m > 0) {
        let n = f.writes.failed + f.reads.failed;
        if restart_minute(half, minute, *m) {
            failed_at_restart += n;
        } else {
            failed += n;
        }
        done_w += f.writes.ms.len();
        done_r += f.reads.ms.len();
        gaps += f.gaps;
    }
    println!(
        "#   done: {done_w} writes and {done_r} reads; failed: {failed} outside the restart's minutes, \
         {failed_at_restart} in them; patches that did not start at the client's revision: {gaps}"
    );
    ok &= failed == 0;
    println!(
        "# verdict: {}",
        if ok {
            "memory and descriptors stay bounded"
        } else {
            "NOT BOUNDED or requests failed (see above)"
        }
    );
    ok
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

async fn get_json<T: serde::de::DeserializeOwned>(
    api: &mut Conn,
    path: &str,
    auth: &str,
) -> anyhow::Result<T> {
    let a = api.request("GET", path, auth, b"").await?;
    ensure!(
        a.status == 200,
        "GET {path}: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    serde_json::from_slice(&a.body).with_context(|| format!("reading GET {path}"))
}

/// A new token of `role` (for `member`, an editor's), made through the API.
async fn new_token(
    api: &mut Conn,
    auth: &str,
    role: &str,
    member: Option<&str>,
) -> anyhow::Result<String> {
    let body = serde_json::json!({
        "role": role,
        "member": member,
        "label": format!("soak {}", member.unwrap_or(role)),
    });
    let a = api
        .request("POST", "/api/v1/tokens", auth, body.to_string().as_bytes())
        .await?;
    ensure!(
        a.status == 201,
        "POST /api/v1/tokens: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    let v: serde_json::Value = serde_json::from_slice(&a.body)?;
    Ok(v["token"]
        .as_str()
        .context("no token in the answer")?
        .to_owned())
}

/// Valid reports as benches/ingest/bodies.py makes them: each key result, each year of the
/// cycle, values inside its range; shuffled, each with its member editor's header.
fn reports(
    krs: &[KeyResult],
    editors: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(21);
    let mut out = Vec::new();
    for kr in krs {
        let lo = kr.min_value.unwrap_or(0.0);
        let hi = kr.max_value.unwrap_or(lo + 100.0);
        for year in 2026..=2028 {
            for _ in 0..8 {
                let value = ((lo + (hi - lo) * rng.unit()) * 1000.0).round() / 1000.0;
                let body = serde_json::json!({
                    "iso3": kr.iso3, "kr_code": kr.code, "year": year, "value": value,
                });
                out.push((editors[&kr.iso3].clone(), body.to_string().into_bytes()));
            }
        }
    }
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    out
}

fn write_request(i: usize, reports: &[(String, Vec<u8>)], run: &str) -> Request {
    let (auth, body) = &reports[i % reports.len()];
    Request {
        method: "POST",
        path: "/api/v1/actuals".into(),
        headers: format!("{auth}Idempotency-Key: {run}-{i}\r\n"),
        body: body.clone(),
        expect: 201,
    }
}

/// The reads in turn: what a browser loads as it opens the wall, a member's page, the key
/// results and a primer.
fn read_request(i: usize, members: &[String], auth: &str) -> Request {
    let path = match i % 4 {
        0 => "/api/v1/dashboard".to_owned(),
        1 => "/api/v1/members".to_owned(),
        2 => "/api/v1/key_results".to_owned(),
        _ => format!("/api/v1/primers/{}", members[(i / 4) % members.len()]),
    };
    Request {
        method: "GET",
        path,
        headers: auth.to_owned(),
        body: Vec::new(),
        expect: 200,
    }
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
