//! What the soak reads of each server process once a minute: memory, descriptors and CPU time
//! from `/proc/PID/`, and the connections and live sockets it holds from its `/metrics`.
//!
//! The process id is read from a file at every sample, not once: the soak restarts a replica
//! midway, and the script that does it writes the new process's id there, so the samples show
//! the restart as a new PID.

use std::path::PathBuf;
use std::str::FromStr;

use crate::http::Conn;

/// A server process to sample: `NAME=PID_FILE=HOST:PORT` on the command line, where HOST:PORT
/// answers its own `/metrics` (the replica itself, not the proxy).
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub pid_file: PathBuf,
    pub metrics: String,
}

impl FromStr for Server {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, '=');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(name), Some(pid_file), Some(metrics))
                if !name.is_empty() && !pid_file.is_empty() && !metrics.is_empty() =>
            {
                Ok(Self {
                    name: name.to_owned(),
                    pid_file: pid_file.into(),
                    metrics: metrics.trim_start_matches("http://").to_owned(),
                })
            }
            _ => Err(format!("{s:?} is not NAME=PID_FILE=HOST:PORT")),
        }
    }
}

/// One server at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub pid: u32,
    /// Resident memory now and at its peak so far (`VmRSS`, `VmHWM`), KiB.
    pub rss_kib: u64,
    pub hwm_kib: u64,
    /// Open descriptors (`/proc/PID/fd`), and how many of them are sockets.
    pub fds: u64,
    pub socket_fds: u64,
    /// Live WebSocket sockets it holds (`apo_live_viewers`), and the connections it has
    /// accepted and not closed, live sockets included (`apo_http_connections_open`); `None`
    /// when `/metrics` did not say.
    pub live: Option<u64>,
    pub connections: Option<u64>,
    /// CPU time it has used (user and system), seconds.
    pub cpu_s: f64,
}

/// Samples `server`; `None` when its process is not there (between a stop and a start).
pub async fn sample(server: &Server, auth: &str) -> Option<Sample> {
    let pid: u32 = std::fs::read_to_string(&server.pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let (rss_kib, hwm_kib) = (field("VmRSS:")?, field("VmHWM:")?);
    let (mut fds, mut socket_fds) = (0, 0);
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        fds += 1;
        if std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        {
            socket_fds += 1;
        }
    }
    let cpu_s = cpu_seconds(pid)?;
    let (live, connections) = match metrics(&server.metrics, auth).await {
        Some(text) => (
            gauge(&text, "apo_live_viewers"),
            gauge(&text, "apo_http_connections_open"),
        ),
        None => (None, None),
    };
    Some(Sample {
        pid,
        rss_kib,
        hwm_kib,
        fds,
        socket_fds,
        live,
        connections,
        cpu_s,
    })
}

/// User and system CPU time of a process, seconds (`/proc/PID/stat`, fields 14 and 15).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let mut fields = stat[stat.rfind(')')? + 2..].split_whitespace();
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some((utime + stime) / if ticks > 0 { ticks as f64 } else { 100.0 })
}

/// The text of the server's `/metrics`.
async fn metrics(host: &str, auth: &str) -> Option<String> {
    let answer = Conn::new(host)
        .request("GET", "/metrics", auth, b"")
        .await
        .ok()?;
    (answer.status == 200).then(|| String::from_utf8_lossy(&answer.body).into_owned())
}

/// The value of an unlabelled gauge in Prometheus text (or the first of its samples).
fn gauge(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{']))
        })?
        .split_whitespace()
        .last()?
        .parse::<f64>()
        .ok()
        .map(|v| v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_named_with_its_pid_file_and_the_address_of_its_metrics() {
        let s: Server = "r1=/tmp/x/r1.pid=http://127.0.0.1:18501".parse().unwrap();
        assert_eq!(
            (s.name.as_str(), s.pid_file.to_str(), s.metrics.as_str()),
            ("r1", Some("/tmp/x/r1.pid"), "127.0.0.1:18501")
        );
        assert!("r1=/tmp/x".parse::<Server>().is_err());
    }

    #[test]
    fn the_live_gauge_is_read_whether_or_not_it_has_labels_and_not_confused_with_a_longer_name() {
        let text = "# HELP apo_live_viewers_max x\n\
                    apo_live_viewers_max 9\n\
                    # TYPE apo_live_viewers gauge\n\
                    apo_live_viewers 1000\n";
        assert_eq!(gauge(text, "apo_live_viewers"), Some(1000));
        assert_eq!(
            gauge("apo_live_viewers{replica=\"a\"} 12\n", "apo_live_viewers"),
            Some(12)
        );
        assert_eq!(gauge("apo_revision 3\n", "apo_live_viewers"), None);
    }
}
