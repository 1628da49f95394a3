//! What the soak says: one line a minute, a row per server per minute in the CSV file, and
//! the summary with the verdict at the end.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use super::load::Bucket;
use super::sample::Sample;
use super::verdict::{self, Rule};
use super::{Soak, restart_minute};

/// One minute's figures of the load (the servers' are sampled beside them).
pub struct Minute {
    pub reads: Bucket,
    pub writes: Bucket,
    /// Counters of the sockets, as differences from the previous minute (`open`: now).
    pub open: i64,
    pub churned: u64,
    pub dropped: u64,
    pub resumed: u64,
    pub snapshots: u64,
    pub failed_connects: u64,
    pub gaps: u64,
    pub patches: u64,
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

pub fn load_figures(f: &mut Minute, rate: f64) -> String {
    let (w50, w99) = (f.writes.quantile(0.5), f.writes.quantile(0.99));
    let (r50, r99) = (f.reads.quantile(0.5), f.reads.quantile(0.99));
    let mut s = format!(
        " writes {rate:.0}/s: {} p50 {} p99 {} ms, {} sent again, {} failed | reads {} p50 {} p99 {} ms, {} failed \
         | sockets {} open, {} churned, {} dropped, back {} resumed {} snapshot, {} refused, {} gaps |",
        f.writes.ms.len(),
        ms(w50),
        ms(w99),
        f.writes.retried,
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

/// A server's figures; `before`, its sample a minute earlier, gives the share of a core it
/// used since (when it is the same process).
pub fn server_figures(
    name: &str,
    s: Option<&Sample>,
    before: Option<&Sample>,
    minute: Duration,
) -> String {
    match s {
        None => format!(" {name} not running |"),
        Some(s) => format!(
            " {name} pid {} rss {:.1} hwm {:.1} MB fds {} conns {} live {} cpu {} |",
            s.pid,
            mb(s.rss_kib),
            mb(s.hwm_kib),
            s.fds,
            s.connections.map_or("?".into(), |l| l.to_string()),
            s.live.map_or("?".into(), |l| l.to_string()),
            before
                .filter(|b| b.pid == s.pid)
                .map_or("-".into(), |b| format!(
                    "{:.0} %",
                    (s.cpu_s - b.cpu_s) / minute.as_secs_f64() * 100.0
                ))
        ),
    }
}

pub const CSV_HEADER: &str = "minute,server,pid,vmrss_kib,vmhwm_kib,fds,socket_fds,connections,live_sockets,cpu_s,\
    write_rate,writes,write_p50_ms,write_p99_ms,write_max_ms,writes_retried,writes_failed,\
    reads,read_p50_ms,read_p99_ms,read_max_ms,reads_failed,\
    sockets_open,churned,dropped,resumed,snapshots,refused,gaps,patches";

pub fn csv_row(
    out: &mut std::fs::File,
    m: u32,
    rate: f64,
    server: &str,
    s: Option<&Sample>,
    f: &mut Minute,
) -> std::io::Result<()> {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let proc = s.map_or(",,,,,,,".into(), |s| {
        let n = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
        format!(
            "{},{},{},{},{},{},{},{:.2}",
            s.pid,
            s.rss_kib,
            s.hwm_kib,
            s.fds,
            s.socket_fds,
            n(s.connections),
            n(s.live),
            s.cpu_s
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
        "{m},{server},{proc},{rate},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        f.writes.ms.len(),
        opt(w50),
        opt(w99),
        opt(wmax),
        f.writes.retried,
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
pub fn summary(
    s: &Soak,
    half: Duration,
    minute: Duration,
    samples: &[Vec<(u32, Sample)>],
    minutes: &mut [(u32, Minute)],
) -> bool {
    let rule = Rule {
        rss_growth_pct: s.rss_growth_pct,
        socket_kib: s.socket_kib,
        fd_slack: s.fd_slack,
        conn_slack: s.conn_slack,
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
            let n = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            println!(
                "#   {name}: minute {m0} -> {m1}: RSS {:.1} -> {:.1} MB ({:+.1} %), VmHWM {:.1} -> {:.1} MB, \
                 descriptors {} -> {} (connections {} -> {}, of which live sockets {} -> {}); pids {}",
                mb(a.rss_kib),
                mb(b.rss_kib),
                (b.rss_kib as f64 / a.rss_kib.max(1) as f64 - 1.0) * 100.0,
                mb(a.hwm_kib),
                mb(b.hwm_kib),
                a.fds,
                b.fds,
                n(a.connections),
                n(b.connections),
                n(a.live),
                n(b.live),
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" then ")
            );
        }
        match verdict::judge(points, s.minutes, rule) {
            Ok(j) => {
                let word = |b: bool| if b { "bounded" } else { "GROWS" };
                let (early, late) = (
                    format!("minutes {}-{}", w.early.start(), w.early.end()),
                    format!("minutes {}-{}", w.late.start(), w.late.end()),
                );
                println!(
                    "#   {name}: highest RSS {early} {:.1} MB, {late} {:.1} MB: {:+.1} %; limit {:.1} MB \
                     (+{} % and {} KiB for each of {} more live sockets): {}",
                    mb(j.rss_early_kib),
                    mb(j.rss_late_kib),
                    j.rss_growth_pct,
                    mb(j.rss_allowed_kib),
                    rule.rss_growth_pct,
                    rule.socket_kib,
                    j.more_sockets,
                    word(j.rss_ok),
                );
                if j.connections_known {
                    println!(
                        "#   {name}: descriptors besides connections {} -> {} (limit +{}): {}; \
                         connections besides live sockets {} -> {} (limit +{}): {}",
                        j.rest_early,
                        j.rest_late,
                        rule.fd_slack,
                        word(j.rest_ok),
                        j.conns_early,
                        j.conns_late,
                        rule.conn_slack,
                        word(j.conns_ok),
                    );
                } else {
                    println!(
                        "#   {name}: descriptors besides live sockets {} -> {} (limit +{}; its \
                         connections unknown): {}",
                        j.rest_early,
                        j.rest_late,
                        rule.fd_slack + rule.conn_slack,
                        word(j.rest_ok),
                    );
                }
                // Every acknowledged report is stored: what memory grew by per report, to tell
                // growth with the data from growth with time.
                let stored: usize = minutes
                    .iter()
                    .filter(|(m, _)| *m > *w.early.start() && *m <= *w.late.end())
                    .map(|(_, f)| f.writes.ms.len())
                    .sum();
                if stored > 0 && j.rss_late_kib > j.rss_early_kib {
                    let grown = j.rss_late_kib - j.rss_early_kib;
                    let per_report = grown as f64 / stored as f64;
                    println!(
                        "#   {name}: {:+.1} MB between those minutes, while {stored} reports were \
                         stored{}",
                        mb(grown),
                        if j.more_sockets == 0 {
                            format!(": {per_report:.2} KiB per report")
                        } else {
                            format!(" and it held {} more live sockets", j.more_sockets)
                        }
                    );
                }
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
