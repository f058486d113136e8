//! Front-ends: what sits between the image and the backbone. A model is front-end + backbone, so
//! CNN, SNAN-CNN, CNN+median, ViT, SNAN-ViT … all take one code path.
//!
//! Front-ends have no trainable parameters, so they work on host images ([`ImageSet`]) and their
//! outputs can be cached per image; augmentation is applied to their outputs.

pub mod classical;
pub mod snan;

use burn::tensor::Device;
use snan_data::ImageSet;

pub use self::snan::SnanFrontEndConfig;

/// A fixed (non-trainable) image transform placed before a backbone.
pub trait FrontEnd {
    /// Short name used in model names and tables (e.g. `median`, `snan`).
    fn name(&self) -> String;
    /// Learns from the k-shot training images (the SNAN imprints them; filters do nothing).
    fn fit(&mut self, train: &ImageSet, device: &Device);
    /// Maps images to the backbone's input: same `[n, h, w]` layout, values in [0, 1].
    fn transform(&self, images: &ImageSet, device: &Device) -> ImageSet;
}

/// Which front-end a model uses.
#[derive(Clone, Debug)]
pub enum FrontEndConfig {
    /// The image itself.
    None,
    /// A 3×3 median filter: the classical remedy for impulse noise.
    Median3x3,
    /// A bilateral filter (edge-preserving smoothing).
    Bilateral {
        /// Spatial Gaussian width (pixels).
        sigma_space: f32,
        /// Range Gaussian width (intensity units in [0, 1]).
        sigma_range: f32,
    },
    /// The spiking neuron–astrocyte network: imprint the k-shot set, recall each image.
    Snan(SnanFrontEndConfig),
}

impl FrontEndConfig {
    /// Builds the front-end.
    pub fn init(&self) -> Box<dyn FrontEnd> {
        match self {
            Self::None => Box::new(classical::Identity),
            Self::Median3x3 => Box::new(classical::Median3x3),
            Self::Bilateral { sigma_space, sigma_range } => {
                Box::new(classical::Bilateral { sigma_space: *sigma_space, sigma_range: *sigma_range })
            }
            Self::Snan(config) => Box::new(config.init()),
        }
    }
}
