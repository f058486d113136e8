//! `snan omniglot`: N-way K-shot episodic evaluation on the Omniglot evaluation alphabets.
//!
//! Models (`--models`):
//! - `protonet`: a Conv-4 prototypical network trained episodically on the background alphabets
//!   (trained once, saved under `--out` and reloaded by later runs), nearest class mean;
//! - `snan-protonet`: the same embedding behind the SNAN front-end (per episode: imprint the
//!   support set, recall support and queries);
//! - `nn-pixels`, `nn-median`: 1-nearest-neighbour on pixels, raw or 3×3-median filtered;
//! - `cnn`, `snan-cnn`: the paper's regime, the LeNet-style CNN trained from scratch on the
//!   support set only (`--cnn-epochs`), with or without the SNAN front-end (slow: `--slow-episodes`).
//!
//! Episode `e` of a (ways, shots) cell is `EpisodeSampler::episode_seeded(seed, e)`, so every model
//! sees the same episodes. Corruptions hit the queries only: impulse noise or occlusion (erased),
//! image `i` of episode `e` with `image_rng(condition_seed ^ e·φ, i)`, the same for every model.
//!
//! `results.csv` (`model,ways,shots,corruption,level,accuracy,ci95,episodes,seconds`) gets one
//! row per (model, ways, shots, condition, episodes) as soon as its episodes are done; a rerun skips
//! the rows present. `accuracy` is the mean over episodes of the query accuracy, `ci95` =
//! 1.96·sd/√episodes (sd with n − 1), `seconds` the time of the whole cell (all its conditions)
//! on its first row, 0 on the others. When a hybrid (`snan-X`) runs fewer episodes than its plain
//! twin `X`, the twin is also evaluated on the hybrid's episode count so the gap is taken on the same
//! episodes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::tensor::Device;
use clap::Args;
use snan_data::{
    Corruption, EpisodeSampler, ImageSet, OcclusionFill, OmniglotSplit, corrupt_set, load_omniglot,
    resolve_data_dir,
};
use snan_models::frontend::{FrontEndConfig, SnanFrontEndConfig};
use snan_models::protonet::{ProtoNet, ProtoNetConfig, ProtoTrainConfig, episode_sets, nearest_neighbour, train_protonet_from};
use snan_models::{Backbone, predict, train};

use crate::backend::{BackendChoice, device};
use crate::fewshot::{Condition, conditions};

/// The CSV header of `results.csv`.
pub const HEADER: &str = "model,ways,shots,corruption,level,accuracy,ci95,episodes,seconds";

/// The model names `--models` accepts.
pub const MODEL_NAMES: [&str; 6] = ["protonet", "snan-protonet", "nn-pixels", "nn-median", "cnn", "snan-cnn"];

/// Arguments of `snan omniglot`.
#[derive(Args, Debug)]
pub struct OmniglotArgs {
    /// Omniglot folder (the two zips or extracted folders, or a root holding `omniglot/`); default
    /// $SNAN_DATA_DIR, else the embedded subset (3 background + 2 evaluation alphabets).
    #[arg(long, env = "SNAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Classes per evaluation episode, comma list.
    #[arg(long, value_delimiter = ',', default_value = "5,20")]
    ways: Vec<usize>,
    /// Support images per class, comma list.
    #[arg(long, value_delimiter = ',', default_value = "1,5")]
    shots: Vec<usize>,
    /// Evaluation episodes per cell (protonet, nn-*).
    #[arg(long, default_value_t = 1000)]
    episodes: usize,
    /// Query images per class in evaluation episodes.
    #[arg(long, default_value_t = 15)]
    queries: usize,
    /// Episodes for snan-protonet (the SNAN recall is slow); default `--episodes`.
    #[arg(long)]
    snan_episodes: Option<usize>,
    /// Episodes for cnn / snan-cnn (trained from scratch per episode).
    #[arg(long, default_value_t = 20)]
    slow_episodes: usize,
    /// Training epochs of cnn / snan-cnn on each support set.
    #[arg(long, default_value_t = 30)]
    cnn_epochs: usize,
    /// Models, comma list of: protonet, snan-protonet, nn-pixels, nn-median, cnn, snan-cnn.
    #[arg(long, value_delimiter = ',', default_value = "protonet,snan-protonet,nn-pixels,nn-median")]
    models: Vec<String>,
    /// Impulse-noise densities on the queries, comma list (0 = clean).
    #[arg(long, value_delimiter = ',', default_value = "0,0.2", allow_negative_numbers = true)]
    impulse: Vec<f32>,
    /// Occlusion sizes on the queries (fraction of the target's bounding box), comma list.
    #[arg(long, value_delimiter = ',', default_value = "0.3", allow_negative_numbers = true)]
    occlusion: Vec<f32>,
    /// Training episodes of the prototypical network.
    #[arg(long, default_value_t = 2000)]
    train_episodes: usize,
    /// Classes per training episode.
    #[arg(long, default_value_t = 60)]
    train_ways: usize,
    /// Support images per class in training episodes.
    #[arg(long, default_value_t = 5)]
    train_shots: usize,
    /// Queries per class in training episodes.
    #[arg(long, default_value_t = 5)]
    train_queries: usize,
    /// Halve the Adam learning rate (1e-3) every this many training episodes (0 = constant).
    #[arg(long, default_value_t = 0)]
    lr_halve_every: usize,
    /// Train on the background characters and their 90°/180°/270° rotations as new classes
    /// (4 × 964 classes), as prototypical networks do.
    #[arg(long)]
    train_rotations: bool,
    /// Continue training from this saved embedding (a `.bpk` written by an earlier run), with the
    /// episodes and learning-rate schedule from `--train-first-episode` on.
    #[arg(long)]
    train_from: Option<PathBuf>,
    /// Index of the first training episode when continuing (`--train-from`): the earlier run's count.
    #[arg(long, default_value_t = 0)]
    train_first_episode: usize,
    /// Stop protonet training after this many minutes (the episodes done are recorded).
    #[arg(long)]
    train_minutes: Option<f64>,
    /// Image side (images are area-resampled to size×size; the Conv-4 wants a multiple of 16 or 28).
    #[arg(long, default_value_t = 28)]
    size: usize,
    /// Seed of the episodes, the corruptions and the training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Backend.
    #[arg(long, value_enum, default_value = "flex")]
    backend: BackendChoice,
    /// Output folder (results.csv, summary.md, the trained embedding).
    #[arg(long, default_value = "out/omniglot")]
    out: PathBuf,
}

/// How a model classifies an episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Nearest prototype in the trained Conv-4 embedding.
    Proto,
    /// 1-nearest-neighbour on the (front-ended) pixels.
    NearestNeighbour,
    /// The LeNet CNN trained on the support set.
    Cnn,
}

/// One model: a front-end and a method.
#[derive(Clone, Debug)]
pub struct OmniModel {
    /// Name used in the CSV.
    pub name: String,
    /// Front-end applied to support and queries.
    pub front: FrontEndConfig,
    /// Classifier.
    pub method: Method,
}

/// Parses a model name (see [`MODEL_NAMES`]).
pub fn parse_model(name: &str) -> Result<OmniModel> {
    let n = name.trim().to_ascii_lowercase();
    let snan = || FrontEndConfig::Snan(SnanFrontEndConfig::new());
    let (front, method) = match n.as_str() {
        "protonet" => (FrontEndConfig::None, Method::Proto),
        "snan-protonet" => (snan(), Method::Proto),
        "nn-pixels" => (FrontEndConfig::None, Method::NearestNeighbour),
        "nn-median" => (FrontEndConfig::Median3x3, Method::NearestNeighbour),
        "cnn" => (FrontEndConfig::None, Method::Cnn),
        "snan-cnn" => (snan(), Method::Cnn),
        _ => bail!("unknown model `{name}` (known: {})", MODEL_NAMES.join(", ")),
    };
    Ok(OmniModel { name: n, front, method })
}

/// Mean and 95 % confidence half-width `1.96·sd/√n` (sd with n − 1; 0 for fewer than 2 values).
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    (mean, 1.96 * var.sqrt() / (n as f64).sqrt())
}

fn corruption_of(c: &Condition) -> Option<Corruption> {
    match *c {
        Condition::Clean => None,
        Condition::Impulse(p) => Some(Corruption::Impulse { p }),
        Condition::Occlusion(s) => Some(Corruption::Occlusion { size: s, fill: OcclusionFill::Erase }),
    }
}

/// Seed of the corruption of episode `episode`'s queries: depends on the run seed, the condition
/// and the episode only, so every model sees the same corrupted queries.
pub fn condition_seed(c: &Condition, seed: u64, episode: u64) -> u64 {
    let tag = match c {
        Condition::Clean => 0u64,
        Condition::Impulse(_) => 1,
        Condition::Occlusion(_) => 2,
    };
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (tag << 56)
        ^ (c.level().to_bits() as u64).wrapping_mul(0xff51_afd7_ed55_8ccd)
        ^ episode.wrapping_add(1).wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
}

/// One CSV row.
#[derive(Clone, Debug, PartialEq)]
pub struct OmniRow {
    /// Model name.
    pub model: String,
    /// Classes per episode.
    pub ways: usize,
    /// Support images per class.
    pub shots: usize,
    /// `none`, `impulse` or `occlusion`.
    pub corruption: String,
    /// Level (canonical `f32` display).
    pub level: String,
    /// Mean query accuracy over episodes, in [0, 1].
    pub accuracy: f64,
    /// 95 % CI half-width.
    pub ci95: f64,
    /// Episodes.
    pub episodes: usize,
    /// Seconds (see the module docs).
    pub seconds: f64,
}

type Key = (String, usize, usize, String, String, usize);

impl OmniRow {
    fn key(&self) -> Key {
        (self.model.clone(), self.ways, self.shots, self.corruption.clone(), self.level.clone(), self.episodes)
    }

    fn to_csv(&self) -> String {
        format!(
            "{},{},{},{},{},{:.6},{:.6},{},{:.3}",
            self.model,
            self.ways,
            self.shots,
            self.corruption,
            self.level,
            self.accuracy,
            self.ci95,
            self.episodes,
            self.seconds
        )
    }

    fn parse(line: &str) -> Option<OmniRow> {
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() != 9 {
            return None;
        }
        let level: f32 = f[4].parse().ok()?;
        Some(OmniRow {
            model: f[0].to_string(),
            ways: f[1].parse().ok()?,
            shots: f[2].parse().ok()?,
            corruption: f[3].to_string(),
            level: level.to_string(),
            accuracy: f[5].parse().ok()?,
            ci95: f[6].parse().ok()?,
            episodes: f[7].parse().ok()?,
            seconds: f[8].parse().ok()?,
        })
    }
}

/// Reads the rows of an existing `results.csv`; unparsable lines (a line cut by an interruption)
/// are ignored, a missing file gives no rows, a foreign header is an error.
pub fn read_results(path: &Path) -> Result<Vec<OmniRow>> {
    crate::results_csv::read_rows(path, HEADER, OmniRow::parse)
}

/// One evaluation cell: a model on (ways, shots) for a number of episodes.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The model.
    pub model: OmniModel,
    /// Classes per episode.
    pub ways: usize,
    /// Support images per class.
    pub shots: usize,
    /// Episodes.
    pub episodes: usize,
}

/// Everything an evaluation needs besides the data, the embedding and the device.
#[derive(Clone, Debug)]
pub struct EvalPlan {
    /// Cells in order.
    pub cells: Vec<Cell>,
    /// Query conditions.
    pub conditions: Vec<Condition>,
    /// Queries per class.
    pub queries: usize,
    /// Episode / corruption seed.
    pub seed: u64,
    /// Epochs of the per-episode CNN.
    pub cnn_epochs: usize,
}

/// Builds the cells: every model × ways × shots with its episode count, plus a plain twin at the
/// hybrid's episode count where they differ.
pub fn plan_cells(
    models: &[OmniModel],
    ways: &[usize],
    shots: &[usize],
    episodes_of: &dyn Fn(&OmniModel) -> usize,
) -> Vec<Cell> {
    let mut cells = Vec::new();
    let mut push = |model: &OmniModel, w: usize, k: usize, e: usize| {
        if !cells.iter().any(|c: &Cell| c.model.name == model.name && c.ways == w && c.shots == k && c.episodes == e) {
            cells.push(Cell { model: model.clone(), ways: w, shots: k, episodes: e });
        }
    };
    for m in models {
        for &w in ways {
            for &k in shots {
                push(m, w, k, episodes_of(m));
                if let Some(plain) = m.name.strip_prefix("snan-")
                    && let Some(twin) = models.iter().find(|t| t.name == plain)
                    && episodes_of(twin) != episodes_of(m)
                {
                    push(twin, w, k, episodes_of(m));
                }
            }
        }
    }
    cells
}

/// What the evaluation reports while it runs.
#[derive(Clone, Debug)]
pub enum EvalEvent {
    /// A cell starts.
    Cell {
        /// Model.
        model: String,
        /// Ways.
        ways: usize,
        /// Shots.
        shots: usize,
        /// Episodes.
        episodes: usize,
    },
    /// An episode finished.
    Episode(usize),
    /// A row was written.
    Row(OmniRow),
    /// A cell was skipped (all its rows were present).
    Skipped,
}

fn accuracy(pred: &[u32], labels: &[u32]) -> f64 {
    pred.iter().zip(labels).filter(|(p, l)| p == l).count() as f64 / labels.len().max(1) as f64
}

/// Concatenates sets of the same geometry (labels kept).
fn concat(sets: &[&ImageSet]) -> ImageSet {
    let mut out = sets[0].clone();
    for s in &sets[1..] {
        out.images.extend_from_slice(&s.images);
        out.labels.extend_from_slice(&s.labels);
    }
    out
}

fn split_off(all: &ImageSet, start: usize, len: usize, num_classes: usize) -> ImageSet {
    let mut s = all.subset(&(start..start + len).collect::<Vec<_>>());
    s.num_classes = num_classes;
    s
}

/// Runs (or resumes) the evaluation on `eval` (labels = characters), appending to
/// `out/results.csv`; `net` is needed by the protonet models only. Returns this plan's rows.
pub fn run_eval(
    plan: &EvalPlan,
    eval: &ImageSet,
    net: Option<&ProtoNet>,
    dev: &Device,
    out: &Path,
    report: &mut dyn FnMut(EvalEvent),
) -> Result<Vec<OmniRow>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("results.csv");
    let mut done: BTreeMap<Key, OmniRow> = read_results(&path)?.into_iter().map(|r| (r.key(), r)).collect();
    let mut file = crate::results_csv::open_for_append(&path, HEADER)?;
    let key = |c: &Cell, cond: &Condition| -> Key {
        (c.model.name.clone(), c.ways, c.shots, cond.kind().to_string(), cond.level().to_string(), c.episodes)
    };
    let mut rows = Vec::new();
    for cell in &plan.cells {
        let missing: Vec<Condition> =
            plan.conditions.iter().copied().filter(|c| !done.contains_key(&key(cell, c))).collect();
        if missing.is_empty() {
            report(EvalEvent::Skipped);
        } else {
            report(EvalEvent::Cell {
                model: cell.model.name.clone(),
                ways: cell.ways,
                shots: cell.shots,
                episodes: cell.episodes,
            });
            let t0 = Instant::now();
            let sampler = EpisodeSampler::new(&eval.labels, eval.num_classes, cell.ways, cell.shots, plan.queries)
                .with_context(|| format!("cannot draw {}-way {}-shot episodes", cell.ways, cell.shots))?;
            let mut accs: Vec<Vec<f64>> = vec![Vec::with_capacity(cell.episodes); missing.len()];
            for e in 0..cell.episodes {
                let ep = sampler.episode_seeded(plan.seed, e as u64);
                let (s, q) = episode_sets(eval, &ep);
                let queries: Vec<ImageSet> = missing
                    .iter()
                    .map(|c| match corruption_of(c) {
                        Some(cor) => corrupt_set(&q, &cor, condition_seed(c, plan.seed, e as u64)),
                        None => q.clone(),
                    })
                    .collect();
                let mut front = cell.model.front.init();
                front.fit(&s, dev);
                // One front-end pass over support + every query set (the SNAN batches them).
                let mut parts: Vec<&ImageSet> = vec![&s];
                parts.extend(queries.iter());
                let all = front.transform(&concat(&parts), dev);
                let s2 = split_off(&all, 0, s.len(), cell.ways);
                let preds: Vec<Vec<u32>> = match cell.model.method {
                    Method::Proto => {
                        let net = net.context("the protonet models need a trained embedding")?;
                        (0..queries.len())
                            .map(|j| net.classify(&s2, &split_off(&all, s.len() + j * q.len(), q.len(), cell.ways), dev))
                            .collect()
                    }
                    Method::NearestNeighbour => (0..queries.len())
                        .map(|j| nearest_neighbour(&s2, &split_off(&all, s.len() + j * q.len(), q.len(), cell.ways)))
                        .collect(),
                    Method::Cnn => {
                        let bb = Backbone::cnn();
                        let cfg = bb.default_train_config().with_epochs(plan.cnn_epochs).with_seed(plan.seed ^ e as u64);
                        let model = train(&bb, &s2, &cfg, dev, &mut |_| {});
                        (0..queries.len())
                            .map(|j| predict(&model, &split_off(&all, s.len() + j * q.len(), q.len(), cell.ways), dev))
                            .collect()
                    }
                };
                for (j, p) in preds.iter().enumerate() {
                    accs[j].push(accuracy(p, &q.labels));
                }
                report(EvalEvent::Episode(e + 1));
            }
            let mut secs = t0.elapsed().as_secs_f64();
            for (c, a) in missing.iter().zip(&accs) {
                let (mean, ci) = mean_ci95(a);
                let row = OmniRow {
                    model: cell.model.name.clone(),
                    ways: cell.ways,
                    shots: cell.shots,
                    corruption: c.kind().to_string(),
                    level: c.level().to_string(),
                    accuracy: mean,
                    ci95: ci,
                    episodes: cell.episodes,
                    seconds: secs,
                };
                secs = 0.0;
                // Keep what the CSV holds (rounded), so a resumed run returns the same rows.
                let row = OmniRow::parse(&row.to_csv()).expect("a written row parses");
                crate::results_csv::append_row(&mut file, &path, &row.to_csv())?;
                done.insert(row.key(), row.clone());
                report(EvalEvent::Row(row));
            }
        }
        for c in &plan.conditions {
            if let Some(r) = done.get(&key(cell, c)) {
                rows.push(r.clone());
            }
        }
    }
    Ok(rows)
}

fn pct(r: &OmniRow) -> String {
    format!("{:.1} ± {:.1}", 100.0 * r.accuracy, 100.0 * r.ci95)
}

/// `summary.md`: one table per condition (mean ± 95 % CI, in %), then the hybrid-minus-plain gaps.
pub fn summary(plan: &EvalPlan, rows: &[OmniRow], header: &str) -> String {
    let mut md = String::from("# Omniglot few-shot (evaluation alphabets)\n\n");
    md += header;
    md += "\nAccuracy in % (mean over episodes ± 95 % CI = 1.96·sd/√episodes); episodes in brackets.\n\n";
    let mut cols: Vec<(usize, usize)> = Vec::new();
    for c in &plan.cells {
        if !cols.contains(&(c.ways, c.shots)) {
            cols.push((c.ways, c.shots));
        }
    }
    let mut models: Vec<(String, usize)> = Vec::new();
    for c in &plan.cells {
        if !models.contains(&(c.model.name.clone(), c.episodes)) {
            models.push((c.model.name.clone(), c.episodes));
        }
    }
    let find = |m: &str, w: usize, k: usize, cond: &Condition, e: usize| {
        rows.iter().find(|r| {
            r.model == m
                && r.ways == w
                && r.shots == k
                && r.episodes == e
                && r.corruption == cond.kind()
                && r.level == cond.level().to_string()
        })
    };
    for cond in &plan.conditions {
        let name = match cond {
            Condition::Clean => "clean".to_string(),
            c => format!("{} {}", c.kind(), c.level()),
        };
        md += &format!("## {name}\n\n| model |");
        for (w, k) in &cols {
            md += &format!(" {w}-way {k}-shot |");
        }
        md += "\n|---|";
        md += &"---|".repeat(cols.len());
        md += "\n";
        for (m, e) in &models {
            md += &format!("| {m} [{e}] |");
            for &(w, k) in &cols {
                md += &match find(m, w, k, cond, *e) {
                    Some(r) => format!(" {} |", pct(r)),
                    None => " – |".into(),
                };
            }
            md += "\n";
        }
        md += "\n";
    }
    let mut gaps = String::new();
    for (m, e) in &models {
        let Some(plain) = m.strip_prefix("snan-") else { continue };
        for cond in &plan.conditions {
            for &(w, k) in &cols {
                if let (Some(h), Some(p)) = (find(m, w, k, cond, *e), find(plain, w, k, cond, *e)) {
                    let gap = 100.0 * (h.accuracy - p.accuracy);
                    let ci = 100.0 * (h.ci95 * h.ci95 + p.ci95 * p.ci95).sqrt();
                    let name = match cond {
                        Condition::Clean => "clean".to_string(),
                        c => format!("{} {}", c.kind(), c.level()),
                    };
                    gaps += &format!(
                        "| {m} − {plain} | {w}-way {k}-shot | {name} | {e} | {} | {} | {gap:+.1} ± {ci:.1} |\n",
                        pct(h),
                        pct(p)
                    );
                }
            }
        }
    }
    md += "## Hybrid minus plain (same episodes)\n\n";
    if gaps.is_empty() {
        md += "No snan-X / X pair with the same episodes in this run.\n";
    } else {
        md += "CI of the gap: √(CI₁² + CI₂²) (unpaired, conservative).\n\n";
        md += "| pair | task | condition | episodes | hybrid | plain | gap |\n|---|---|---|---|---|---|---|\n";
        md += &gaps;
    }
    md
}

/// The trained (or reloaded) prototypical network and a line describing it.
fn protonet(args: &OmniglotArgs, dev: &Device, root: &Path) -> Result<(ProtoNet, String)> {
    let cfg = ProtoTrainConfig::new()
        .with_ways(args.train_ways)
        .with_shots(args.train_shots)
        .with_queries(args.train_queries)
        .with_episodes(args.train_episodes)
        .with_lr_halve_every(args.lr_halve_every)
        .with_seed(args.seed)
        .with_first_episode(args.train_first_episode);
    let stem = format!(
        "protonet-{}w{}s{}q-{}ep-h{}{}-size{}-seed{}",
        cfg.ways,
        cfg.shots,
        cfg.queries,
        cfg.episodes,
        cfg.lr_halve_every,
        match (&args.train_from, args.train_rotations) {
            (Some(_), true) => format!("-rot-from{}", args.train_first_episode),
            (Some(_), false) => format!("-from{}", args.train_first_episode),
            (None, true) => "-rot".to_string(),
            (None, false) => String::new(),
        },
        args.size,
        cfg.seed
    );
    let file = args.out.join(format!("{stem}.bpk"));
    let info = args.out.join(format!("{stem}.txt"));
    let net_cfg = ProtoNetConfig::new();
    if file.is_file() {
        let net = net_cfg
            .init(dev, 0)
            .try_load_file(&file)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .with_context(|| format!("cannot load {}", file.display()))?
            .valid();
        let line = std::fs::read_to_string(&info).unwrap_or_default();
        println!("omniglot: loaded the embedding {} ({})", file.display(), line.trim());
        return Ok((net, line.trim().to_string()));
    }
    let t0 = Instant::now();
    let bg = load_omniglot(root, OmniglotSplit::Background, Some(args.size))
        .with_context(|| format!("cannot load the Omniglot background split from {}", root.display()))?
        .to_image_set();
    let bg = if args.train_rotations { bg.with_rotated_classes() } else { bg };
    println!(
        "omniglot: training the protonet on {} background images ({} classes): {} episodes of {}-way {}-shot {}-query",
        bg.len(),
        bg.num_classes,
        cfg.episodes,
        cfg.ways,
        cfg.shots,
        cfg.queries
    );
    let limit = args.train_minutes.map(|m| m * 60.0);
    let (mut loss, mut acc, mut n, mut last) = (0.0, 0.0, 0usize, 0usize);
    let ad = dev.clone().autodiff();
    let start = match &args.train_from {
        Some(from) => net_cfg
            .init(&ad, cfg.seed)
            .try_load_file(from)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .with_context(|| format!("cannot load the embedding to continue from, {}", from.display()))?,
        None => net_cfg.init(&ad, cfg.seed),
    };
    let net = train_protonet_from(start, &bg, &cfg, &ad, &mut |p| {
        loss += p.loss;
        acc += p.accuracy;
        n += 1;
        last = p.episode;
        if p.episode % 50 == 0 || p.episode == p.episodes {
            println!(
                "omniglot: train episode {}/{}: loss {:.3}, query accuracy {:.1} % (mean of the last {n}), {:.0} s",
                p.episode,
                p.episodes,
                loss / n as f64,
                100.0 * acc / n as f64,
                t0.elapsed().as_secs_f64()
            );
            (loss, acc, n) = (0.0, 0.0, 0);
        }
        limit.is_none_or(|l| t0.elapsed().as_secs_f64() < l)
    });
    let line = format!(
        "trained {last} of {} episodes{} ({}-way {}-shot {}-query{}, Adam lr 1e-3, halve every {}) in {:.0} s, seed {}",
        cfg.episodes,
        args.train_from.as_ref().map_or(String::new(), |f| format!(
            " from episode {} on, continuing {}",
            cfg.first_episode,
            f.display()
        )),
        cfg.ways,
        cfg.shots,
        cfg.queries,
        if args.train_rotations { ", rotated classes" } else { "" },
        cfg.lr_halve_every,
        t0.elapsed().as_secs_f64(),
        cfg.seed
    );
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    net.clone().save_file(&file).map_err(|e| anyhow::anyhow!("{e:?}")).with_context(|| format!("cannot save {}", file.display()))?;
    std::fs::write(&info, format!("{line}\n")).with_context(|| format!("cannot write {}", info.display()))?;
    println!("omniglot: {line} → {}", file.display());
    Ok((net, line))
}

/// Runs `snan omniglot …`.
pub fn run(args: OmniglotArgs) -> Result<()> {
    let models =
        args.models.iter().filter(|m| !m.trim().is_empty()).map(|m| parse_model(m)).collect::<Result<Vec<_>>>()?;
    if models.is_empty() {
        bail!("--models is empty");
    }
    if args.ways.is_empty() || args.ways.iter().any(|&w| w < 2) {
        bail!("--ways must list numbers ≥ 2");
    }
    if args.shots.is_empty() || args.shots.contains(&0) {
        bail!("--shots must list positive numbers");
    }
    if args.episodes == 0 || args.slow_episodes == 0 || args.queries == 0 || args.snan_episodes == Some(0) {
        bail!("--episodes, --slow-episodes, --snan-episodes and --queries must be positive");
    }
    if args.size < 16 {
        bail!("--size must be at least 16");
    }
    let conds = conditions(&args.impulse, &args.occlusion)?;
    let root = resolve_data_dir(args.data_dir.as_deref(), "omniglot").path;
    let dev = device(args.backend)?;
    let t_all = Instant::now();
    let eval = load_omniglot(&root, OmniglotSplit::Evaluation, Some(args.size))
        .with_context(|| format!("cannot load the Omniglot evaluation split from {}", root.display()))?
        .to_image_set();
    let episodes_of = |m: &OmniModel| match (m.method, &m.front) {
        (Method::Cnn, _) => args.slow_episodes,
        (Method::Proto, FrontEndConfig::Snan(_)) => args.snan_episodes.unwrap_or(args.episodes),
        _ => args.episodes,
    };
    let plan = EvalPlan {
        cells: plan_cells(&models, &args.ways, &args.shots, &episodes_of),
        conditions: conds,
        queries: args.queries,
        seed: args.seed,
        cnn_epochs: args.cnn_epochs,
    };
    let mut header = format!(
        "Command: `snan {}`\n\nData: {} ({} evaluation images, {} characters), {}×{} px, {} queries per class, seed {}.\n",
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        root.display(),
        eval.len(),
        eval.num_classes,
        args.size,
        args.size,
        args.queries,
        args.seed
    );
    let net = if models.iter().any(|m| m.method == Method::Proto) {
        let (net, line) = protonet(&args, &dev, &root)?;
        header += &format!("\nEmbedding: Conv-4 prototypical network, {line}.\n");
        Some(net)
    } else {
        None
    };
    let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut cell_start = Instant::now();
    let mut cell_eps = 0usize;
    let rows = run_eval(&plan, &eval, net.as_ref(), &dev, &args.out, &mut |e| match e {
        EvalEvent::Cell { model, ways, shots, episodes } => {
            cell_start = Instant::now();
            cell_eps = episodes;
            println!("omniglot: {model} {ways}-way {shots}-shot, {episodes} episodes");
        }
        EvalEvent::Episode(i) => {
            if !tty && (i % (cell_eps / 10).max(1) == 0) {
                println!("omniglot:   episode {i}/{cell_eps} ({:.0} s)", cell_start.elapsed().as_secs_f64());
            }
        }
        EvalEvent::Row(r) => println!(
            "omniglot: {} {}-way {}-shot {} {}: {:.1} ± {:.1} % ({} episodes)",
            r.model,
            r.ways,
            r.shots,
            r.corruption,
            r.level,
            100.0 * r.accuracy,
            100.0 * r.ci95,
            r.episodes
        ),
        EvalEvent::Skipped => {}
    })?;
    header += &format!("\nWall time of this invocation: {:.0} s.\n", t_all.elapsed().as_secs_f64());
    let md = summary(&plan, &rows, &header);
    let sum_path = args.out.join("summary.md");
    std::fs::write(&sum_path, &md).with_context(|| format!("cannot write {}", sum_path.display()))?;
    println!("{md}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_is_196_sd_over_sqrt_n() {
        let (m, ci) = mean_ci95(&[0.5, 1.0, 0.75, 0.75]);
        assert!((m - 0.75).abs() < 1e-12);
        // sd = sqrt((0.0625 + 0.0625) / 3) = 0.2041; ci = 1.96·0.2041/2 = 0.2001.
        assert!((ci - 1.96 * (0.125f64 / 3.0).sqrt() / 2.0).abs() < 1e-12, "{ci}");
        assert_eq!(mean_ci95(&[0.3]), (0.3, 0.0));
        assert_eq!(mean_ci95(&[]), (0.0, 0.0));
        assert_eq!(mean_ci95(&[1.0; 10]).1, 0.0);
    }

    #[test]
    fn models_and_twins() {
        for n in MODEL_NAMES {
            assert_eq!(parse_model(n).unwrap().name, n);
        }
        assert!(parse_model("resnet").unwrap_err().to_string().contains("snan-protonet"));
        let ms: Vec<OmniModel> = ["protonet", "snan-protonet", "nn-pixels"].iter().map(|n| parse_model(n).unwrap()).collect();
        let eps = |m: &OmniModel| if m.name.starts_with("snan") { 10 } else { 100 };
        let cells = plan_cells(&ms, &[5], &[1, 5], &eps);
        let names: Vec<(String, usize, usize)> = cells.iter().map(|c| (c.model.name.clone(), c.shots, c.episodes)).collect();
        assert_eq!(names.len(), 8, "{names:?}");
        assert!(names.contains(&("protonet".into(), 1, 10)) && names.contains(&("protonet".into(), 5, 100)));
    }

    /// 6 classes × 8 images of 16×16 blobs at distinct places: trivially separable by pixels.
    fn blobs() -> ImageSet {
        let side = 16;
        let (classes, per) = (6, 8);
        let mut images = vec![0.0; classes * per * side * side];
        let mut labels = Vec::new();
        for c in 0..classes {
            for j in 0..per {
                let i = c * per + j;
                let (y0, x0) = (1 + (c / 3) * 8, 1 + (c % 3) * 5);
                for y in y0..y0 + 5 {
                    for x in x0..x0 + 4 {
                        images[i * side * side + y * side + x] = if (x + y + j) % 7 == 0 { 0.0 } else { 1.0 };
                    }
                }
                labels.push(c as u32);
            }
        }
        ImageSet { images, labels, height: side, width: side, num_classes: classes }
    }

    #[test]
    fn evaluation_csv_and_resume() {
        let dev = Device::flex();
        let out = std::env::temp_dir().join(format!("snan-omniglot-resume-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let set = blobs();
        let net = ProtoNetConfig::new().with_channels(4).with_blocks(2).init(&dev, 1).valid();
        let models: Vec<OmniModel> = ["protonet", "nn-pixels", "nn-median"].iter().map(|n| parse_model(n).unwrap()).collect();
        let plan = EvalPlan {
            cells: plan_cells(&models, &[3], &[1, 2], &|_| 4),
            conditions: conditions(&[0.0, 0.2], &[0.3]).unwrap(),
            queries: 3,
            seed: 5,
            cnn_epochs: 1,
        };
        let mut cells = 0;
        let rows = run_eval(&plan, &set, Some(&net), &dev, &out, &mut |e| {
            if matches!(e, EvalEvent::Cell { .. }) {
                cells += 1
            }
        })
        .unwrap();
        assert_eq!(cells, 6);
        assert_eq!(rows.len(), 18);
        let clean_nn = rows.iter().find(|r| r.model == "nn-pixels" && r.corruption == "none").unwrap();
        assert_eq!(clean_nn.accuracy, 1.0, "separable blobs");
        let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines.len(), 19);
        // Interrupt: keep 7 rows and half of the 8th; the rerun redoes cells 3.. only.
        let mut cut: String = lines[..8].iter().map(|l| format!("{l}\n")).collect();
        cut += &lines[8][..8];
        std::fs::write(out.join("results.csv"), &cut).unwrap();
        let mut cells = 0;
        let rows2 = run_eval(&plan, &set, Some(&net), &dev, &out, &mut |e| {
            if matches!(e, EvalEvent::Cell { .. }) {
                cells += 1
            }
        })
        .unwrap();
        assert_eq!(cells, 4, "cells 1-2 complete, cell 3 has 1 of 3 rows");
        let after = read_results(&out.join("results.csv")).unwrap();
        assert_eq!(after.len(), 18);
        let strip = |r: &[OmniRow]| r.iter().map(|r| OmniRow { seconds: 0.0, ..r.clone() }).collect::<Vec<_>>();
        assert_eq!(strip(&rows2), strip(&rows), "deterministic");
        let md = summary(&plan, &rows2, "");
        assert!(md.contains("| nn-pixels [4] | 100.0 ± 0.0 |"), "{md}");
        assert!(md.contains("No snan-X / X pair"));
        let _ = std::fs::remove_dir_all(&out);
    }
    #[test]
    fn omniglot_episodes_are_disjoint_and_sized() {
        // The embedded evaluation subset (2 alphabets); 20-way 5-shot with 15 queries uses all 20
        // drawings of each character.
        let root = snan_data::root::embedded_dir("omniglot");
        let og = load_omniglot(&root, OmniglotSplit::Evaluation, Some(28)).unwrap();
        let set = og.to_image_set();
        let sampler = EpisodeSampler::for_omniglot(&og, 20, 5, 15).unwrap();
        for e in 0..20 {
            let ep = sampler.episode_seeded(3, e);
            assert_eq!((ep.support.len(), ep.query.len()), (100, 300));
            let classes: std::collections::HashSet<_> = ep.classes.iter().collect();
            assert_eq!(classes.len(), 20, "distinct characters");
            let sup: std::collections::HashSet<_> = ep.support.iter().collect();
            assert!(ep.query.iter().all(|q| !sup.contains(q)), "support and query share an image");
            let (s, q) = episode_sets(&set, &ep);
            assert_eq!((s.num_classes, q.num_classes), (20, 20));
            for (j, &i) in ep.query.iter().enumerate() {
                assert_eq!(og.character[i], ep.classes[q.labels[j] as usize]);
                assert_eq!(q.image(j), set.image(i));
            }
            for l in 0..20u32 {
                assert_eq!(s.labels.iter().filter(|&&x| x == l).count(), 5);
                assert_eq!(q.labels.iter().filter(|&&x| x == l).count(), 15);
            }
        }
        assert!(EpisodeSampler::for_omniglot(&og, 20, 5, 16).is_err(), "only 20 drawings per character");
        // Corruption seeds differ by condition and episode, not by model.
        let c = Condition::Impulse(0.2);
        assert_ne!(condition_seed(&c, 0, 0), condition_seed(&c, 0, 1));
        assert_ne!(condition_seed(&c, 0, 0), condition_seed(&Condition::Occlusion(0.2), 0, 0));
    }
}
