//! `checksum`: writes and checks the checksum lists that GNU `sha256sum` reads and writes.
//!
//! Writing: `checksum [OPTIONS] [FILE|DIR]... [-o FILE]` prints `<hex>  <name>` lines in the order the
//! names were given; a directory expands to its files in byte-sorted order. Checking: `checksum -c LIST`
//! prints and exits exactly as `sha256sum -c` does (with this program's name).
//!
//! Exit codes: 0 ok, 1 a file could not be read or a check failed, 2 bad usage.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsStr;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, ValueEnum};
use tagwright_checksums::{
    Algorithm, CheckIo, CheckOptions, LineFormat, check, expand_inputs, format_line, hardware_acceleration,
    hash_inputs, quote_name, strerror,
};
use tagwright_cli::exit;

const PROGRAM: &str = "checksum";

/// Print or check SHA-256 (or SHA-512) checksums, compatible with GNU sha256sum.
///
/// With no FILE, or when FILE is -, read standard input. A directory stands for its regular files,
/// recursively, in byte-sorted order.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version, after_help = "Names in messages are quoted as coreutils quotes them in the C locale.")]
struct Args {
    /// Files or directories to hash; with --check, the checksum lists to verify.
    #[arg(value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
    /// Write the list to FILE, atomically (never partly written, never listing itself).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write names relative to DIR.
    #[arg(long, value_name = "DIR")]
    relative_to: Option<PathBuf>,
    /// The digest algorithm.
    #[arg(short, long, value_enum, default_value_t = AlgorithmArg::Sha256)]
    algorithm: AlgorithmArg,
    /// Create a BSD-style checksum list.
    #[arg(long)]
    tag: bool,
    /// End each output line with NUL, not newline, and disable file name escaping.
    #[arg(short, long)]
    zero: bool,
    /// Mark files as read in binary mode (`*` before the name).
    #[arg(short, long, overrides_with = "text")]
    binary: bool,
    /// Mark files as read in text mode (the default).
    #[arg(short, long, overrides_with = "binary")]
    text: bool,
    /// Read checksums from the FILEs and check them.
    #[arg(short, long)]
    check: bool,
    /// Don't fail or report status for missing files.
    #[arg(long)]
    ignore_missing: bool,
    /// Don't print OK for each successfully verified file.
    #[arg(long, action = ArgAction::SetTrue, overrides_with_all = ["status", "warn"])]
    quiet: bool,
    /// Don't output anything; the exit code shows success.
    #[arg(long, action = ArgAction::SetTrue, overrides_with_all = ["quiet", "warn"])]
    status: bool,
    /// Exit non-zero for improperly formatted checksum lines.
    #[arg(long)]
    strict: bool,
    /// Warn about improperly formatted checksum lines.
    #[arg(short, long, action = ArgAction::SetTrue, overrides_with_all = ["quiet", "status"])]
    warn: bool,
    /// Hash this many files at once (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Say on stderr whether the CPU's SHA instructions are used.
    #[arg(long)]
    debug: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AlgorithmArg {
    Sha256,
    Sha512,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(message) = validate(&args) {
        eprintln!("{PROGRAM}: {message}\nTry '{PROGRAM} --help' for more information.");
        return ExitCode::from(exit::USAGE);
    }
    let algorithm = match args.algorithm {
        AlgorithmArg::Sha256 => Algorithm::Sha256,
        AlgorithmArg::Sha512 => Algorithm::Sha512,
    };
    if args.debug {
        match hardware_acceleration() {
            Some(what) => eprintln!("{PROGRAM}: using {what} hardware support"),
            None => eprintln!("{PROGRAM}: no SHA hardware support on this CPU; using portable code"),
        }
    }
    let result = if args.check { run_check(&args, algorithm) } else { run_write(&args, algorithm) };
    match result {
        Ok(code) => code,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{PROGRAM}: write error: {}", strerror(&err));
            ExitCode::from(exit::CHECK_FAILED)
        }
    }
}

/// The option combinations that GNU refuses, with GNU's words.
fn validate(args: &Args) -> Result<(), String> {
    if args.check {
        if args.zero {
            return Err("the --zero option is not supported when verifying checksums".into());
        }
        if args.tag {
            return Err("the --tag option is meaningless when verifying checksums".into());
        }
        if args.binary || args.text {
            return Err("the --binary and --text options are meaningless when verifying checksums".into());
        }
        if args.output.is_some() || args.relative_to.is_some() {
            return Err("--output and --relative-to are meaningless when verifying checksums".into());
        }
        return Ok(());
    }
    if args.tag && args.text {
        return Err("--tag does not support --text mode".into());
    }
    for (set, name) in [
        (args.ignore_missing, "--ignore-missing"),
        (args.status, "--status"),
        (args.warn, "--warn"),
        (args.quiet, "--quiet"),
        (args.strict, "--strict"),
    ] {
        if set {
            return Err(format!("the {name} option is meaningful only when verifying checksums"));
        }
    }
    Ok(())
}

fn run_check(args: &Args, algorithm: Algorithm) -> io::Result<ExitCode> {
    let lists: Vec<&OsStr> = if args.files.is_empty() {
        vec![OsStr::new("-")]
    } else {
        args.files.iter().map(|p| p.as_os_str()).collect()
    };
    let mut options = CheckOptions::default();
    options.ignore_missing = args.ignore_missing;
    options.quiet = args.quiet;
    options.status = args.status;
    options.strict = args.strict;
    options.warn = args.warn;
    options.threads = args.threads;
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut io = CheckIo {
        program: PROGRAM,
        stdout: LineWriter(stdout.lock()),
        stderr: stderr.lock(),
        stdin: io::stdin().lock(),
    };
    let outcome = check(algorithm, &lists, &options, &mut io)?;
    Ok(if outcome.ok { ExitCode::SUCCESS } else { ExitCode::from(exit::CHECK_FAILED) })
}

/// Flushes after every line, so a long check shows progress, and pipes see whole lines.
struct LineWriter<W: Write>(W);

impl<W: Write> Write for LineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.write(buf)?;
        if buf[..n].contains(&b'\n') {
            self.0.flush()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn run_write(args: &Args, algorithm: Algorithm) -> io::Result<ExitCode> {
    let given: Vec<PathBuf> =
        if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let inputs = match expand_inputs(&given, args.relative_to.as_deref(), args.output.as_deref()) {
        Ok(inputs) => inputs,
        Err(err) => {
            eprintln!("{PROGRAM}: {err}");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let format = LineFormat::default().tag(args.tag).binary(args.binary || args.tag).zero(args.zero);

    let paths: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    let mut sink: Box<dyn Write> = match &args.output {
        Some(_) => Box::new(Vec::<u8>::new()),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut buffer = Vec::new();
    let mut failures = 0usize;
    let mut write_error: Option<io::Error> = None;
    hash_inputs(algorithm, &paths, args.threads, io::stdin().lock(), |i, result| match result {
        Ok(digest) => {
            let line = format_line(&digest, &inputs[i].name, format);
            if args.output.is_some() {
                buffer.extend_from_slice(&line);
            } else if write_error.is_none()
                && let Err(e) = sink.write_all(&line)
            {
                write_error = Some(e);
            }
        }
        Err(err) => {
            failures += 1;
            let _ = sink.flush();
            eprintln!("{PROGRAM}: {}: {}", quote_name(&inputs[i].name), strerror(&err));
        }
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    sink.flush()?;

    if let Some(output) = &args.output {
        if failures > 0 {
            eprintln!(
                "{PROGRAM}: {}: not written: {failures} input(s) could not be read",
                quote_name(output.as_os_str().as_encoded_bytes())
            );
            return Ok(ExitCode::from(exit::CHECK_FAILED));
        }
        if let Err(err) = tagwright_fs::write_output(output, &buffer) {
            eprintln!("{PROGRAM}: {}: {}", quote_name(output.as_os_str().as_encoded_bytes()), strerror(&err));
            return Ok(ExitCode::from(exit::CHECK_FAILED));
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(exit::CHECK_FAILED) })
}
