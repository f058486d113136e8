//! `snan data`: inspect the data sets (counts, shapes, checksums) and render corruption grids.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use snan_data::checksums::{ChecksumStatus, FileCheck, Reference, check_dir};
use snan_data::corrupt::{Corruption, image_rng};
use snan_data::omniglot::{OmniglotSet, OmniglotSplit, load_omniglot};
use snan_data::root::{DataRoot, RootSource, resolve_data_dir};
use snan_data::sampling::stratified_subset;
use snan_data::{DatasetKind, ImageSet, load_mnist_like};

/// `println!` that ignores a closed stdout (e.g. `snan data info | head`) instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Arguments of `snan data`.
#[derive(Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Counts, image shape, per-class counts and checksum status of a data set.
    Info(InfoArgs),
    /// Write a PNG grid: one row per sample, the clean image then each corruption.
    Show(ShowArgs),
}

/// The data sets `snan data` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DatasetArg {
    Mnist,
    FashionMnist,
    Omniglot,
}

impl DatasetArg {
    fn dir_name(self) -> &'static str {
        match self {
            DatasetArg::Mnist => "mnist",
            DatasetArg::FashionMnist => "fashion-mnist",
            DatasetArg::Omniglot => "omniglot",
        }
    }
}

/// Where to read a data set from.
#[derive(Args)]
struct Source {
    /// Data set to use.
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: DatasetArg,
    /// Folder of the data set (or a root holding `<dataset>/`). Default: $SNAN_DATA_DIR, else the
    /// small embedded subset in `datasets/`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
struct InfoArgs {
    #[command(flatten)]
    source: Source,
}

#[derive(Args)]
struct ShowArgs {
    #[command(flatten)]
    source: Source,
    /// Number of sample rows (drawn stratified from the test / evaluation split).
    #[arg(long, default_value_t = 8)]
    n: usize,
    /// Seed for the choice of samples and for the corruptions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A corruption column, repeatable: impulse:P, occlusion:S[:erase|solid|noise], translate:T,
    /// scale:MIN:MAX, binarize:T.
    #[arg(long = "corrupt", value_parser = Corruption::parse)]
    corrupt: Vec<Corruption>,
    /// Pixel magnification (default: 4 for 28×28, 1 for 105×105 Omniglot).
    #[arg(long)]
    zoom: Option<u32>,
    /// Output PNG.
    #[arg(long, default_value = "grid.png")]
    out: PathBuf,
}

/// Runs `snan data …`.
pub fn run(args: DataArgs) -> Result<()> {
    match args.command {
        DataCommand::Info(a) => info(&a.source),
        DataCommand::Show(a) => show(&a),
    }
}

fn resolve(src: &Source) -> DataRoot {
    resolve_data_dir(src.data_dir.as_deref(), src.dataset.dir_name())
}

fn source_label(root: &DataRoot) -> &'static str {
    match root.source {
        RootSource::Explicit => "--data-dir",
        RootSource::Env => "$SNAN_DATA_DIR",
        RootSource::Embedded => "embedded subset",
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load_mnist(kind: DatasetKind, root: &DataRoot) -> Result<snan_data::Split> {
    load_mnist_like(&root.path, kind).with_context(|| format!("cannot load {}", kind.dir_name()))
}

fn load_omni(root: &DataRoot, split: OmniglotSplit) -> Result<OmniglotSet> {
    load_omniglot(&root.path, split, None)
        .with_context(|| format!("cannot load Omniglot {}", split.folder_name()))
}

fn info(src: &Source) -> Result<()> {
    let root = resolve(src);
    say!("dataset: {}", src.dataset.dir_name());
    say!("folder:  {} ({})", root.path.display(), source_label(&root));
    match src.dataset {
        DatasetArg::Mnist | DatasetArg::FashionMnist => {
            let kind = if src.dataset == DatasetArg::Mnist {
                DatasetKind::Mnist
            } else {
                DatasetKind::FashionMnist
            };
            let s = load_mnist(kind, &root)?;
            say!("train:   {} images", thousands(s.train.len()));
            say!("test:    {} images", thousands(s.test.len()));
            say!(
                "shape:   {}x{} grayscale, {} classes",
                s.train.height,
                s.train.width,
                s.train.num_classes
            );
            say!("per class (train / test):");
            let names = kind.class_names();
            for (c, (a, b)) in s
                .train
                .class_counts()
                .iter()
                .zip(s.test.class_counts())
                .enumerate()
            {
                let name = if kind == DatasetKind::Mnist {
                    String::new()
                } else {
                    format!(" {:<11}", names[c])
                };
                say!("  {c}{name} {:>7} / {:>6}", thousands(*a), thousands(b));
            }
        }
        DatasetArg::Omniglot => {
            for split in OmniglotSplit::ALL {
                let s = load_omni(&root, split)?;
                let per = s.images_per_character();
                let (lo, hi) = (
                    per.iter().min().copied().unwrap_or(0),
                    per.iter().max().copied().unwrap_or(0),
                );
                say!(
                    "{:<11} {} alphabets, {} characters, {} images of {}x{}, images per character {}",
                    format!("{}:", &split.folder_name()[7..]),
                    s.alphabets.len(),
                    thousands(s.characters.len()),
                    thousands(s.len()),
                    s.height,
                    s.width,
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}–{hi}")
                    }
                );
            }
        }
    }
    report_checksums(&root.path, src.dataset.dir_name())
}

/// Prints the checksum status: published digests first; if those do not all match, the
/// embedded-subset digests (so a copy of the shipped subset is recognised as such).
fn report_checksums(dir: &Path, name: &str) -> Result<()> {
    let published = check_dir(dir, name, Reference::Published)?;
    let all_ok = |v: &[FileCheck]| {
        !v.is_empty()
            && v.iter()
                .all(|c| matches!(c.status, ChecksumStatus::Matches { .. }))
    };
    let (label, checks) = if all_ok(&published) {
        ("OK", published)
    } else {
        let sub = check_dir(dir, name, Reference::EmbeddedSubset)?;
        if all_ok(&sub) {
            ("OK (embedded subset)", sub)
        } else {
            (
                "MISMATCH (see files below; results may not be comparable)",
                published,
            )
        }
    };
    say!("checksums: {label}");
    for c in &checks {
        let s = match &c.status {
            ChecksumStatus::Matches { origin } => format!("matches ({origin})"),
            ChecksumStatus::Differs { sha256, .. } => format!("DIFFERS (sha256 {sha256})"),
            ChecksumStatus::Absent => "absent".to_string(),
        };
        say!("  {:<28} {s}", c.name);
    }
    Ok(())
}

fn show(a: &ShowArgs) -> Result<()> {
    if a.n == 0 {
        bail!("--n must be at least 1");
    }
    let root = resolve(&a.source);
    let (set, what): (ImageSet, &str) = match a.source.dataset {
        DatasetArg::Mnist => (load_mnist(DatasetKind::Mnist, &root)?.test, "test"),
        DatasetArg::FashionMnist => (load_mnist(DatasetKind::FashionMnist, &root)?.test, "test"),
        DatasetArg::Omniglot => (
            load_omni(&root, OmniglotSplit::Evaluation)?.to_image_set(),
            "evaluation",
        ),
    };
    if set.is_empty() {
        bail!("{}: the {what} split is empty", root.path.display());
    }
    let idx = stratified_subset(&set, a.n, a.seed);
    let (h, w) = (set.height, set.width);
    let zoom = a.zoom.unwrap_or(if h <= 32 { 4 } else { 1 }).max(1) as usize;
    let cols = 1 + a.corrupt.len();
    let rows = idx.len();
    let sep = 2usize;
    let (cw, ch) = (w * zoom, h * zoom);
    let (gw, gh) = (cols * cw + (cols + 1) * sep, rows * ch + (rows + 1) * sep);
    let mut grid = image::GrayImage::from_pixel(gw as u32, gh as u32, image::Luma([200u8]));
    for (r, &i) in idx.iter().enumerate() {
        let clean = set.image(i);
        let mut cells = vec![clean.to_vec()];
        for c in &a.corrupt {
            let mut img = clean.to_vec();
            // Same (seed, image index) stream as `corrupt_set` on the full split.
            c.apply(&mut img, h, w, &mut image_rng(a.seed, i as u64));
            cells.push(img);
        }
        for (col, cell) in cells.iter().enumerate() {
            let (x0, y0) = (sep + col * (cw + sep), sep + r * (ch + sep));
            for y in 0..ch {
                for x in 0..cw {
                    let v = cell[(y / zoom) * w + x / zoom].clamp(0.0, 1.0);
                    grid.put_pixel(
                        (x0 + x) as u32,
                        (y0 + y) as u32,
                        image::Luma([(v * 255.0).round() as u8]),
                    );
                }
            }
        }
    }
    grid.save(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let names: Vec<String> = std::iter::once("clean".to_string())
        .chain(a.corrupt.iter().map(|c| c.to_string()))
        .collect();
    say!(
        "wrote {}: {rows} rows x {cols} columns [{}], {what} images {:?} from {} ({})",
        a.out.display(),
        names.join(", "),
        idx,
        root.path.display(),
        source_label(&root)
    );
    Ok(())
}
