//! `snan wm`: the published working-memory protocol of the SNAN on the 79×79 digits.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use image::{GrayImage, Luma};
use snan::WorkingMemoryConfig;

use crate::backend::{BackendChoice, device};
use crate::progress::Progress;

/// Arguments of `snan wm`.
#[derive(Args, Debug)]
pub struct WmArgs {
    /// Folder with zero.jpg … nine.jpg (79×79); default: the embedded `datasets/wm-digits`.
    #[arg(long, env = "SNAN_WM_DIGITS")]
    images: Option<PathBuf>,
    /// Seed of the run (flips, connectivity, noise).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Learn once, then recall all cues in parallel from the same snapshot (batch = cues).
    #[arg(long)]
    parallel: bool,
    /// Ablation: switch off the astrocyte → synapse feedback.
    #[arg(long)]
    no_astro: bool,
    /// Digits to learn, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3")]
    learn: Vec<usize>,
    /// Astrocyte step in ms: 0.1 (published) or 1 (fast).
    #[arg(long, default_value_t = 0.1)]
    astro_dt_ms: f64,
    /// Backend.
    #[arg(long, value_enum, default_value_t = BackendChoice::Flex)]
    backend: BackendChoice,
    /// Folder for the cue / recall / target PNGs.
    #[arg(long, default_value = "out/wm")]
    out: PathBuf,
}

/// Runs the protocol and prints per-digit similarity and the mean.
pub fn run(args: WmArgs) -> Result<()> {
    if !(args.astro_dt_ms.is_finite() && args.astro_dt_ms > 0.0) {
        bail!("--astro-dt-ms must be a positive number, got {}", args.astro_dt_ms);
    }
    if let Some(&bad) = args.learn.iter().find(|&&d| d > 9) {
        bail!("--learn: digit {bad} is not in 0..9");
    }
    if args.learn.is_empty() || args.learn.len() > 5 {
        bail!("--learn takes 1 to 5 digits (each is cued beside an unlearned one)");
    }
    let dir = args.images.clone().unwrap_or_else(snan_data::root::embedded_wm_digits);
    let patterns = snan_data::wm_digits::load_wm_digits(&dir)
        .with_context(|| format!("loading the working-memory digits from {}", dir.display()))?;
    let device = device(args.backend)?;
    let config = WorkingMemoryConfig::new()
        .with_learn(args.learn.clone())
        .with_seed(args.seed)
        .with_parallel(args.parallel)
        .with_astro_feedback(!args.no_astro)
        .with_astro_dt_s(args.astro_dt_ms * 1e-3);
    println!(
        "working memory: learn {:?}, cues {:?}, seed {}, {}, astrocyte feedback {}, astro dt {} ms, backend {:?}",
        config.learn,
        config.cue_order(),
        args.seed,
        if args.parallel { "parallel recall" } else { "sequential" },
        if args.no_astro { "off" } else { "on" },
        args.astro_dt_ms,
        args.backend
    );
    let start = Instant::now();
    let mut bar = Progress::new("wm", 0);
    let result = config.run(&patterns, &device, |done, total| bar.update(done as u64, total as u64));
    bar.finish();
    let wall = start.elapsed().as_secs_f64();
    for (digit, sim) in &result.learned {
        println!("digit {digit}: similarity {sim:.4}");
    }
    for (digit, sim) in &result.novel {
        println!("unlearned cue {digit}: similarity to its own image {sim:.4}");
    }
    println!("mean similarity {:.4} at threshold {} spikes/250 ms; wall {wall:.1} s", result.mean, result.threshold);
    write_pngs(&args.out, &result, &patterns)?;
    println!("images: {}", args.out.display());
    Ok(())
}

/// Cue | recall (count > θ) | target, one PNG per cue, dark stroke on white as in the source images.
fn write_pngs(out: &Path, result: &snan::WorkingMemoryResult, patterns: &[Vec<bool>]) -> Result<()> {
    const SIDE: u32 = 79;
    const SCALE: u32 = 3;
    const GAP: u32 = 4;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (k, cue) in result.cues.iter().enumerate() {
        let recall: Vec<bool> = cue.counts.iter().map(|&c| c > result.threshold as f32).collect();
        let panels = [&cue.input, &recall, &patterns[cue.digit]];
        let width = 3 * SIDE * SCALE + 2 * GAP;
        let mut img = GrayImage::from_pixel(width, SIDE * SCALE, Luma([160]));
        for (p, panel) in panels.iter().enumerate() {
            let x0 = p as u32 * (SIDE * SCALE + GAP);
            for (i, &on) in panel.iter().enumerate() {
                let (r, c) = (i as u32 / SIDE, i as u32 % SIDE);
                let value = if on { 0 } else { 255 };
                for dy in 0..SCALE {
                    for dx in 0..SCALE {
                        img.put_pixel(x0 + c * SCALE + dx, r * SCALE + dy, Luma([value]));
                    }
                }
            }
        }
        let path = out.join(format!("cue{k}_digit{}.png", cue.digit));
        img.save(&path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
