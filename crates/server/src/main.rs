//! The `shouhu` binary: a thin shell around the library's command line.

/// mimalloc: the service allocates many small strings per request (rows, JSON) on several threads
/// at once, where glibc's allocator spent a fifth of the CPU in the city benchmark. Its `override`
/// feature (Cargo.toml) also serves C's malloc: the embedded SQLite copies every column of every
/// row it hands over through malloc, and glibc's arenas still took a tenth of a list's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shouhu_server::cli::main()
}
