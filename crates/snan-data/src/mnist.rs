//! MNIST and Fashion-MNIST from a folder holding the four standard IDX files, each either
//! gzip-compressed (`name.gz`, as published) or raw (`name`).

use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::idx::read_idx;
use crate::image_set::{ImageSet, Split};

/// Side length of MNIST-like images; anything else is rejected as the wrong data.
pub const MNIST_SIDE: usize = 28;

/// The four standard file stems, without `.gz`.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The two 28×28, 10-class IDX data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// Handwritten digits 0–9 (LeCun, Cortes, Burges; CC BY-SA 3.0).
    Mnist,
    /// Zalando article images (Xiao, Rasul, Vollgraf; MIT).
    FashionMnist,
}

impl DatasetKind {
    /// Folder name under a data root (`mnist`, `fashion-mnist`).
    pub fn dir_name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    /// Human-readable class names, index = label.
    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            DatasetKind::Mnist => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            DatasetKind::FashionMnist => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }
}

/// Finds `dir/stem.gz`, else `dir/stem`; the error names the preferred `.gz` path.
pub fn find_idx_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let raw = dir.join(stem);
    if raw.is_file() {
        return Ok(raw);
    }
    Err(DataError::MissingFile {
        path: gz,
        what: format!("IDX file `{stem}` (.gz or raw)"),
    })
}

/// Loads the train and test splits of an MNIST-like folder, checking magic numbers, lengths,
/// 28×28 dimensions, image/label counts and label range.
pub fn load_mnist_like(dir: &Path, kind: DatasetKind) -> Result<Split> {
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            path: dir.to_path_buf(),
            what: format!("{} folder with the 4 IDX files", kind.dir_name()),
        });
    }
    Ok(Split {
        train: load_part(dir, MNIST_FILES[0], MNIST_FILES[1])?,
        test: load_part(dir, MNIST_FILES[2], MNIST_FILES[3])?,
    })
}

fn load_part(dir: &Path, images_stem: &str, labels_stem: &str) -> Result<ImageSet> {
    let ip = find_idx_file(dir, images_stem)?;
    let lp = find_idx_file(dir, labels_stem)?;
    let img = read_idx(&ip, 3)?;
    let lab = read_idx(&lp, 1)?;
    let (n, h, w) = (img.dims[0], img.dims[1], img.dims[2]);
    if h != MNIST_SIDE || w != MNIST_SIDE {
        return Err(DataError::BadImageSize {
            path: ip,
            expected_h: MNIST_SIDE,
            expected_w: MNIST_SIDE,
            got_h: h,
            got_w: w,
        });
    }
    if lab.dims[0] != n {
        return Err(DataError::CountMismatch {
            images: ip,
            n_images: n,
            labels: lp,
            n_labels: lab.dims[0],
        });
    }
    if let Some((index, &l)) = lab.data.iter().enumerate().find(|&(_, &l)| l >= 10) {
        return Err(DataError::BadLabel {
            path: lp,
            index,
            label: l as u32,
            num_classes: 10,
        });
    }
    Ok(ImageSet {
        images: img.data.iter().map(|&b| b as f32 / 255.0).collect(),
        labels: lab.data.iter().map(|&l| l as u32).collect(),
        height: h,
        width: w,
        num_classes: 10,
    })
}
