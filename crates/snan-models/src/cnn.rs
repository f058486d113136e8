//! LeNet-style CNN backbone (the "CNN" of SNAN-CNN).
//!
//! Architecture (defaults): `conv 5×5 (1→32, pad 2) – BN – ReLU – maxpool 2` →
//! `conv 5×5 (32→64, pad 2) – BN – ReLU – maxpool 2` → flatten (64·7·7 = 3136) →
//! `FC 3136→128 – ReLU` → `FC 128→classes`. Weights get He (Kaiming) normal initialisation from a
//! seeded host RNG (see [`crate::init`]), so the same seed gives the same network on every backend.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::Config;
use burn::tensor::{Device, Tensor};

use crate::init::{InitScheme, seeded_init};

/// Configuration of the [`Cnn`].
#[derive(Config, Debug)]
pub struct CnnConfig {
    /// Number of classes (logits).
    #[config(default = 10)]
    pub num_classes: usize,
    /// Input height = width (pixels); must be divisible by 4.
    #[config(default = 28)]
    pub input_size: usize,
    /// Channels of the first conv block.
    #[config(default = 32)]
    pub channels_1: usize,
    /// Channels of the second conv block.
    #[config(default = 64)]
    pub channels_2: usize,
    /// Width of the hidden fully connected layer.
    #[config(default = 128)]
    pub hidden: usize,
}

/// LeNet-style CNN: two conv–BN–ReLU–maxpool blocks and two fully connected layers.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
    relu: Relu,
}

impl CnnConfig {
    /// Builds the network on `device` with He-normal weights drawn from `seed`.
    pub fn init(&self, device: &Device, seed: u64) -> Cnn {
        assert!(self.input_size % 4 == 0, "CNN input size {} must be divisible by 4", self.input_size);
        let conv = |cin, cout| {
            Conv2dConfig::new([cin, cout], [5, 5]).with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2)).init(device)
        };
        let flat = self.channels_2 * (self.input_size / 4) * (self.input_size / 4);
        let model = Cnn {
            conv1: conv(1, self.channels_1),
            bn1: BatchNormConfig::new(self.channels_1).init(device),
            conv2: conv(self.channels_1, self.channels_2),
            bn2: BatchNormConfig::new(self.channels_2).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(flat, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, self.num_classes).init(device),
            relu: Relu::new(),
        };
        seeded_init(model, seed, InitScheme::HeNormal)
    }
}

impl Cnn {
    /// Class logits of a batch of images.
    ///
    /// # Shapes
    /// - input: `[batch, 1, 28, 28]` (more generally `[batch, 1, S, S]` with `S = input_size`),
    ///   values in [0, 1]
    /// - output: logits `[batch, num_classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(self.relu.forward(self.bn1.forward(self.conv1.forward(x))));
        let x = self.pool.forward(self.relu.forward(self.bn2.forward(self.conv2.forward(x))));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self.relu.forward(self.fc1.forward(x));
        self.fc2.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_shape() {
        let dev = Device::flex();
        let m = CnnConfig::new().with_channels_1(4).with_channels_2(8).with_hidden(16).init(&dev, 1);
        let y = m.forward(Tensor::<4>::zeros([3, 1, 28, 28], &dev));
        assert_eq!(y.dims(), [3, 10]);
    }

    #[test]
    fn he_init_is_seeded() {
        let dev = Device::flex();
        let m = CnnConfig::new().init(&dev, 5);
        let w: Vec<f32> = m.conv2.weight.val().into_data().try_to_vec().unwrap();
        let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
        let he = (2.0f32 / (32.0 * 25.0)).sqrt();
        assert!((std / he - 1.0).abs() < 0.05, "conv2 std {std} vs He {he}");
        let g: Vec<f32> = m.bn1.gamma.val().into_data().try_to_vec().unwrap();
        assert!(g.iter().all(|&v| v == 1.0));
        let b: Vec<f32> = m.fc1.bias.as_ref().unwrap().val().into_data().try_to_vec().unwrap();
        assert!(b.iter().all(|&v| v == 0.0));
        let again: Vec<f32> = CnnConfig::new().init(&dev, 5).conv2.weight.val().into_data().try_to_vec().unwrap();
        assert_eq!(w, again);
    }
}
