//! `snan`: the command line of the snan project.
//!
//! Every subcommand lives in its own module; `main` only parses arguments and turns errors into
//! one readable line (never a panic backtrace).

mod backend;
mod bench;
mod data;
mod fewshot;
mod omniglot;
mod plots;
mod progress;
mod results_csv;
mod wm;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "snan", version, about = "Spiking neuron–astrocyte networks on Burn")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect and visualise the data sets.
    Data(data::DataArgs),
    /// Benchmarks: SNAN recall throughput (fused vs reference) and the WM protocol vs the oracle.
    Bench(bench::BenchArgs),
    /// The published working-memory protocol of the SNAN (79×79 digits).
    Wm(wm::WmArgs),
    /// Few-shot sweep: models × shots × seeds, evaluated clean and under impulse noise / occlusion.
    Fewshot(fewshot::FewshotArgs),
    /// Omniglot N-way K-shot episodes: prototypical network, SNAN hybrid, nearest-neighbour, CNN.
    Omniglot(omniglot::OmniglotArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(args) => data::run(args),
        Command::Wm(args) => wm::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Fewshot(args) => fewshot::run(args),
        Command::Omniglot(args) => omniglot::run(args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
