//! `snan bench`: SNAN recall throughput, fused engine vs tensor-op reference in the same run, and
//! optionally the working-memory protocol beside the NumPy oracle.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::tensor::{Device, Tensor};
use clap::Args;
use snan::{AstrocyteConfig, Engine, RecallConfig, Snan, SnanConfig, WorkingMemoryConfig};

use crate::backend::{BackendChoice, device};

/// Arguments of `snan bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Backend.
    #[arg(long, value_enum, default_value_t = BackendChoice::Flex)]
    backend: BackendChoice,
    /// Grid sides to measure.
    #[arg(long, value_delimiter = ',', default_value = "28,79")]
    grids: Vec<usize>,
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,64,256")]
    batches: Vec<usize>,
    /// Minimum measured time per engine and configuration (s).
    #[arg(long, default_value_t = 1.0)]
    min_seconds: f64,
    /// Also time `snan wm --parallel --seed 42` against the NumPy oracle in this folder
    /// (`snan_wm_reference.py`; takes ~5 min).
    #[arg(long)]
    oracle: Option<PathBuf>,
}

/// Seconds per step of `engine` on a cue of `batch` images, growing the step count until the
/// measurement takes `min_seconds`.
fn seconds_per_step(snan: &Snan, batch: usize, min_seconds: f64, device: &Device) -> f64 {
    let n = snan.neurons();
    // Half the pixels on, in stripes: realistic spiking with astrocyte gating off (no imprint).
    let cue = Tensor::<2>::from_data(
        burn::tensor::TensorData::new((0..batch * n).map(|i| if (i % n) % 7 < 3 { 8.0f32 } else { 0.0 }).collect::<Vec<_>>(), [batch, n]),
        device,
    );
    let state = snan.init_state(batch, device);
    let mut steps = 2;
    loop {
        let recall = RecallConfig::new().with_cue_steps(steps).with_readout_steps(steps);
        let start = Instant::now();
        let (_, out) = snan.recall(state.clone(), cue.clone(), &recall);
        let _ = out.counts.into_data();
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= min_seconds || steps >= 1 << 16 {
            return elapsed / steps as f64;
        }
        steps *= if elapsed < min_seconds / 8.0 { 8 } else { 2 };
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs the benchmark and prints a Markdown table.
pub fn run(args: BenchArgs) -> Result<()> {
    if !(args.min_seconds.is_finite() && args.min_seconds > 0.0) {
        bail!("--min-seconds must be positive");
    }
    let device = device(args.backend)?;
    let window = RecallConfig::new().readout_steps as f64;
    println!("machine: {} logical CPUs; backend {:?}", std::thread::available_parallelism().map_or(0, |n| n.get()), args.backend);
    println!();
    println!("| grid | batch | reference (neuron-updates/s) | fused (neuron-updates/s) | fused images/s ({window} steps) | fused / reference |");
    println!("|---|---|---|---|---|---|");
    for &side in &args.grids {
        // 79×79 is the working-memory circuit (noise, 0.1 ms astrocytes); smaller grids are hybrid
        // front-ends (no noise, 1 ms astrocytes).
        let config = if side == 79 {
            SnanConfig::working_memory()
        } else {
            SnanConfig::new().with_height(side).with_width(side).with_astrocyte(AstrocyteConfig::fast())
        };
        let fused = config.clone().with_engine(Engine::Fused).init(&device);
        let reference = fused.clone().with_engine(Engine::Reference);
        let n = fused.neurons() as f64;
        for &batch in &args.batches {
            let t_ref = seconds_per_step(&reference, batch, args.min_seconds, &device);
            let t_fused = seconds_per_step(&fused, batch, args.min_seconds, &device);
            let rate = |t: f64| batch as f64 * n / t;
            println!(
                "| {side}×{side} | {batch} | {:.3e} | {:.3e} | {:.1} | {:.1}× |",
                rate(t_ref),
                rate(t_fused),
                batch as f64 / (t_fused * window),
                t_ref / t_fused
            );
        }
    }
    if let Some(dir) = &args.oracle {
        println!();
        let digits = snan_data::root::embedded_wm_digits();
        let patterns = snan_data::load_wm_digits(&digits)?;
        let start = Instant::now();
        let result = WorkingMemoryConfig::new().with_parallel(true).run(&patterns, &device, |_, _| {});
        let ours = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let out = std::process::Command::new("python3")
            .current_dir(dir)
            .env_remove("OPENBLAS_CORETYPE")
            .env_remove("OPENBLAS_L2_SIZE")
            .args(["snan_wm_reference.py", "par", "42"])
            .arg(&digits)
            .output()
            .with_context(|| format!("running the oracle in {}", dir.display()))?;
        let oracle = start.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!("the oracle failed: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""));
        }
        let line = String::from_utf8_lossy(&out.stdout).lines().find(|l| l.starts_with("PARALLEL")).unwrap_or("").to_string();
        println!("working memory, --parallel --seed 42: snan {ours:.1} s (mean similarity {:.4}); NumPy oracle {oracle:.1} s ({line}); speed-up {:.1}×", result.mean, oracle / ours);
    }
    if let Some(mib) = peak_rss_mib() {
        println!();
        println!("peak resident memory of this run: {mib:.0} MiB");
    }
    Ok(())
}
