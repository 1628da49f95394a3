//! `apo-dashboard`: see `apo_dashboard::cli` for the commands.

/// mimalloc rather than glibc's allocator: a full recomputation at national scale allocates
/// and frees 100,000-entry documents, and took 157 ms with glibc against 108 ms with mimalloc
/// (`scripts/bench`, BENCHMARKS.md); glibc also keeps arenas grown after mass disconnects.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    apo_dashboard::cli::main()
}
