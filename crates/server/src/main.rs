//! The `shouhu` binary: a thin shell around the library's command line.

fn main() -> std::process::ExitCode {
    shouhu_server::cli::main()
}
