//! `snan bench`: SNAN recall throughput and a trainable Linear + LIF layer's forward + backward,
//! fused vs tensor-op reference in the same run, and optionally the working-memory protocol beside
//! the NumPy oracle.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::tensor::{Device, Tensor};
use clap::Args;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Distribution;
use snan::{AstrocyteConfig, Engine, Lif, LifConfig, RecallConfig, Snan, SnanConfig, WorkingMemoryConfig};

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
    /// Skip the SNAN recall table.
    #[arg(long)]
    no_recall: bool,
    /// Linear + LIF layer: time steps, batch and neurons (the public SNN-library benchmark's
    /// setting: 500, 16, 4096); `--lif 0,0,0` skips it.
    #[arg(long, value_delimiter = ',', default_value = "500,16,4096")]
    lif: Vec<usize>,
    /// Measured forward + backward passes per LIF engine (after one warm-up pass).
    #[arg(long, default_value_t = 2)]
    lif_repeats: usize,
}

/// Seconds of one forward + backward pass of `linear` (optional) then `lif` on `[T, B, N]` inputs,
/// mean over `repeats` passes after a warm-up.
fn lif_pass_seconds(linear: Option<&Linear>, lif: &Lif, dims: [usize; 3], repeats: usize, device: &Device) -> f64 {
    let [t, b, n] = dims;
    let x = Tensor::<3>::random([t, b, n], Distribution::Uniform(-0.5, 1.0), device);
    let pass = || {
        let x = x.clone().require_grad();
        let z = match linear {
            Some(l) => l.forward(x.clone()),
            None => x.clone(),
        };
        let (spikes, _) = lif.forward(z * 0.1, None);
        let grads = spikes.mean().backward();
        // Reading one gradient value forces the whole backward to finish.
        let g = x.grad(&grads).expect("input gradient");
        let _ = g.slice([0..1, 0..1, 0..1]).into_data();
    };
    pass();
    let start = Instant::now();
    for _ in 0..repeats.max(1) {
        pass();
    }
    start.elapsed().as_secs_f64() / repeats.max(1) as f64
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
    if args.lif.len() != 3 {
        bail!("--lif takes T,B,N (three numbers), got {:?}", args.lif);
    }
    if args.lif.iter().all(|&v| v > 0) {
        let dims = [args.lif[0], args.lif[1], args.lif[2]];
        let ad = device.clone().autodiff();
        ad.seed(0);
        let linear = LinearConfig::new(dims[2], dims[2]).init(&ad);
        println!();
        println!("Linear({n}→{n}) + LIF, forward + backward, T = {}, batch {}, {n} neurons (s per pass, mean of {}):", dims[0], dims[1], args.lif_repeats, n = dims[2]);
        println!();
        println!("| layer | reference (s) | fused (s) | reference / fused |");
        println!("|---|---|---|---|");
        let reference = LifConfig::new().init(&ad);
        let fused = LifConfig::new().with_engine(Engine::Fused).init(&ad);
        for (name, lin) in [("LIF alone", None), ("Linear + LIF", Some(&linear))] {
            let t_ref = lif_pass_seconds(lin, &reference, dims, args.lif_repeats, &ad);
            let t_fused = lif_pass_seconds(lin, &fused, dims, args.lif_repeats, &ad);
            println!("| {name} | {t_ref:.3} | {t_fused:.3} | {:.1}× |", t_ref / t_fused);
        }
    }
    if args.no_recall {
        return finish(&args, &device);
    }
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
    finish(&args, &device)
}

/// The optional oracle comparison and the peak memory line.
fn finish(args: &BenchArgs, device: &Device) -> Result<()> {
    if let Some(dir) = &args.oracle {
        println!();
        let digits = snan_data::root::embedded_wm_digits();
        let patterns = snan_data::load_wm_digits(&digits)?;
        let start = Instant::now();
        let result = WorkingMemoryConfig::new().with_parallel(true).run(&patterns, device, |_, _| {});
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
