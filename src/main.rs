//! `apo-dashboard`: see `apo_dashboard::cli` for the commands.

fn main() -> std::process::ExitCode {
    apo_dashboard::cli::main()
}
