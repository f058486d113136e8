//! Loader tests on the embedded subset, on the full data when present, and one test per kind of
//! bad input: each must be a one-line `DataError` naming the file and the fault.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::DataError;
use crate::idx::encode_idx;
use crate::mnist::{DatasetKind, MNIST_FILES, load_mnist_like};
use crate::omniglot::{OmniglotSplit, load_omniglot};
use crate::root::embedded_dir;

/// A fresh, empty temp folder for one test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snan-data-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Writes a valid MNIST-like folder (raw IDX) with `n` train and test images of `h × w`.
fn write_mnist(dir: &Path, n_img: usize, n_lab: usize, h: usize, w: usize) {
    let img = encode_idx(&[n_img, h, w], &vec![7u8; n_img * h * w]);
    let lab = encode_idx(&[n_lab], &vec![3u8; n_lab]);
    for (i, stem) in MNIST_FILES.iter().enumerate() {
        std::fs::write(dir.join(stem), if i % 2 == 0 { &img } else { &lab }).unwrap();
    }
}

fn one_line(e: &DataError, must: &[&str]) {
    let s = e.to_string();
    assert!(!s.contains('\n'), "multi-line error: {s}");
    for m in must {
        assert!(s.contains(m), "error `{s}` lacks `{m}`");
    }
}

#[test]
fn embedded_mnist_and_fashion_load_with_documented_counts() {
    for kind in [DatasetKind::Mnist, DatasetKind::FashionMnist] {
        let s = load_mnist_like(&embedded_dir(kind.dir_name()), kind).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (500, 1000));
        assert_eq!(s.train.class_counts(), vec![50; 10]);
        assert_eq!(s.test.class_counts(), vec![100; 10]);
        assert_eq!((s.train.height, s.train.width), (28, 28));
        assert!(s.train.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
        let mean: f32 = s.train.images.iter().sum::<f32>() / s.train.images.len() as f32;
        assert!(mean > 0.05 && mean < 0.5, "{kind:?} mean {mean}");
    }
}

#[test]
fn raw_and_gz_idx_load_identically() {
    let d = tmp("rawgz");
    write_mnist(&d, 4, 4, 28, 28);
    let raw = load_mnist_like(&d, DatasetKind::Mnist).unwrap();
    for stem in MNIST_FILES {
        let b = std::fs::read(d.join(stem)).unwrap();
        std::fs::remove_file(d.join(stem)).unwrap();
        std::fs::write(d.join(format!("{stem}.gz")), gz(&b)).unwrap();
    }
    let z = load_mnist_like(&d, DatasetKind::Mnist).unwrap();
    assert_eq!(raw.train.images, z.train.images);
    assert_eq!(z.test.labels, vec![3; 4]);
    assert!((z.train.images[0] - 7.0 / 255.0).abs() < 1e-7);
}

#[test]
fn full_data_when_present() {
    let root = Path::new("/work/shared/datasets");
    if !root.is_dir() {
        eprintln!("full data not present; skipped");
        return;
    }
    let s = load_mnist_like(&root.join("mnist"), DatasetKind::Mnist).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (60_000, 10_000));
    let bg = load_omniglot(&root.join("omniglot"), OmniglotSplit::Background, Some(28)).unwrap();
    assert_eq!(
        (bg.characters.len(), bg.len(), bg.alphabets.len()),
        (964, 19_280, 30)
    );
    assert_eq!((bg.height, bg.width), (28, 28));
}

#[test]
fn embedded_omniglot_zip_and_folder_agree() {
    let z = embedded_dir("omniglot");
    let bg = load_omniglot(&z, OmniglotSplit::Background, None).unwrap();
    assert_eq!(bg.alphabets.len(), 3);
    assert_eq!(bg.characters.len(), 20 + 14 + 26);
    assert_eq!(bg.len(), 60 * 20);
    assert!(bg.images_per_character().iter().all(|&n| n == 20));
    assert_eq!((bg.height, bg.width), (105, 105));
    // Strokes are bright after inversion, and thin: a few percent of the pixels.
    let on = bg.images.iter().filter(|&&v| v > 0.5).count() as f64 / bg.images.len() as f64;
    assert!(on > 0.01 && on < 0.2, "{on}");
    assert!(bg.drawer.iter().all(|&d| (1..=20).contains(&d)));
    let ev = load_omniglot(
        &z.join("images_evaluation.zip"),
        OmniglotSplit::Evaluation,
        Some(28),
    )
    .unwrap();
    assert_eq!((ev.characters.len(), ev.len()), (46, 920));
    assert!(ev.characters.iter().all(|c| c.id >= 965));
    let set = ev.to_image_set();
    assert_eq!(set.num_classes, 46);
    assert_eq!(set.class_counts(), vec![20; 46]);

    // Extract a few characters into a folder: same pixels and metadata as from the zip.
    let d = tmp("omni-dir");
    let a = &bg.alphabets[0];
    for i in 0..40 {
        let ch = &bg.characters[bg.character[i] as usize];
        let p = d.join("images_background").join(a).join(&ch.folder);
        std::fs::create_dir_all(&p).unwrap();
        let px: Vec<u8> = bg
            .image(i)
            .iter()
            .map(|&v| ((1.0 - v) * 255.0).round() as u8)
            .collect();
        let img = image::GrayImage::from_raw(105, 105, px).unwrap();
        img.save(p.join(format!("{:04}_{:02}.png", ch.id, bg.drawer[i])))
            .unwrap();
    }
    let fromdir = load_omniglot(&d, OmniglotSplit::Background, None).unwrap();
    assert_eq!(fromdir.len(), 40);
    assert_eq!(fromdir.images, bg.images[..40 * 105 * 105].to_vec());
    assert_eq!(fromdir.drawer, bg.drawer[..40].to_vec());
}

#[test]
fn bad_truncated_gz() {
    let d = tmp("trunc");
    let good = std::fs::read(embedded_dir("mnist").join("t10k-images-idx3-ubyte.gz")).unwrap();
    write_mnist(&d, 3, 3, 28, 28);
    std::fs::remove_file(d.join("train-images-idx3-ubyte")).unwrap();
    std::fs::write(
        d.join("train-images-idx3-ubyte.gz"),
        &good[..good.len() / 2],
    )
    .unwrap();
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::Gzip { .. }), "{e}");
    one_line(&e, &["train-images-idx3-ubyte.gz", "gzip"]);
}

#[test]
fn bad_idx_magic() {
    let d = tmp("magic");
    write_mnist(&d, 3, 3, 28, 28);
    // A label file where the image file should be.
    std::fs::copy(
        d.join("train-labels-idx1-ubyte"),
        d.join("train-images-idx3-ubyte"),
    )
    .unwrap();
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::IdxHeader { .. }), "{e}");
    one_line(
        &e,
        &[
            "train-images-idx3-ubyte",
            "magic number 2049",
            "expected 2051",
        ],
    );
}

#[test]
fn bad_idx_truncated_payload() {
    let d = tmp("payload");
    write_mnist(&d, 3, 3, 28, 28);
    let b = std::fs::read(d.join("t10k-images-idx3-ubyte")).unwrap();
    std::fs::write(d.join("t10k-images-idx3-ubyte"), &b[..b.len() - 10]).unwrap();
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::IdxLength { .. }), "{e}");
    one_line(&e, &["t10k-images-idx3-ubyte", "truncated"]);
}

#[test]
fn bad_count_mismatch() {
    let d = tmp("count");
    write_mnist(&d, 5, 4, 28, 28);
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::CountMismatch { .. }), "{e}");
    one_line(&e, &["train-images-idx3-ubyte", "5 images", "4 labels"]);
}

#[test]
fn bad_image_dimensions() {
    let d = tmp("dims");
    write_mnist(&d, 2, 2, 27, 28);
    let e = load_mnist_like(&d, DatasetKind::FashionMnist).unwrap_err();
    assert!(matches!(e, DataError::BadImageSize { .. }), "{e}");
    one_line(&e, &["train-images-idx3-ubyte", "27x28", "expected 28x28"]);
}

#[test]
fn bad_label_value() {
    let d = tmp("label");
    write_mnist(&d, 2, 2, 28, 28);
    std::fs::write(
        d.join("train-labels-idx1-ubyte"),
        encode_idx(&[2], &[1, 10]),
    )
    .unwrap();
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    one_line(&e, &["train-labels-idx1-ubyte", "label 10"]);
}

#[test]
fn bad_missing_file_and_folder() {
    let d = tmp("missing");
    write_mnist(&d, 2, 2, 28, 28);
    std::fs::remove_file(d.join("t10k-labels-idx1-ubyte")).unwrap();
    let e = load_mnist_like(&d, DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::MissingFile { .. }), "{e}");
    one_line(&e, &["t10k-labels-idx1-ubyte", "not found"]);
    let e = load_mnist_like(Path::new("/nonexistent/snan"), DatasetKind::Mnist).unwrap_err();
    assert!(matches!(e, DataError::MissingDir { .. }), "{e}");
    one_line(&e, &["/nonexistent/snan", "folder not found"]);
    let e = load_omniglot(&d, OmniglotSplit::Evaluation, None).unwrap_err();
    one_line(&e, &["images_evaluation.zip", "not found"]);
    let e = load_omniglot(
        Path::new("/nonexistent/omni"),
        OmniglotSplit::Background,
        None,
    )
    .unwrap_err();
    one_line(&e, &["/nonexistent/omni", "not found"]);
}

#[test]
fn bad_corrupt_zip() {
    let d = tmp("zip");
    std::fs::write(
        d.join("images_background.zip"),
        b"PK\x03\x04 this is not really a zip",
    )
    .unwrap();
    let e = load_omniglot(&d, OmniglotSplit::Background, None).unwrap_err();
    assert!(matches!(e, DataError::Zip { .. }), "{e}");
    one_line(&e, &["images_background.zip", "corrupt zip"]);
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_pixel(w, h, image::Luma([255u8]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[test]
fn bad_omniglot_png_size_in_zip_and_folder() {
    let d = tmp("pngsize");
    let zpath = d.join("images_background.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
        let opt = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("images_background/A/character01/0001_01.png", opt)
            .unwrap();
        z.write_all(&png(105, 105)).unwrap();
        z.start_file("images_background/A/character01/0001_02.png", opt)
            .unwrap();
        z.write_all(&png(50, 60)).unwrap();
        z.finish().unwrap();
    }
    let e = load_omniglot(&zpath, OmniglotSplit::Background, None).unwrap_err();
    assert!(matches!(e, DataError::BadImageSize { .. }), "{e}");
    one_line(
        &e,
        &[
            "images_background.zip!/images_background/A/character01/0001_02.png",
            "60x50",
            "expected 105x105",
        ],
    );

    let dir = d.join("images_evaluation/B/character01");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("0965_01.png"), png(104, 105)).unwrap();
    let e = load_omniglot(&d, OmniglotSplit::Evaluation, None).unwrap_err();
    one_line(&e, &["0965_01.png", "105x104"]);
    // Not a PNG at all.
    std::fs::write(dir.join("0965_01.png"), b"garbage").unwrap();
    let e = load_omniglot(&d, OmniglotSplit::Evaluation, None).unwrap_err();
    assert!(matches!(e, DataError::Image { .. }), "{e}");
    one_line(&e, &["0965_01.png", "cannot decode"]);
}
