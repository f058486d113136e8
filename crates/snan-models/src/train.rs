//! Few-shot training and evaluation of a backbone on (front-ended) host images.
//!
//! # Protocols
//! **CNN** (the paper's CNN table where known): SGD with momentum 0.9 (dampening 0, no Nesterov, no
//! weight decay), learning rate 0.01 with **exponential decay γ = 0.001 per iteration**:
//! `lr_t = lr₀ · exp(−γ · t)`, `t` = number of optimiser steps taken before this one (0-based,
//! counted over the whole run, not reset per epoch); 30 epochs; random translations of ±5 px
//! (`Corruption::Translate { max_px: 5 }`, dx and dy independent uniform integers) applied afresh
//! to every training image in every epoch; optional scale augmentation X, Y ~ U[a, b]
//! (`Corruption::Scale`, applied before the translation).
//!
//! **ViT** (ours): AdamW (β = 0.9 / 0.999, ε = 1e-5, decoupled weight decay 0.05), lr 1e-3 with
//! the same exponential decay, same epochs, batching and augmentation.
//!
//! **Batching**: the training set is shuffled every epoch and cut into `ceil(n / batch_size)`
//! batches of near-equal size (sizes differ by at most one), so no tiny last batch upsets batch
//! norm; with fewer images than `batch_size` it is one full batch.
//!
//! **Determinism**: weights are drawn from a host ChaCha8 stream seeded by `seed`
//! ([`crate::init`]), the epoch shuffles and the augmentation come from seeded ChaCha8 streams
//! ([`snan_data::image_rng`] per image), dropout is 0 by default; so the same seed gives the same
//! model and the same accuracy on the same backend.

use burn::config::Config;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use snan_data::{Corruption, ImageSet, image_rng};

use crate::cnn::{Cnn, CnnConfig};
use crate::vit::{Vit, VitConfig};

/// Which backbone to train, with its architecture. `num_classes` and `input_size` of the config
/// are overridden from the training images.
#[derive(Clone, Debug)]
pub enum Backbone {
    /// The LeNet-style CNN.
    Cnn(CnnConfig),
    /// The Vision Transformer.
    Vit(VitConfig),
}

impl Backbone {
    /// The CNN with its default architecture.
    pub fn cnn() -> Self {
        Self::Cnn(CnnConfig::new())
    }

    /// The ViT with its default architecture.
    pub fn vit() -> Self {
        Self::Vit(VitConfig::new())
    }

    /// `cnn` or `vit`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cnn(_) => "cnn",
            Self::Vit(_) => "vit",
        }
    }

    /// The default training protocol of this backbone ([`TrainConfig::cnn`] / [`TrainConfig::vit`]).
    pub fn default_train_config(&self) -> TrainConfig {
        match self {
            Self::Cnn(_) => TrainConfig::cnn(),
            Self::Vit(_) => TrainConfig::vit(),
        }
    }

    fn init(&self, device: &Device, seed: u64, num_classes: usize, input_size: usize) -> Net {
        match self {
            Self::Cnn(c) => {
                Net::Cnn(c.clone().with_num_classes(num_classes).with_input_size(input_size).init(device, seed))
            }
            Self::Vit(c) => {
                Net::Vit(c.clone().with_num_classes(num_classes).with_input_size(input_size).init(device, seed))
            }
        }
    }
}

/// The optimiser of a [`TrainConfig`].
#[derive(Config, Debug, PartialEq, Copy)]
pub enum OptimizerKind {
    /// SGD with (heavy-ball) momentum `TrainConfig::momentum`, dampening 0.
    SgdMomentum,
    /// AdamW with decoupled weight decay `TrainConfig::weight_decay`.
    AdamW,
}

/// Training hyper-parameters (see the module docs for their exact meaning).
#[derive(Config, Debug)]
pub struct TrainConfig {
    /// The optimiser.
    #[config(default = "OptimizerKind::SgdMomentum")]
    pub optimizer: OptimizerKind,
    /// Initial learning rate lr₀.
    #[config(default = 0.01)]
    pub lr: f64,
    /// Exponential decay per optimiser step: `lr_t = lr₀·exp(−γ·t)`.
    #[config(default = 0.001)]
    pub lr_decay_gamma: f64,
    /// SGD momentum.
    #[config(default = 0.9)]
    pub momentum: f64,
    /// Weight decay (AdamW's decoupled decay; L2 for SGD when > 0).
    #[config(default = 0.0)]
    pub weight_decay: f64,
    /// Passes over the training set.
    #[config(default = 30)]
    pub epochs: usize,
    /// Largest batch size (the set is cut into near-equal batches; smaller sets form one batch).
    #[config(default = 32)]
    pub batch_size: usize,
    /// Random translation ±`translate_px` pixels per axis (0 = off).
    #[config(default = 5)]
    pub translate_px: usize,
    /// Optional scale augmentation `[a, b]`: X, Y factors ~ U[a, b], independent.
    pub scale_aug: Option<[f32; 2]>,
    /// Seed of the initial weights, the shuffles and the augmentation.
    #[config(default = 0)]
    pub seed: u64,
}

impl TrainConfig {
    /// The CNN protocol: SGD momentum 0.9, lr 0.01, γ = 0.001, 30 epochs, batch 32, ±5 px.
    pub fn cnn() -> Self {
        Self::new()
    }

    /// The ViT protocol: AdamW lr 1e-3, weight decay 0.05, γ = 0.001, 30 epochs, batch 32, ±5 px.
    pub fn vit() -> Self {
        Self::new().with_optimizer(OptimizerKind::AdamW).with_lr(1e-3).with_weight_decay(0.05)
    }

    /// Learning rate of optimiser step `t` (0-based).
    pub fn lr_at(&self, t: usize) -> f64 {
        self.lr * (-self.lr_decay_gamma * t as f64).exp()
    }
}

/// A trained backbone of either kind.
#[derive(Module, Debug)]
pub enum Net {
    /// A CNN.
    Cnn(Cnn),
    /// A ViT.
    Vit(Vit),
}

impl Net {
    /// Logits `[batch, classes]` of images `[batch, 1, S, S]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            Net::Cnn(m) => m.forward(x),
            Net::Vit(m) => m.forward(x),
        }
    }
}

/// Reported after every epoch.
#[derive(Clone, Debug)]
pub struct TrainProgress {
    /// Epochs finished (1-based).
    pub epoch: usize,
    /// Epochs in total.
    pub epochs: usize,
    /// Optimiser steps taken so far.
    pub steps: usize,
    /// Mean training loss of the finished epoch.
    pub loss: f64,
    /// Learning rate of the last step.
    pub lr: f64,
}

/// The result of [`train`]: the network in inference mode (no autodiff), and its loss curve.
#[derive(Debug)]
pub struct TrainedModel {
    /// The network, `valid()` (inference mode, plain device).
    pub net: Net,
    /// Mean training loss of each epoch.
    pub epoch_losses: Vec<f64>,
}

/// Trains `backbone` from scratch on `train` (already passed through the model's front-end).
/// `progress` is called after each epoch.
///
/// Panics if `train` is empty or its images are not square.
pub fn train(
    backbone: &Backbone,
    train: &ImageSet,
    cfg: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&TrainProgress),
) -> TrainedModel {
    assert!(!train.is_empty(), "no training images");
    assert_eq!(train.height, train.width, "images must be square");
    let ad = device.clone().autodiff();
    let mut net = backbone.init(&ad, cfg.seed, train.num_classes, train.height);
    let mut optim: ModuleOptimizer = match cfg.optimizer {
        OptimizerKind::SgdMomentum => {
            let mut c = SgdConfig::new()
                .with_momentum(Some(MomentumConfig::new().with_momentum(cfg.momentum).with_dampening(0.0)));
            if cfg.weight_decay > 0.0 {
                c = c.with_weight_decay(Some(burn::optim::decay::WeightDecayConfig::new(cfg.weight_decay as f32)));
            }
            c.init()
        }
        OptimizerKind::AdamW => AdamWConfig::new().with_weight_decay(cfg.weight_decay as f32).init(),
    };
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed_5407_f1e5_0001);
    let n = train.len();
    let n_batches = n.div_ceil(cfg.batch_size.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    let mut steps = 0usize;
    let mut epoch_losses = Vec::with_capacity(cfg.epochs);
    let mut lr = cfg.lr;
    for epoch in 0..cfg.epochs {
        order.shuffle(&mut shuffle_rng);
        let aug_seed =
            cfg.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (epoch as u64 + 1).wrapping_mul(0xa076_1d64_78bd_642f);
        let mut sum = 0.0;
        let mut start = 0;
        for b in 0..n_batches {
            let len = n / n_batches + usize::from(b < n % n_batches);
            let idx = &order[start..start + len];
            start += len;
            let mut batch = train.subset(idx);
            augment(&mut batch, idx, cfg, aug_seed);
            let logits = net.forward(batch.to_tensor(&ad));
            let loss = loss_fn.forward(logits, batch.labels_tensor(&ad));
            sum += loss.clone().into_scalar::<f32>() as f64 * len as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            lr = cfg.lr_at(steps);
            net = optim.step(lr, net, grads);
            steps += 1;
        }
        let mean = sum / n as f64;
        epoch_losses.push(mean);
        progress(&TrainProgress { epoch: epoch + 1, epochs: cfg.epochs, steps, loss: mean, lr });
    }
    TrainedModel { net: net.valid(), epoch_losses }
}

/// Scale (if configured) then translation of every image of a batch; image `j` of the batch uses
/// the stream `image_rng(aug_seed, idx[j])`, so it depends only on the seed, epoch and image.
fn augment(batch: &mut ImageSet, idx: &[usize], cfg: &TrainConfig, aug_seed: u64) {
    let (h, w) = (batch.height, batch.width);
    for (j, &i) in idx.iter().enumerate() {
        let mut rng = image_rng(aug_seed, i as u64);
        if let Some([a, b]) = cfg.scale_aug {
            Corruption::Scale { min: a, max: b }.apply(batch.image_mut(j), h, w, &mut rng);
        }
        if cfg.translate_px > 0 {
            Corruption::Translate { max_px: cfg.translate_px }.apply(batch.image_mut(j), h, w, &mut rng);
        }
    }
}

/// Predicted class of every image (batched inference, batches of 256, no autodiff).
pub fn predict(model: &TrainedModel, images: &ImageSet, device: &Device) -> Vec<u32> {
    let mut out = Vec::with_capacity(images.len());
    let all: Vec<usize> = (0..images.len()).collect();
    for chunk in all.chunks(256) {
        let batch = images.subset(chunk);
        let pred = model.net.forward(batch.to_tensor(device)).argmax(1);
        let v: Vec<i64> = pred.into_data().convert::<i64>().try_to_vec().expect("int predictions");
        out.extend(v.into_iter().map(|p| p as u32));
    }
    out
}

/// Accuracy in [0, 1] of `model` on `images` (0 for an empty set).
pub fn evaluate(model: &TrainedModel, images: &ImageSet, device: &Device) -> f64 {
    if images.is_empty() {
        return 0.0;
    }
    let pred = predict(model, images, device);
    let hits = pred.iter().zip(&images.labels).filter(|(p, l)| p == l).count();
    hits as f64 / images.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` 28×28 images of 2 classes: a vertical bar (class 0) or a horizontal bar (class 1), at
    /// varying positions.
    fn bars(n: usize, offset: usize) -> ImageSet {
        let (h, w) = (28, 28);
        let mut images = vec![0.0; n * h * w];
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let class = (i % 2) as u32;
            let pos = 8 + (i / 2 + offset) % 12;
            let img = &mut images[i * h * w..(i + 1) * h * w];
            for t in 4..24 {
                for d in 0..3 {
                    let (y, x) = if class == 0 { (t, pos + d) } else { (pos + d, t) };
                    img[y * w + x] = 1.0;
                }
            }
            labels.push(class);
        }
        ImageSet { images, labels, height: h, width: w, num_classes: 2 }
    }

    fn tiny_cnn() -> Backbone {
        Backbone::Cnn(CnnConfig::new().with_channels_1(4).with_channels_2(8).with_hidden(16))
    }

    fn tiny_vit() -> Backbone {
        Backbone::Vit(VitConfig::new().with_embed(16).with_depth(1).with_heads(2).with_mlp(32))
    }

    #[test]
    fn lr_schedule_is_exponential_per_step() {
        let c = TrainConfig::cnn();
        assert_eq!(c.lr_at(0), 0.01);
        assert!((c.lr_at(1000) - 0.01 * (-1.0f64).exp()).abs() < 1e-12);
        let v = TrainConfig::vit();
        assert_eq!((v.optimizer, v.lr, v.weight_decay), (OptimizerKind::AdamW, 1e-3, 0.05));
        assert_eq!((c.epochs, c.batch_size, c.translate_px, c.momentum), (30, 32, 5, 0.9));
    }

    #[test]
    fn cnn_training_lowers_the_loss_and_learns() {
        let dev = Device::flex();
        let data = bars(20, 0);
        let cfg = TrainConfig::cnn().with_epochs(4).with_batch_size(10).with_translate_px(0).with_lr(0.05);
        let mut calls = 0;
        let m = train(&tiny_cnn(), &data, &cfg, &dev, &mut |p| {
            calls += 1;
            assert!(p.loss.is_finite());
        });
        assert_eq!(calls, 4);
        let l = &m.epoch_losses;
        assert!(l[l.len() - 1] < l[0], "loss did not fall: {l:?}");
        let acc = evaluate(&m, &bars(10, 5), &dev);
        assert!(acc >= 0.7, "accuracy {acc} on held-out bars");
    }

    #[test]
    fn vit_training_lowers_the_loss() {
        let dev = Device::flex();
        let data = bars(20, 0);
        let cfg = TrainConfig::vit().with_epochs(3).with_batch_size(20).with_translate_px(0).with_lr(3e-3);
        let m = train(&tiny_vit(), &data, &cfg, &dev, &mut |_| {});
        let l = &m.epoch_losses;
        assert!(l[l.len() - 1] < l[0], "loss did not fall: {l:?}");
        assert_eq!(predict(&m, &data, &dev).len(), 20);
    }

    #[test]
    fn same_seed_same_model_and_augmentation_is_seeded() {
        let dev = Device::flex();
        let data = bars(12, 0);
        let test = bars(8, 3);
        let cfg = TrainConfig::cnn().with_epochs(2).with_batch_size(6).with_seed(7).with_scale_aug(Some([0.8, 1.0]));
        let run = || {
            let m = train(&tiny_cnn(), &data, &cfg, &dev, &mut |_| {});
            let logits: Vec<f32> = m.net.forward(test.to_tensor(&dev)).into_data().try_to_vec().unwrap();
            let acc = evaluate(&m, &test, &dev);
            (m.epoch_losses, logits, acc)
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b, "same seed must give the same losses, logits and accuracy");
        let other = train(&tiny_cnn(), &data, &cfg.clone().with_seed(8), &dev, &mut |_| {});
        assert_ne!(a.0, other.epoch_losses, "another seed should give another run");
    }

    #[test]
    fn evaluate_on_empty_set_is_zero() {
        let dev = Device::flex();
        let m = train(&tiny_cnn(), &bars(4, 0), &TrainConfig::cnn().with_epochs(1), &dev, &mut |_| {});
        let mut empty = bars(1, 0);
        empty.images.clear();
        empty.labels.clear();
        assert_eq!(evaluate(&m, &empty, &dev), 0.0);
    }
}
