//! `snan-data`: offline data for the snan experiments.
//!
//! Loaders for MNIST / Fashion-MNIST (IDX, raw or gzip), Omniglot (folder or the original zips) and
//! the working-memory digits; seeded few-shot sampling that never mixes train and test; seeded,
//! deterministic corruptions (impulse noise, occlusion, translation, scaling, binarisation);
//! checksums of the known files; and data-root resolution that falls back to the small subset
//! shipped in `datasets/`, so everything runs without a download. Bad input is a [`DataError`]
//! naming the file and the fault, never a panic.

#![warn(missing_docs)]

pub mod checksums;
pub mod corrupt;
pub mod error;
pub mod idx;
pub mod image_set;
pub mod mnist;
pub mod omniglot;
pub mod resize;
pub mod root;
pub mod sampling;
pub mod wm_digits;

pub use checksums::{ChecksumStatus, FileCheck, Reference, check_dir};
pub use corrupt::{Corruption, OcclusionFill, corrupt_set, image_rng};
pub use error::{DataError, Result};
pub use image_set::{ImageSet, Split};
pub use mnist::{DatasetKind, load_mnist_like};
pub use omniglot::{OmniglotCharacter, OmniglotSet, OmniglotSplit, load_omniglot};
pub use root::{DataRoot, RootSource, resolve_data_dir};
pub use sampling::{Episode, EpisodeSampler, FewShot, few_shot, k_shot_indices, stratified_subset};
pub use wm_digits::{WmDigits, load_wm_digits};

#[cfg(test)]
mod bad_input_tests;
