//! Omniglot (Lake et al., MIT) from its standard layout
//! `images_background/Alphabet/characterXX/NNNN_DD.png` — either extracted in a folder or read
//! straight from `images_background.zip` / `images_evaluation.zip` (no unpacking needed).
//!
//! Each image keeps its alphabet, character and drawer. PNGs are black strokes on white; they are
//! inverted on load (stroke = 1.0, background = 0.0) to match MNIST's convention. Decoding runs on
//! all cores (`std::thread::scope`), so the full 32,460 images load in a few seconds.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::image_set::ImageSet;
use crate::resize::resize_area;

/// Side length of an original Omniglot image.
pub const OMNIGLOT_SIDE: usize = 105;

/// Which half of Omniglot: background (30 alphabets, 964 characters, 19,280 images in the full
/// set) is for training; evaluation (20 alphabets, 659 characters, 13,180 images) for few-shot tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OmniglotSplit {
    /// `images_background`.
    Background,
    /// `images_evaluation`.
    Evaluation,
}

impl OmniglotSplit {
    /// Both splits, background first.
    pub const ALL: [OmniglotSplit; 2] = [OmniglotSplit::Background, OmniglotSplit::Evaluation];

    /// Top folder (and zip stem) of the split.
    pub fn folder_name(self) -> &'static str {
        match self {
            OmniglotSplit::Background => "images_background",
            OmniglotSplit::Evaluation => "images_evaluation",
        }
    }
}

/// One Omniglot character (a class).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OmniglotCharacter {
    /// Index into [`OmniglotSet::alphabets`].
    pub alphabet: usize,
    /// Folder name, e.g. `character07`.
    pub folder: String,
    /// The dataset-wide character number `NNNN` from the file names (1–964 background, 965–1623 evaluation).
    pub id: u32,
}

/// One split of Omniglot with per-image alphabet / character / drawer.
#[derive(Clone, Debug)]
pub struct OmniglotSet {
    /// Which split this is.
    pub split: OmniglotSplit,
    /// `len() * height * width` values in [0, 1], stroke = 1.
    pub images: Vec<f32>,
    /// Image height (105, or the requested resize).
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Alphabet names, sorted.
    pub alphabets: Vec<String>,
    /// Characters sorted by (alphabet, folder); the index is the class label.
    pub characters: Vec<OmniglotCharacter>,
    /// Per image: index into `characters`.
    pub character: Vec<u32>,
    /// Per image: the drawer number `DD` from the file name (1–20).
    pub drawer: Vec<u8>,
}

impl OmniglotSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.character.len()
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.character.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let p = self.height * self.width;
        &self.images[i * p..(i + 1) * p]
    }

    /// The alphabet index of image `i`.
    pub fn alphabet_of(&self, i: usize) -> usize {
        self.characters[self.character[i] as usize].alphabet
    }

    /// Number of images of each character.
    pub fn images_per_character(&self) -> Vec<usize> {
        let mut c = vec![0; self.characters.len()];
        for &ch in &self.character {
            c[ch as usize] += 1;
        }
        c
    }

    /// As a plain [`ImageSet`] with label = character index (one class per character).
    pub fn to_image_set(&self) -> ImageSet {
        ImageSet {
            images: self.images.clone(),
            labels: self.character.clone(),
            height: self.height,
            width: self.width,
            num_classes: self.characters.len(),
        }
    }
}

/// Loads one split. `path` may be the split's zip, the split's extracted folder, or a folder that
/// holds either `images_background/` (extracted) or `images_background.zip` (the folder wins).
/// `resize` = `Some(s)` resamples every image to s×s by area averaging (e.g. 28 for MNIST-sized input).
pub fn load_omniglot(
    path: &Path,
    split: OmniglotSplit,
    resize: Option<usize>,
) -> Result<OmniglotSet> {
    let name = split.folder_name();
    let entries = if path.is_file() {
        read_zip(path, name)?
    } else if path.is_dir() {
        let sub = path.join(name);
        let zip = path.join(format!("{name}.zip"));
        if sub.is_dir() {
            read_dir(&sub)?
        } else if zip.is_file() {
            read_zip(&zip, name)?
        } else if path.file_name().is_some_and(|f| f == name) {
            read_dir(path)?
        } else {
            return Err(DataError::MissingFile {
                path: zip,
                what: format!(
                    "Omniglot `{name}` (zip, or extracted folder `{}`)",
                    sub.display()
                ),
            });
        }
    } else {
        return Err(DataError::MissingDir {
            path: path.to_path_buf(),
            what: "Omniglot data (folder or zip)".into(),
        });
    };
    build(split, entries, resize)
}

/// A PNG waiting to be decoded: its label for errors, its path relative to the split folder, bytes.
struct Entry {
    shown: PathBuf,
    rel: String,
    bytes: Vec<u8>,
}

fn read_zip(path: &Path, top: &str) -> Result<Vec<Entry>> {
    let zerr = |cause| DataError::Zip {
        path: path.to_path_buf(),
        cause,
    };
    let file = File::open(path).map_err(|e| DataError::io(path, e, "Omniglot zip"))?;
    let mut zip = zip::ZipArchive::new(file).map_err(zerr)?;
    let mut out = Vec::new();
    let prefix = format!("{top}/");
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(zerr)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        if !name.to_ascii_lowercase().ends_with(".png") {
            continue;
        }
        let Some(rel) = name.strip_prefix(&prefix) else {
            return Err(DataError::Layout {
                path: PathBuf::from(format!("{}!/{name}", path.display())),
                detail: format!("entry outside the top folder `{top}/`"),
            });
        };
        let mut bytes = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| zerr(zip::result::ZipError::Io(e)))?;
        out.push(Entry {
            shown: PathBuf::from(format!("{}!/{name}", path.display())),
            rel: rel.to_string(),
            bytes,
        });
    }
    Ok(out)
}

fn read_dir(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let list = |p: &Path| -> Result<Vec<PathBuf>> {
        let rd = std::fs::read_dir(p).map_err(|e| DataError::io(p, e, "Omniglot folder"))?;
        let mut v = Vec::new();
        for e in rd {
            v.push(
                e.map_err(|e| DataError::io(p, e, "Omniglot folder"))?
                    .path(),
            );
        }
        v.sort();
        Ok(v)
    };
    for alpha in list(root)?.into_iter().filter(|p| p.is_dir()) {
        for ch in list(&alpha)?.into_iter().filter(|p| p.is_dir()) {
            for png in list(&ch)? {
                if !png
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"))
                {
                    continue;
                }
                let rel = png
                    .strip_prefix(root)
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                let bytes =
                    std::fs::read(&png).map_err(|e| DataError::io(&png, e, "Omniglot PNG"))?;
                out.push(Entry {
                    shown: png,
                    rel,
                    bytes,
                });
            }
        }
    }
    Ok(out)
}

fn build(
    split: OmniglotSplit,
    mut entries: Vec<Entry>,
    resize: Option<usize>,
) -> Result<OmniglotSet> {
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    let mut alphabets: Vec<String> = Vec::new();
    let mut characters: Vec<OmniglotCharacter> = Vec::new();
    let mut character = Vec::with_capacity(entries.len());
    let mut drawer = Vec::with_capacity(entries.len());
    for e in &entries {
        let parts: Vec<&str> = e.rel.split('/').collect();
        let layout = |detail: &str| DataError::Layout {
            path: e.shown.clone(),
            detail: detail.to_string(),
        };
        let [alpha, folder, file] = parts.as_slice() else {
            return Err(layout("expected Alphabet/characterXX/NNNN_DD.png"));
        };
        let stem = file.get(..file.len().saturating_sub(4)).unwrap_or("");
        let (id, dd) = stem
            .split_once('_')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u8>().ok()?)))
            .ok_or_else(|| layout("file name is not NNNN_DD.png"))?;
        if alphabets.last().map(String::as_str) != Some(*alpha) {
            alphabets.push(alpha.to_string());
        }
        let a = alphabets.len() - 1;
        let same = characters
            .last()
            .is_some_and(|c| c.alphabet == a && c.folder == *folder);
        if !same {
            characters.push(OmniglotCharacter {
                alphabet: a,
                folder: folder.to_string(),
                id,
            });
        } else if characters.last().is_some_and(|c| c.id != id) {
            return Err(layout("character folder mixes character numbers"));
        }
        character.push((characters.len() - 1) as u32);
        drawer.push(dd);
    }
    if entries.is_empty() {
        return Err(DataError::Layout {
            path: PathBuf::from(split.folder_name()),
            detail: "no PNG images found".into(),
        });
    }
    let side = resize.unwrap_or(OMNIGLOT_SIDE);
    let images = decode_parallel(&entries, side)?;
    Ok(OmniglotSet {
        split,
        images,
        height: side,
        width: side,
        alphabets,
        characters,
        character,
        drawer,
    })
}

fn decode_parallel(entries: &[Entry], side: usize) -> Result<Vec<f32>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(16);
    let chunk = entries.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<f32>>> = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter().try_fold(Vec::new(), |mut acc, e| {
                        acc.extend(decode_one(e, side)?);
                        Ok(acc)
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DataError::Layout {
                        path: PathBuf::from("omniglot"),
                        detail: "PNG decoder thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(entries.len() * side * side);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

fn decode_one(e: &Entry, side: usize) -> Result<Vec<f32>> {
    let img = image::load_from_memory_with_format(&e.bytes, image::ImageFormat::Png)
        .map_err(|cause| DataError::Image {
            path: e.shown.clone(),
            cause,
        })?
        .to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w != OMNIGLOT_SIDE || h != OMNIGLOT_SIDE {
        return Err(DataError::BadImageSize {
            path: e.shown.clone(),
            expected_h: OMNIGLOT_SIDE,
            expected_w: OMNIGLOT_SIDE,
            got_h: h,
            got_w: w,
        });
    }
    let px: Vec<f32> = img
        .as_raw()
        .iter()
        .map(|&v| 1.0 - v as f32 / 255.0)
        .collect();
    Ok(if side == OMNIGLOT_SIDE {
        px
    } else {
        resize_area(&px, h, w, side, side)
    })
}
