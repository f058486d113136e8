//! `snan fewshot`: the few-shot sweep (paper-facts decisions 5 and 6).
//!
//! For each k × seed: draw the k-shot task (seed); for each model, fit its front-end on the shots
//! (once per distinct front-end: `snan-cnn` and `snan-vit` share one imprint and its recalls),
//! train the backbone on the front-ended shots, then for each corruption × level corrupt the test
//! subset (seeded by seed, corruption and level — the same images for every model and k), pass it
//! through the front-end and evaluate. Every measured row is appended to `results.csv` and flushed
//! at once; a rerun skips the rows already there (a model×k×seed whose rows are all present is not
//! even trained). `summary.md` then gives mean ± sd over seeds, the paired hybrid-minus-plain gap
//! (snan-X − X) and the best classical-filter baseline beside it.
//!
//! CSV columns: `dataset,model,shots,seed,corruption,level,accuracy,test_n,seconds`;
//! `corruption` is `none` (clean, level 0), `impulse` (density p) or `occlusion` (fraction of the
//! target's bounding box, erased). `seconds` is the row's own evaluation time (corrupt, front-end,
//! inference) plus, on the first row measured after a training, that training's time (front-end
//! fit, transform of the shots, backbone training), so the column sums to the compute spent (the
//! corruption of a test set and a shared front-end's work are counted on the first model that
//! needed them, so `seconds` is not comparable across models of one task).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use clap::{Args, ValueEnum};
use snan_data::{
    Corruption, DatasetKind, ImageSet, OcclusionFill, Split, corrupt_set, few_shot, load_mnist_like, resolve_data_dir,
};
use snan_models::frontend::{FrontEndConfig, SnanFrontEndConfig};
use snan_models::{Backbone, evaluate, train};

use crate::backend::{BackendChoice, device};
use crate::progress::Progress;

/// The CSV header of `results.csv`.
pub const HEADER: &str = "dataset,model,shots,seed,corruption,level,accuracy,test_n,seconds";

/// The model names `--models` accepts.
pub const MODEL_NAMES: [&str; 8] =
    ["cnn", "snan-cnn", "cnn+median", "cnn+bilateral", "vit", "snan-vit", "vit+median", "vit+bilateral"];

/// Data sets of `snan fewshot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FewshotDataset {
    /// MNIST digits.
    Mnist,
    /// Fashion-MNIST.
    FashionMnist,
}

impl FewshotDataset {
    fn kind(self) -> DatasetKind {
        match self {
            Self::Mnist => DatasetKind::Mnist,
            Self::FashionMnist => DatasetKind::FashionMnist,
        }
    }
}

/// Arguments of `snan fewshot`.
#[derive(Args, Debug)]
pub struct FewshotArgs {
    /// Data set.
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: FewshotDataset,
    /// Folder of the data set (or a root holding `<dataset>/`); default $SNAN_DATA_DIR, else the
    /// embedded subset in `datasets/`.
    #[arg(long, env = "SNAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Shots per class, comma list.
    #[arg(long, value_delimiter = ',', default_value = "5")]
    shots: Vec<usize>,
    /// Models (front-end + backbone), comma list of: cnn, snan-cnn, cnn+median, cnn+bilateral, vit,
    /// snan-vit, vit+median, vit+bilateral.
    #[arg(long, value_delimiter = ',', default_value = "cnn,snan-cnn")]
    models: Vec<String>,
    /// Impulse-noise densities, comma list (0 = clean, evaluated once).
    #[arg(long, value_delimiter = ',', default_value = "0,0.1,0.3", allow_negative_numbers = true)]
    impulse: Vec<f32>,
    /// Occlusion sizes (fraction of the target's bounding box), comma list (0 = clean).
    #[arg(long, value_delimiter = ',', default_value = "0.2,0.4", allow_negative_numbers = true)]
    occlusion: Vec<f32>,
    /// Number of seeds (0..seeds).
    #[arg(long, default_value_t = 2)]
    seeds: u64,
    /// Test images per condition: a number (seeded stratified subset) or `all`.
    #[arg(long, default_value = "500")]
    test_size: String,
    /// Training epochs.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Backend.
    #[arg(long, value_enum, default_value = "flex")]
    backend: BackendChoice,
    /// Output folder (results.csv, summary.md).
    #[arg(long, default_value = "out/fewshot")]
    out: PathBuf,
    /// Design variant of the SNAN front-end (see docs/results/design-log.md); default: the chosen one.
    #[arg(long)]
    snan_variant: Option<String>,
    /// Scale augmentation in training: independent X and Y factors ~ U[a, b], given as `a,b`
    /// (e.g. `0.8,1.2`); off by default.
    #[arg(long, value_delimiter = ',')]
    scale_aug: Option<Vec<f32>>,
    /// The `+bilateral` front-end's σ_space (px) and σ_range (intensity, images in [0, 1]) as
    /// `s,r`; default `1,0.3`.
    #[arg(long, value_delimiter = ',')]
    bilateral: Option<Vec<f32>>,
    /// Measure nothing: write `summary.md` and the plots from the rows of this plan already in
    /// `results.csv` (e.g. of a sweep that is still running or was stopped), saying how many are there.
    #[arg(long)]
    report_only: bool,
}

/// One model of the sweep: a front-end and a backbone.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// The name used in tables (e.g. `snan-cnn`).
    pub name: String,
    /// Its front-end.
    pub front: FrontEndConfig,
    /// Its backbone.
    pub backbone: Backbone,
}

/// The `+bilateral` front-end's default `[σ_space (px), σ_range]`.
pub const DEFAULT_BILATERAL: [f32; 2] = [1.0, 0.3];

/// Parses a model name (see [`MODEL_NAMES`]) with the bilateral filter's `[σ_space, σ_range]`.
pub fn parse_model(name: &str, bilateral: [f32; 2]) -> Result<ModelSpec> {
    let n = name.trim().to_ascii_lowercase();
    let (front, base) = if let Some(b) = n.strip_prefix("snan-") {
        (FrontEndConfig::Snan(SnanFrontEndConfig::new()), b)
    } else if let Some(b) = n.strip_suffix("+median") {
        (FrontEndConfig::Median3x3, b)
    } else if let Some(b) = n.strip_suffix("+bilateral") {
        (FrontEndConfig::Bilateral { sigma_space: bilateral[0], sigma_range: bilateral[1] }, b)
    } else {
        (FrontEndConfig::None, n.as_str())
    };
    let backbone = match base {
        "cnn" => Backbone::cnn(),
        "vit" => Backbone::vit(),
        _ => bail!("unknown model `{name}` (known: {})", MODEL_NAMES.join(", ")),
    };
    Ok(ModelSpec { name: n, front, backbone })
}

/// A test condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Condition {
    /// Clean test images.
    Clean,
    /// Impulse noise of density p.
    Impulse(f32),
    /// Occlusion (erasure) of this fraction of the target's bounding box.
    Occlusion(f32),
}

impl Condition {
    /// CSV `corruption` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Clean => "none",
            Self::Impulse(_) => "impulse",
            Self::Occlusion(_) => "occlusion",
        }
    }

    /// The level (0 for clean).
    pub fn level(&self) -> f32 {
        match *self {
            Self::Clean => 0.0,
            Self::Impulse(p) | Self::Occlusion(p) => p,
        }
    }

    fn corruption(&self) -> Option<Corruption> {
        match *self {
            Self::Clean => None,
            Self::Impulse(p) => Some(Corruption::Impulse { p }),
            Self::Occlusion(s) => Some(Corruption::Occlusion { size: s, fill: OcclusionFill::Erase }),
        }
    }

    /// Seed of the corruption: depends on the run seed, the corruption and the level only (not on
    /// the model or k), so all models see the same corrupted images.
    fn seed(&self, seed: u64) -> u64 {
        let tag = match self {
            Self::Clean => 0u64,
            Self::Impulse(_) => 1,
            Self::Occlusion(_) => 2,
        };
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ (tag << 56)
            ^ (self.level().to_bits() as u64).wrapping_mul(0xff51_afd7_ed55_8ccd)
    }
}

/// Clean first, then each nonzero impulse level, then each nonzero occlusion level. Levels must be
/// finite and in [0, 1].
pub fn conditions(impulse: &[f32], occlusion: &[f32]) -> Result<Vec<Condition>> {
    for (what, v) in impulse.iter().map(|v| ("impulse", v)).chain(occlusion.iter().map(|v| ("occlusion", v))) {
        if !v.is_finite() || !(0.0..=1.0).contains(v) {
            bail!("--{what} level {v} is not a number in [0, 1]");
        }
    }
    let mut out = vec![Condition::Clean];
    let mut push = |c: Condition| {
        if !out.contains(&c) {
            out.push(c)
        }
    };
    impulse.iter().filter(|&&p| p > 0.0).for_each(|&p| push(Condition::Impulse(p)));
    occlusion.iter().filter(|&&s| s > 0.0).for_each(|&s| push(Condition::Occlusion(s)));
    Ok(out)
}

/// Everything a sweep needs besides the data and the device.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    /// Data set name written to the CSV.
    pub dataset: String,
    /// Models.
    pub models: Vec<ModelSpec>,
    /// Shots per class.
    pub shots: Vec<usize>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Test conditions.
    pub conditions: Vec<Condition>,
    /// Test subset size (`None` = the whole test split).
    pub test_size: Option<usize>,
    /// Training epochs.
    pub epochs: usize,
    /// Optional scale augmentation `[a, b]` in training.
    pub scale_aug: Option<[f32; 2]>,
}

/// One CSV row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Data set.
    pub dataset: String,
    /// Model name.
    pub model: String,
    /// Shots per class.
    pub shots: usize,
    /// Seed.
    pub seed: u64,
    /// `none`, `impulse` or `occlusion`.
    pub corruption: String,
    /// Level as written (canonical `f32` display).
    pub level: String,
    /// Accuracy in [0, 1].
    pub accuracy: f64,
    /// Test images evaluated.
    pub test_n: usize,
    /// Seconds (see the module docs).
    pub seconds: f64,
}

type Key = (String, String, usize, u64, String, String);

impl Row {
    fn key(&self) -> Key {
        (self.dataset.clone(), self.model.clone(), self.shots, self.seed, self.corruption.clone(), self.level.clone())
    }

    fn to_csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{:.6},{},{:.3}",
            self.dataset,
            self.model,
            self.shots,
            self.seed,
            self.corruption,
            self.level,
            self.accuracy,
            self.test_n,
            self.seconds
        )
    }

    fn parse(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() != 9 {
            return None;
        }
        let level: f32 = f[5].parse().ok()?;
        Some(Row {
            dataset: f[0].to_string(),
            model: f[1].to_string(),
            shots: f[2].parse().ok()?,
            seed: f[3].parse().ok()?,
            corruption: f[4].to_string(),
            level: level.to_string(),
            accuracy: f[6].parse().ok()?,
            test_n: f[7].parse().ok()?,
            seconds: f[8].parse().ok()?,
        })
    }
}

/// The keys of every row of `plan`, in plan order (model, k, seed, condition).
fn plan_keys(plan: &SweepPlan) -> impl Iterator<Item = Key> + '_ {
    plan.models.iter().flat_map(move |spec| {
        plan.shots.iter().flat_map(move |&k| {
            plan.seeds.iter().flat_map(move |&seed| plan.conditions.iter().map(move |c| key_of(plan, &spec.name, k, seed, c)))
        })
    })
}

fn key_of(plan: &SweepPlan, model: &str, shots: usize, seed: u64, c: &Condition) -> Key {
    (plan.dataset.clone(), model.to_string(), shots, seed, c.kind().to_string(), c.level().to_string())
}

/// Reads the rows of an existing `results.csv` (lines that do not parse — e.g. a line cut by an
/// interruption — are ignored). A missing file gives no rows; a wrong header is an error.
pub fn read_results(path: &Path) -> Result<Vec<Row>> {
    crate::results_csv::read_rows(path, HEADER, Row::parse)
}

/// What the sweep reports while it runs.
#[derive(Clone, Debug)]
pub enum SweepEvent {
    /// A model×k×seed is about to be trained (`epochs` epochs).
    Training {
        /// Model name.
        model: String,
        /// Shots.
        shots: usize,
        /// Seed.
        seed: u64,
    },
    /// An epoch finished.
    Epoch,
    /// A row was measured and written.
    Row(Row),
    /// A model×k×seed was skipped (all its rows were present).
    Skipped,
    /// A front-end was fitted on a k-shot task (once per distinct front-end and task).
    FrontEndFitted {
        /// The front-end's name (`snan`, `median`, …).
        front: String,
        /// Shots.
        shots: usize,
        /// Seed.
        seed: u64,
    },
}

/// Number of progress units of one model×k×seed: its epochs plus its conditions.
pub fn units_per_group(plan: &SweepPlan) -> usize {
    plan.epochs + plan.conditions.len()
}

/// The front-ends fitted for one k-shot task, shared by every model of the plan that uses the same
/// front-end configuration (e.g. `snan-cnn` and `snan-vit`): the SNAN imprint and the recall of
/// each test condition are computed once per (k, seed), not once per model.
struct FittedFront {
    front: Box<dyn snan_models::frontend::FrontEnd>,
    train: ImageSet,
    /// Front-ended test set per condition index, filled on first use.
    tests: BTreeMap<usize, ImageSet>,
}

/// Runs (or resumes) the sweep, appending to `out/results.csv`. Returns the rows of this plan
/// (found or measured), in plan order (model, k, seed, condition).
///
/// Work is done per k-shot task (k, seed): the task is drawn once, each corrupted test set is made
/// once, and each distinct front-end is fitted and applied once and then shared by the models that
/// use it; so a row's `seconds` counts the front-end's work only on the first model that needed it.
pub fn run_sweep(
    plan: &SweepPlan,
    split: &Split,
    device: &Device,
    out: &Path,
    report: &mut dyn FnMut(SweepEvent),
) -> Result<Vec<Row>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("results.csv");
    let existing = read_results(&path)?;
    let mut done: BTreeMap<Key, Row> = existing.into_iter().map(|r| (r.key(), r)).collect();
    let mut file = crate::results_csv::open_for_append(&path, HEADER)?;
    for &k in &plan.shots {
        for &seed in &plan.seeds {
            let mut task = None;
            let mut corrupted: BTreeMap<usize, ImageSet> = BTreeMap::new();
            let mut fronts: BTreeMap<String, FittedFront> = BTreeMap::new();
            // The last model that uses each front-end: its cache is dropped after that model.
            let last_user: BTreeMap<String, usize> =
                plan.models.iter().enumerate().map(|(m, spec)| (format!("{:?}", spec.front), m)).collect();
            for (m, spec) in plan.models.iter().enumerate() {
                let front_key = format!("{:?}", spec.front);
                let missing: Vec<usize> = (0..plan.conditions.len())
                    .filter(|&i| !done.contains_key(&key_of(plan, &spec.name, k, seed, &plan.conditions[i])))
                    .collect();
                if missing.is_empty() {
                    report(SweepEvent::Skipped);
                    if last_user[&front_key] == m {
                        fronts.remove(&front_key);
                    }
                    continue;
                }
                report(SweepEvent::Training { model: spec.name.clone(), shots: k, seed });
                let t0 = Instant::now();
                if task.is_none() {
                    task = Some(
                        few_shot(split, k, plan.test_size, seed)
                            .with_context(|| format!("cannot draw a {k}-shot task (seed {seed})"))?,
                    );
                }
                let task = task.as_ref().expect("drawn above");
                if !fronts.contains_key(&front_key) {
                    let mut front = spec.front.init();
                    front.fit(&task.train, device);
                    let train = front.transform(&task.train, device);
                    report(SweepEvent::FrontEndFitted { front: front.name(), shots: k, seed });
                    fronts.insert(front_key.clone(), FittedFront { front, train, tests: BTreeMap::new() });
                }
                let fitted = fronts.get_mut(&front_key).expect("inserted above");
                let cfg = spec
                    .backbone
                    .default_train_config()
                    .with_epochs(plan.epochs)
                    .with_seed(seed)
                    .with_scale_aug(plan.scale_aug);
                let model = train(&spec.backbone, &fitted.train, &cfg, device, &mut |_| report(SweepEvent::Epoch));
                let mut carry = t0.elapsed().as_secs_f64();
                for i in missing {
                    let c = &plan.conditions[i];
                    let t1 = Instant::now();
                    if !fitted.tests.contains_key(&i) {
                        let test = corrupted.entry(i).or_insert_with(|| match c.corruption() {
                            Some(cor) => corrupt_set(&task.test, &cor, c.seed(seed)),
                            None => task.test.clone(),
                        });
                        let transformed = fitted.front.transform(test, device);
                        fitted.tests.insert(i, transformed);
                    }
                    let test = &fitted.tests[&i];
                    let acc = evaluate(&model, test, device);
                    let row = Row {
                        dataset: plan.dataset.clone(),
                        model: spec.name.clone(),
                        shots: k,
                        seed,
                        corruption: c.kind().to_string(),
                        level: c.level().to_string(),
                        accuracy: acc,
                        test_n: test.len(),
                        seconds: t1.elapsed().as_secs_f64() + carry,
                    };
                    carry = 0.0;
                    crate::results_csv::append_row(&mut file, &path, &row.to_csv())?;
                    done.insert(row.key(), row.clone());
                    report(SweepEvent::Row(row));
                }
                if last_user[&front_key] == m {
                    fronts.remove(&front_key);
                }
            }
        }
    }
    Ok(plan_keys(plan).map(|key| done[&key].clone()).collect())
}


fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, sd)
}

fn pct(m: f64, sd: f64) -> String {
    format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * sd)
}

fn cond_label(c: &Condition) -> String {
    match c {
        Condition::Clean => "clean".into(),
        Condition::Impulse(p) => format!("impulse {p}"),
        Condition::Occlusion(s) => format!("occlusion {s}"),
    }
}

/// The Markdown summary of a sweep's rows: accuracy mean ± sd over seeds (percent), and for every
/// `snan-X` whose plain `X` is in the plan, the paired gap per seed (mean ± sd), the best of
/// `X+median` / `X+bilateral` beside it with its own paired gain over `X`, and whether the gap
/// exceeds 3 sd (decision 6).
pub fn summary(plan: &SweepPlan, rows: &[Row]) -> String {
    let acc = |model: &str, k: usize, c: &Condition| -> Vec<(u64, f64)> {
        rows.iter()
            .filter(|r| {
                r.model == model && r.shots == k && r.corruption == c.kind() && r.level == c.level().to_string()
            })
            .map(|r| (r.seed, r.accuracy))
            .collect()
    };
    // Cells measured on fewer seeds than planned (a partial sweep) say how many.
    let planned = plan.seeds.len();
    let fewer = |n: usize| if n < planned { format!(" (n = {n})") } else { String::new() };
    let mut s = String::new();
    let test_n: HashSet<usize> = rows.iter().map(|r| r.test_n).collect();
    let mut test_n: Vec<usize> = test_n.into_iter().collect();
    test_n.sort_unstable();
    s += &format!("# Few-shot sweep: {}\n\n", plan.dataset);
    s += &format!(
        "Seeds: {}; test images per condition: {}; epochs: {}{}. Accuracy in %, mean ± sd over seeds.\n\n",
        plan.seeds.len(),
        test_n.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("/"),
        plan.epochs,
        plan.scale_aug.map_or(String::new(), |[a, b]| format!("; scale augmentation U[{a}, {b}]"))
    );
    s += "## Accuracy\n\n| model | k |";
    for c in &plan.conditions {
        s += &format!(" {} |", cond_label(c));
    }
    s += "\n|---|---|";
    s += &"---|".repeat(plan.conditions.len());
    s += "\n";
    for m in &plan.models {
        for &k in &plan.shots {
            s += &format!("| {} | {k} |", m.name);
            for c in &plan.conditions {
                let v: Vec<f64> = acc(&m.name, k, c).into_iter().map(|x| x.1).collect();
                s += &if v.is_empty() {
                    " — |".to_string()
                } else {
                    let (a, b) = mean_sd(&v);
                    format!(" {}{} |", pct(a, b), fewer(v.len()))
                };
            }
            s += "\n";
        }
    }
    s += "\n## Hybrid minus plain (paired over seeds)\n\n";
    let names: Vec<&str> = plan.models.iter().map(|m| m.name.as_str()).collect();
    let pairs: Vec<(&str, &str)> = ["cnn", "vit"]
        .into_iter()
        .filter_map(|b| {
            let h = if b == "cnn" { "snan-cnn" } else { "snan-vit" };
            (names.contains(&h) && names.contains(&b)).then_some((h, b))
        })
        .collect();
    if pairs.is_empty() {
        s += "No snan-X / X pair in this sweep (add e.g. `--models cnn,snan-cnn`).\n";
        return s;
    }
    s += "| hybrid | k | condition | hybrid | plain | gap ± sd | best filter | filter − plain (paired) | supremacy (gap > 3 sd) | verdict |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|\n";
    // (hybrid, k, condition, gap, hybrid − best filter) of every cell, for the plain-words section.
    let mut cells: Vec<(&str, usize, Condition, f64, Option<f64>)> = Vec::new();
    // Per-seed differences a − b over the seeds both have.
    let paired = |a: &[(u64, f64)], b: &[(u64, f64)]| -> Vec<f64> {
        a.iter().filter_map(|(seed, x)| b.iter().find(|y| y.0 == *seed).map(|y| x - y.1)).collect()
    };
    // Mean ± sd of such differences in signed points.
    let signed = |d: &[f64]| {
        let (m, sd) = mean_sd(d);
        format!("{:+.1} ± {:.1}{}", 100.0 * m, 100.0 * sd, fewer(d.len()))
    };
    for (h, b) in pairs.iter().copied() {
        for &k in &plan.shots {
            for c in &plan.conditions {
                let hv = acc(h, k, c);
                let bv = acc(b, k, c);
                let gaps = paired(&hv, &bv);
                if gaps.is_empty() {
                    continue;
                }
                let (hm, hs) = mean_sd(&hv.iter().map(|x| x.1).collect::<Vec<_>>());
                let (bm, bs) = mean_sd(&bv.iter().map(|x| x.1).collect::<Vec<_>>());
                let (gm, gs) = mean_sd(&gaps);
                // The best filter by mean accuracy, with its own gain over the plain backbone, paired
                // over seeds like the gap.
                let (best, filter_gain) = [format!("{b}+median"), format!("{b}+bilateral")]
                    .into_iter()
                    .filter_map(|f| {
                        let fv = acc(&f, k, c);
                        let v: Vec<f64> = fv.iter().map(|x| x.1).collect();
                        (!v.is_empty()).then(|| ((f, mean_sd(&v)), paired(&fv, &bv)))
                    })
                    .max_by(|a, b| a.0.1.0.total_cmp(&b.0.1.0))
                    .unzip();
                // Against the plain backbone: a gap that rounds to ±0.0 points is a tie.
                let vs_plain = if (100.0 * gm).abs() < 0.05 {
                    format!("ties with {b}")
                } else if gm > 0.0 {
                    format!("beats {b}")
                } else {
                    format!("loses to {b}")
                };
                let verdict = match &best {
                    Some((f, (fm, _))) if (100.0 * (hm - fm)).abs() < 0.05 => format!("{vs_plain}, ties with {f}"),
                    Some((f, (fm, _))) if *fm > hm => format!("{vs_plain}, loses to {f}"),
                    Some(_) => format!("{vs_plain}, beats the filters"),
                    None => vs_plain,
                };
                cells.push((h, k, *c, gm, best.as_ref().map(|(_, (fm, _))| hm - fm)));
                let best = best.map(|(f, (m, sd))| format!("{f} {}", pct(m, sd))).unwrap_or_else(|| "—".into());
                let sup = if gaps.len() < 2 {
                    "n/a (1 seed)".to_string()
                } else if gm > 3.0 * gs {
                    "yes".into()
                } else {
                    "no".into()
                };
                s += &format!(
                    "| {h} | {k} | {} | {} | {} | {} | {best} | {} | {sup} | {verdict} |\n",
                    cond_label(c),
                    pct(hm, hs) + &fewer(hv.len()),
                    pct(bm, bs) + &fewer(bv.len()),
                    signed(&gaps),
                    filter_gain.filter(|g| !g.is_empty()).map_or_else(|| "—".into(), |g| signed(&g))
                );
            }
        }
    }
    s += "\n## In plain words\n\n";
    for (h, b) in pairs {
        let mine: Vec<_> = cells.iter().filter(|c| c.0 == h).collect();
        let tie = |g: f64| (100.0 * g).abs() < 0.05;
        let wins = mine.iter().filter(|c| !tie(c.3) && c.3 > 0.0).count();
        let ties = mine.iter().filter(|c| tie(c.3)).count();
        let filtered: Vec<_> = mine.iter().filter_map(|c| c.4).collect();
        let beats_filters = filtered.iter().filter(|&&d| !tie(d) && d > 0.0).count();
        s += &format!(
            "- {h} beats {b} in {wins} of {} (k, condition) cells, ties in {ties} and loses in {}",
            mine.len(),
            mine.len() - wins - ties
        );
        if !filtered.is_empty() {
            s += &format!("; it beats the best classical filter in {beats_filters} of {}", filtered.len());
        }
        s += ".\n";
    }
    let gap_at = |c: Condition| cells.iter().find(|x| x.0 == "snan-cnn" && x.1 == 10 && x.2 == c).map(|x| x.3);
    if let (Some(clean), Some(imp), Some(occ)) =
        (gap_at(Condition::Clean), gap_at(Condition::Impulse(0.3)), gap_at(Condition::Occlusion(0.4)))
    {
        let met = imp >= 0.10 && occ >= 0.10 && clean >= -0.02;
        // The target is set on MNIST; elsewhere the same test is only a point of comparison.
        let scope = if plan.dataset == "mnist" { "" } else { " (set for MNIST; here for comparison)" };
        s += &format!(
            "- Design target{scope} at k = 10 (snan-cnn ≥ cnn + 10 at impulse 0.3 and at occlusion 0.4, within 2 of cnn \
             clean): gaps {:+.1} / {:+.1} / {:+.1} points — **{}**.\n",
            100.0 * imp,
            100.0 * occ,
            100.0 * clean,
            if met { "met" } else { "missed" }
        );
    }
    s
}

/// `--report-only`: the summary and plots of the plan's rows found in `out/results.csv`.
fn report_only(plan: &SweepPlan, out: &Path) -> Result<()> {
    let path = out.join("results.csv");
    if !path.exists() {
        bail!("{} does not exist: nothing to report", path.display());
    }
    let found: BTreeMap<Key, Row> = read_results(&path)?.into_iter().map(|r| (r.key(), r)).collect();
    let mut rows = Vec::new();
    let mut planned = 0usize;
    for key in plan_keys(plan) {
        planned += 1;
        rows.extend(found.get(&key).cloned());
    }
    let mut md = summary(plan, &rows);
    if rows.len() < planned {
        let note = format!(
            "**Partial sweep: {} of the {planned} planned rows are in results.csv** (missing cells: —; cells on fewer \
             seeds than planned say n).\n\n",
            rows.len()
        );
        let at = md.find("## Accuracy").unwrap_or(0);
        md.insert_str(at, &note);
    }
    let sum_path = out.join("summary.md");
    std::fs::write(&sum_path, &md).with_context(|| format!("cannot write {}", sum_path.display()))?;
    for plot in crate::plots::write_plots(&rows, out)? {
        println!("plot → {}", plot.display());
    }
    println!("{md}");
    println!("{} of {planned} planned rows found in {}; nothing measured", rows.len(), path.display());
    Ok(())
}

/// Runs `snan fewshot …`.
pub fn run(args: FewshotArgs) -> Result<()> {
    let bilateral = match args.bilateral.as_deref() {
        None => DEFAULT_BILATERAL,
        Some(&[space, range]) if space.is_finite() && range.is_finite() && space > 0.0 && range > 0.0 => [space, range],
        Some(v) => bail!("--bilateral takes two positive numbers σ_space,σ_range, got {v:?}"),
    };
    let scale_aug = match args.scale_aug.as_deref() {
        None => None,
        Some(&[a, b]) if a.is_finite() && b.is_finite() && 0.0 < a && a <= b => Some([a, b]),
        Some(v) => bail!("--scale-aug takes two factors a,b with 0 < a ≤ b, got {v:?}"),
    };
    let mut models =
        args.models.iter().filter(|m| !m.trim().is_empty()).map(|m| parse_model(m, bilateral)).collect::<Result<Vec<_>>>()?;
    if let Some(name) = &args.snan_variant {
        let variant = SnanFrontEndConfig::variant(name).with_context(|| {
            let known: Vec<&str> = SnanFrontEndConfig::VARIANTS.iter().map(|v| v.0).collect();
            format!("unknown --snan-variant `{name}` (known: {})", known.join(", "))
        })?;
        for m in models.iter_mut().filter(|m| matches!(m.front, FrontEndConfig::Snan(_))) {
            m.front = FrontEndConfig::Snan(variant.clone());
        }
    }
    if models.is_empty() {
        bail!("--models is empty");
    }
    let conditions = conditions(&args.impulse, &args.occlusion)?;
    if args.shots.is_empty() || args.shots.contains(&0) {
        bail!("--shots must list positive numbers");
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let test_size = match args.test_size.trim() {
        "all" => None,
        t => Some(
            t.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("--test-size `{t}` is neither a positive number nor `all`"))?,
        ),
    };
    let kind = args.dataset.kind();
    let plan = SweepPlan {
        dataset: kind.dir_name().to_string(),
        models,
        shots: args.shots.clone(),
        seeds: (0..args.seeds).collect(),
        conditions,
        test_size,
        epochs: args.epochs,
        scale_aug,
    };
    if args.report_only {
        return report_only(&plan, &args.out);
    }
    let root = resolve_data_dir(args.data_dir.as_deref(), kind.dir_name());
    let split = load_mnist_like(&root.path, kind)
        .with_context(|| format!("cannot load {} from {}", kind.dir_name(), root.path.display()))?;
    let dev = device(args.backend)?;
    let groups = plan.models.len() * plan.shots.len() * plan.seeds.len();
    let total = (groups * units_per_group(&plan)) as u64;
    let mut bar = Progress::new("fewshot", total);
    let mut done = 0u64;
    let per = units_per_group(&plan) as u64;
    let (mut trained, mut measured, mut skipped) = (0usize, 0usize, 0usize);
    let t0 = Instant::now();
    let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let rows = run_sweep(&plan, &split, &dev, &args.out, &mut |e| {
        match e {
            SweepEvent::Training { model, shots, seed } => {
                trained += 1;
                if !tty {
                    println!("fewshot: training {model} k={shots} seed={seed}");
                }
            }
            SweepEvent::Epoch => done += 1,
            SweepEvent::Row(r) => {
                if !tty {
                    println!(
                        "fewshot: {} k={} seed={} {} {}: {:.1} % ({} images)",
                        r.model,
                        r.shots,
                        r.seed,
                        r.corruption,
                        r.level,
                        100.0 * r.accuracy,
                        r.test_n
                    );
                }
                measured += 1;
                done += 1
            }
            SweepEvent::Skipped => {
                skipped += 1;
                done += per
            }
            SweepEvent::FrontEndFitted { front, shots, seed } => {
                if !tty {
                    println!("fewshot: front-end {front} fitted on k={shots} seed={seed} (shared by the models that use it)");
                }
            }
        }
        bar.update(done.min(total), total);
    })?;
    bar.finish();
    let md = summary(&plan, &rows);
    let sum_path = args.out.join("summary.md");
    std::fs::write(&sum_path, &md).with_context(|| format!("cannot write {}", sum_path.display()))?;
    for plot in crate::plots::write_plots(&rows, &args.out)? {
        println!("plot → {}", plot.display());
    }
    println!("{md}");
    println!(
        "{trained} model×k×seed trained, {skipped} skipped (already done); {measured} rows measured in {:.1} s → {}",
        t0.elapsed().as_secs_f64(),
        args.out.join("results.csv").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    
    /// 2 classes of 28×28 bars (vertical / horizontal), `n` images.
    fn bars(n: usize) -> ImageSet {
        let (h, w) = (28, 28);
        let mut images = vec![0.0; n * h * w];
        let mut labels = Vec::new();
        for i in 0..n {
            let class = (i % 2) as u32;
            let pos = 8 + (i / 2) % 12;
            for t in 4..24 {
                for d in 0..3 {
                    let (y, x) = if class == 0 { (t, pos + d) } else { (pos + d, t) };
                    images[i * h * w + y * w + x] = 1.0;
                }
            }
            labels.push(class);
        }
        ImageSet { images, labels, height: h, width: w, num_classes: 2 }
    }

    fn plan() -> SweepPlan {
        SweepPlan {
            dataset: "bars".into(),
            models: vec![parse_model("cnn", DEFAULT_BILATERAL).unwrap(), parse_model("cnn+median", DEFAULT_BILATERAL).unwrap()],
            shots: vec![2],
            seeds: vec![0, 1],
            conditions: conditions(&[0.0, 0.3], &[0.4]).unwrap(),
            test_size: Some(6),
            epochs: 1,
            scale_aug: None,
        }
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("snan-fewshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn model_names_and_levels_are_checked() {
        for n in MODEL_NAMES {
            assert_eq!(parse_model(n, DEFAULT_BILATERAL).unwrap().name, n);
        }
        let e = parse_model("resnet", DEFAULT_BILATERAL).unwrap_err().to_string();
        assert!(e.contains("unknown model `resnet`") && e.contains("snan-cnn"), "{e}");
        assert!(parse_model("cnn+gauss", DEFAULT_BILATERAL).is_err());
        assert!(conditions(&[f32::NAN], &[]).is_err());
        assert!(conditions(&[0.1], &[-0.2]).is_err());
        assert!(conditions(&[1.5], &[]).is_err());
        let c = conditions(&[0.0, 0.1, 0.1], &[0.0, 0.2]).unwrap();
        assert_eq!(c, vec![Condition::Clean, Condition::Impulse(0.1), Condition::Occlusion(0.2)]);
    }

    #[test]
    fn csv_schema_and_resume() {
        let split = Split { train: bars(20), test: bars(12) };
        let dev = Device::flex();
        let out = tmp("resume");
        let p = plan();
        let mut trainings = Vec::new();
        let rows = run_sweep(&p, &split, &dev, &out, &mut |e| {
            if let SweepEvent::Training { model, seed, .. } = e {
                trainings.push((model, seed))
            }
        })
        .unwrap();
        assert_eq!(trainings.len(), 4);
        assert_eq!(rows.len(), 4 * 3);
        let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines.len(), 1 + 12);
        for l in &lines[1..] {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 9, "{l}");
            assert_eq!(f[0], "bars");
            assert!(["cnn", "cnn+median"].contains(&f[1]));
            assert_eq!(f[2], "2");
            assert!(["none", "impulse", "occlusion"].contains(&f[4]));
            let acc: f64 = f[6].parse().unwrap();
            assert!((0.0..=1.0).contains(&acc));
            assert_eq!(f[7], "6");
            assert!(f[8].parse::<f64>().unwrap() >= 0.0);
        }
        let md = summary(&p, &rows);
        assert!(md.contains("| cnn+median | 2 |"), "{md}");
        assert!(md.contains("No snan-X / X pair"));

        // Simulate an interruption: keep the header, the first 7 rows and half of the 8th.
        let mut cut: String = lines[..8].iter().map(|l| format!("{l}\n")).collect();
        cut += &lines[8][..10];
        std::fs::write(out.join("results.csv"), &cut).unwrap();
        let kept: Vec<Row> = read_results(&out.join("results.csv")).unwrap();
        assert_eq!(kept.len(), 7);
        let mut trainings = Vec::new();
        let mut new_rows = Vec::new();
        let rows2 = run_sweep(&p, &split, &dev, &out, &mut |e| match e {
            SweepEvent::Training { model, seed, .. } => trainings.push((model, seed)),
            SweepEvent::Row(r) => new_rows.push(r),
            _ => {}
        })
        .unwrap();
        // Rows are written per task: 1-3 cnn seed 0, 4-6 cnn+median seed 0, 7 cnn seed 1 clean. So
        // seed 0 is skipped, cnn seed 1 trains for its 2 missing rows, cnn+median seed 1 for all 3.
        assert_eq!(trainings, vec![("cnn".to_string(), 1), ("cnn+median".to_string(), 1)]);
        assert_eq!(new_rows.len(), 5);
        assert!(new_rows.iter().all(|r| !kept.iter().any(|k| k.key() == r.key())));
        let after = read_results(&out.join("results.csv")).unwrap();
        assert_eq!(after.len(), 12);
        assert_eq!(&after[..7], &kept[..]);
        assert_eq!(rows2.len(), 12);
        let keys: HashSet<Key> = after.iter().map(|r| r.key()).collect();
        assert_eq!(keys.len(), 12, "no duplicates");

        // A third run has nothing to do.
        let mut trained = 0;
        run_sweep(&p, &split, &dev, &out, &mut |e| {
            if matches!(e, SweepEvent::Training { .. }) {
                trained += 1
            }
        })
        .unwrap();
        assert_eq!(trained, 0);
        assert_eq!(read_results(&out.join("results.csv")).unwrap().len(), 12);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn models_with_the_same_front_end_share_its_fit_and_outputs() {
        let split = Split { train: bars(20), test: bars(12) };
        let dev = Device::flex();
        let mut p = plan();
        p.models = ["cnn+median", "cnn", "vit+median"].iter().map(|n| parse_model(n, DEFAULT_BILATERAL).unwrap()).collect();
        let shared = tmp("shared");
        let mut fits = Vec::new();
        let rows = run_sweep(&p, &split, &dev, &shared, &mut |e| {
            if let SweepEvent::FrontEndFitted { front, seed, .. } = e {
                fits.push((front, seed))
            }
        })
        .unwrap();
        let names = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let got: Vec<String> = fits.iter().map(|(f, s)| format!("{f}{s}")).collect();
        assert_eq!(got, names(&["median0", "none0", "median1", "none1"]));
        // Sharing changes no number: vit+median alone gives the same rows.
        p.models = vec![parse_model("vit+median", DEFAULT_BILATERAL).unwrap()];
        let alone = tmp("alone");
        let solo = run_sweep(&p, &split, &dev, &alone, &mut |_| {}).unwrap();
        let acc = |r: &[Row]| r.iter().filter(|r| r.model == "vit+median").map(|r| r.accuracy).collect::<Vec<_>>();
        assert_eq!(acc(&rows), acc(&solo));
        let _ = std::fs::remove_dir_all(&shared);
        let _ = std::fs::remove_dir_all(&alone);
    }

    #[test]
    fn report_only_summarises_a_partial_sweep_without_measuring() {
        let split = Split { train: bars(20), test: bars(12) };
        let dev = Device::flex();
        let out = tmp("report");
        let p = plan();
        assert!(report_only(&p, &out).unwrap_err().to_string().contains("does not exist"));
        run_sweep(&p, &split, &dev, &out, &mut |_| {}).unwrap();
        let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
        // Keep cnn (both seeds) and cnn+median seed 0: 9 of 12 rows.
        let kept: String = text.lines().filter(|l| !l.contains(",cnn+median,2,1,")).map(|l| format!("{l}\n")).collect();
        std::fs::write(out.join("results.csv"), &kept).unwrap();
        report_only(&p, &out).unwrap();
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        assert!(md.contains("Partial sweep: 9 of the 12 planned rows"), "{md}");
        let median_row = md.lines().find(|l| l.starts_with("| cnn+median | 2 |")).unwrap();
        assert_eq!(median_row.matches("(n = 1)").count(), 3, "{md}");
        let cnn_row = md.lines().find(|l| l.starts_with("| cnn | 2 |")).unwrap();
        assert!(!cnn_row.contains("(n ="), "{md}");
        assert_eq!(std::fs::read_to_string(out.join("results.csv")).unwrap(), kept, "nothing measured");
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_foreign_csv_is_refused() {
        let out = tmp("foreign");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("results.csv"), "a,b,c\n1,2,3\n").unwrap();
        assert!(read_results(&out.join("results.csv")).unwrap_err().to_string().contains("expected"));
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn summary_reports_the_gap_and_best_filter() {
        let mut p = plan();
        p.models = ["cnn", "snan-cnn", "cnn+median", "cnn+bilateral"].iter().map(|n| parse_model(n, DEFAULT_BILATERAL).unwrap()).collect();
        let mut rows = Vec::new();
        for (model, base) in [("cnn", 0.5), ("snan-cnn", 0.8), ("cnn+median", 0.6), ("cnn+bilateral", 0.55)] {
            for seed in [0u64, 1] {
                for c in &p.conditions {
                    rows.push(Row {
                        dataset: "bars".into(),
                        model: model.into(),
                        shots: 2,
                        seed,
                        corruption: c.kind().into(),
                        level: c.level().to_string(),
                        accuracy: base + 0.01 * seed as f64,
                        test_n: 6,
                        seconds: 0.1,
                    });
                }
            }
        }
        let md = summary(&p, &rows);
        assert!(
            md.contains(
                "| snan-cnn | 2 | impulse 0.3 | 80.5 ± 0.7 | 50.5 ± 0.7 | +30.0 ± 0.0 | cnn+median 60.5 ± 0.7 | +10.0 ± 0.0 | yes | beats cnn, beats the filters |"
            ),
            "{md}"
        );
        assert!(md.contains("- snan-cnn beats cnn in 3 of 3 (k, condition) cells, ties in 0 and loses in 0; it beats the best classical filter in 3 of 3."), "{md}");
        assert!(!md.contains("Design target"), "no k = 10 in this plan: {md}");

        // A hybrid that loses to both, at the design target's cells.
        p.shots = vec![10];
        p.conditions = conditions(&[0.3], &[0.4]).unwrap();
        for r in rows.iter_mut() {
            r.shots = 10;
            if r.model == "snan-cnn" {
                r.accuracy = 0.45 + 0.01 * r.seed as f64;
            }
        }
        let md = summary(&p, &rows);
        assert!(md.contains("| -5.0 ± 0.0 | cnn+median 60.5 ± 0.7 | +10.0 ± 0.0 | no | loses to cnn, loses to cnn+median |"), "{md}");
        assert!(md.contains("- snan-cnn beats cnn in 0 of 3 (k, condition) cells, ties in 0 and loses in 3"), "{md}");
        assert!(md.contains("gaps -5.0 / -5.0 / -5.0 points — **missed**"), "{md}");
        assert!(md.contains("Design target (set for MNIST; here for comparison) at k = 10"), "plan on bars: {md}");
        p.dataset = "mnist".into();
        assert!(summary(&p, &rows).contains("- Design target at k = 10 (snan-cnn"));
    }
}
