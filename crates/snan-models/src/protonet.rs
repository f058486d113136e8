//! Prototypical networks (Snell et al., 2017) with the standard Conv-4 embedding.
//!
//! **Embedding**: 4 blocks of `conv 3×3 (pad 1) – BN – ReLU – maxpool 2`, 64 channels each, then
//! flatten: 28×28 → 14 → 7 → 3 → 1, so a 64-d embedding for 28×28 input (64·(S/16)² in general).
//! Weights: He-normal from a seeded host stream ([`crate::init`]).
//!
//! **Episodic training** ([`train_protonet`]): every step draws an N-way K-shot episode with Q
//! queries per class from the training set (seeded, [`EpisodeSampler::episode_seeded`]), embeds
//! support and queries in one batch, takes the class means of the support embeddings as
//! prototypes, and minimises the cross-entropy of the queries over the negative squared Euclidean
//! distances to the prototypes (Adam, lr 1e-3, halved every `lr_halve_every` episodes).
//!
//! **Classification** ([`ProtoNet::classify`]): a query goes to the nearest prototype.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d, Relu};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::Config;
use burn::tensor::{Device, Int, Tensor, TensorData};
use snan_data::{EpisodeSampler, ImageSet};

use crate::init::{InitScheme, seeded_init};

/// Configuration of the Conv-4 [`ProtoNet`] embedding.
#[derive(Config, Debug)]
pub struct ProtoNetConfig {
    /// Channels of every block.
    #[config(default = 64)]
    pub channels: usize,
    /// Number of conv blocks.
    #[config(default = 4)]
    pub blocks: usize,
}

/// One `conv 3×3 – BN – ReLU – maxpool 2` block.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    bn: BatchNorm,
}

/// The Conv-4 embedding of a prototypical network.
#[derive(Module, Debug)]
pub struct ProtoNet {
    blocks: Vec<ConvBlock>,
    pool: MaxPool2d,
    relu: Relu,
}

impl ProtoNetConfig {
    /// Builds the embedding on `device` with He-normal weights drawn from `seed`.
    pub fn init(&self, device: &Device, seed: u64) -> ProtoNet {
        let blocks = (0..self.blocks)
            .map(|b| ConvBlock {
                conv: Conv2dConfig::new([if b == 0 { 1 } else { self.channels }, self.channels], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
                bn: BatchNormConfig::new(self.channels).init(device),
            })
            .collect();
        let model = ProtoNet { blocks, pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(), relu: Relu::new() };
        seeded_init(model, seed, InitScheme::HeNormal)
    }
}

impl ProtoNet {
    /// Embeddings of a batch of images.
    ///
    /// # Shapes
    /// - input: `[batch, 1, S, S]`, values in [0, 1]
    /// - output: `[batch, 64·(S/16)²]` (64 for S = 28)
    pub fn embed(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for b in &self.blocks {
            x = self.pool.forward(self.relu.forward(b.bn.forward(b.conv.forward(x))));
        }
        x.flatten(1, 3)
    }

    /// Embeddings of host images (inference, batches of 256).
    pub fn embed_set(&self, images: &ImageSet, device: &Device) -> Tensor<2> {
        let all: Vec<usize> = (0..images.len()).collect();
        let parts: Vec<Tensor<2>> =
            all.chunks(256).map(|c| self.embed(images.subset(c).to_tensor(device))).collect();
        Tensor::cat(parts, 0)
    }

    /// Nearest-prototype labels of `query` given a labelled `support` set (labels `0..n_way`).
    pub fn classify(&self, support: &ImageSet, query: &ImageSet, device: &Device) -> Vec<u32> {
        let s = self.embed_set(support, device);
        let q = self.embed_set(query, device);
        let protos = prototypes(s, &support.labels, support.num_classes);
        nearest(squared_distances(q, protos))
    }
}

/// Class means `[n_way, d]` of embeddings `[n, d]` with labels in `0..n_way` (a class without
/// any example gets the zero vector). Differentiable: computed as a matrix product.
pub fn prototypes(emb: Tensor<2>, labels: &[u32], n_way: usize) -> Tensor<2> {
    let n = labels.len();
    assert_eq!(emb.dims()[0], n, "one label per embedding");
    let mut count = vec![0usize; n_way];
    for &l in labels {
        count[l as usize] += 1;
    }
    let mut avg = vec![0.0f32; n_way * n];
    for (i, &l) in labels.iter().enumerate() {
        avg[l as usize * n + i] = 1.0 / count[l as usize] as f32;
    }
    let a = Tensor::<2>::from_data(TensorData::new(avg, [n_way, n]), &emb.device());
    a.matmul(emb)
}

/// Squared Euclidean distances `[nq, np]` between rows of `q` `[nq, d]` and `p` `[np, d]`:
/// `‖q‖² + ‖p‖² − 2 q·p`, clamped at 0.
pub fn squared_distances(q: Tensor<2>, p: Tensor<2>) -> Tensor<2> {
    let qq = q.clone().powf_scalar(2.0).sum_dim(1); // [nq, 1]
    let pp = p.clone().powf_scalar(2.0).sum_dim(1).transpose(); // [1, np]
    let qp = q.matmul(p.transpose()); // [nq, np]
    (qq + pp - qp.mul_scalar(2.0)).clamp_min(0.0)
}

/// Index of the smallest entry of every row of a distance matrix.
pub fn nearest(dist: Tensor<2>) -> Vec<u32> {
    let v: Vec<i64> = dist.argmin(1).into_data().convert::<i64>().try_to_vec().expect("int indices");
    v.into_iter().map(|i| i as u32).collect()
}

/// 1-nearest-neighbour on raw values (squared Euclidean), computed on the host: the label of the
/// closest `support` image for every `query` image.
pub fn nearest_neighbour(support: &ImageSet, query: &ImageSet) -> Vec<u32> {
    (0..query.len())
        .map(|j| {
            let q = query.image(j);
            let mut best = (f32::INFINITY, 0u32);
            for i in 0..support.len() {
                let d: f32 = support.image(i).iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                if d < best.0 {
                    best = (d, support.labels[i]);
                }
            }
            best.1
        })
        .collect()
}

/// Episodic training protocol of [`train_protonet`].
#[derive(Config, Debug)]
pub struct ProtoTrainConfig {
    /// Classes per training episode.
    #[config(default = 60)]
    pub ways: usize,
    /// Support images per class.
    #[config(default = 5)]
    pub shots: usize,
    /// Query images per class.
    #[config(default = 5)]
    pub queries: usize,
    /// Number of training episodes (= optimiser steps).
    #[config(default = 2000)]
    pub episodes: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub lr: f64,
    /// The learning rate is halved every this many episodes (0 = constant).
    #[config(default = 0)]
    pub lr_halve_every: usize,
    /// Seed of the initial weights and of the episodes.
    #[config(default = 0)]
    pub seed: u64,
    /// Index of the first episode: continuing a run from its saved embedding with the episodes and
    /// learning-rate schedule it would have had next (0 = a fresh run).
    #[config(default = 0)]
    pub first_episode: usize,
}

impl ProtoTrainConfig {
    /// Learning rate of episode `t` (0-based).
    pub fn lr_at(&self, t: usize) -> f64 {
        match self.lr_halve_every {
            0 => self.lr,
            h => self.lr * 0.5f64.powi((t / h) as i32),
        }
    }
}

/// Reported after every training episode.
#[derive(Clone, Debug)]
pub struct ProtoProgress {
    /// Episodes finished (1-based).
    pub episode: usize,
    /// Episodes in total.
    pub episodes: usize,
    /// Loss of this episode.
    pub loss: f64,
    /// Query accuracy of this episode (training mode).
    pub accuracy: f64,
}

/// Loss and query accuracy of one episode (support and query embedded in one batch, so batch norm
/// sees the whole episode).
pub fn episode_loss(
    net: &ProtoNet,
    support: &ImageSet,
    query: &ImageSet,
    device: &Device,
) -> (Tensor<1>, f64) {
    let n_way = support.num_classes;
    let ns = support.len();
    let mut both = support.clone();
    both.images.extend_from_slice(&query.images);
    both.labels.extend_from_slice(&query.labels);
    let emb = net.embed(both.to_tensor(device));
    let d = emb.dims()[1];
    let s = emb.clone().slice([0..ns, 0..d]);
    let q = emb.slice([ns..ns + query.len(), 0..d]);
    let dist = squared_distances(q, prototypes(s, &support.labels, n_way));
    let pred = nearest(dist.clone());
    let hits = pred.iter().zip(&query.labels).filter(|(p, l)| p == l).count();
    let targets: Vec<i64> = query.labels.iter().map(|&l| l as i64).collect();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(targets, [query.len()]), device);
    let loss = CrossEntropyLossConfig::new().init(device).forward(dist.neg(), targets);
    (loss, hits as f64 / query.len().max(1) as f64)
}

/// The support and query images of an episode as two labelled sets (labels = episode labels
/// `0..n_way`, `num_classes = n_way`).
pub fn episode_sets(set: &ImageSet, ep: &snan_data::Episode) -> (ImageSet, ImageSet) {
    let n_way = ep.classes.len();
    let mut s = set.subset(&ep.support);
    s.labels = ep.support_labels.clone();
    s.num_classes = n_way;
    let mut q = set.subset(&ep.query);
    q.labels = ep.query_labels.clone();
    q.num_classes = n_way;
    (s, q)
}

/// Trains a prototypical network on `train` (labels = classes, e.g. the Omniglot background
/// characters) with episodes drawn from seed `cfg.seed`. Returns the embedding in inference mode.
/// `progress` is called after every episode and may stop training early by returning `false`.
///
/// Panics if `train` has fewer than `cfg.ways` classes with `shots + queries` images.
pub fn train_protonet(
    net_cfg: &ProtoNetConfig,
    train: &ImageSet,
    cfg: &ProtoTrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&ProtoProgress) -> bool,
) -> ProtoNet {
    let ad = device.clone().autodiff();
    train_protonet_from(net_cfg.init(&ad, cfg.seed), train, cfg, &ad, progress)
}

/// [`train_protonet`] from the weights of `net` (placed on the autodiff device `ad`), e.g. a saved
/// embedding to continue training with `cfg.first_episode` set. Adam's moments start from zero.
pub fn train_protonet_from(
    mut net: ProtoNet,
    train: &ImageSet,
    cfg: &ProtoTrainConfig,
    ad: &Device,
    progress: &mut dyn FnMut(&ProtoProgress) -> bool,
) -> ProtoNet {
    let sampler = EpisodeSampler::new(&train.labels, train.num_classes, cfg.ways, cfg.shots, cfg.queries)
        .expect("training set too small for the episode shape");
    let mut optim: ModuleOptimizer = AdamConfig::new().init();
    let ep_seed = cfg.seed ^ 0x9e0_7a1b_e7e5_0001;
    for t in cfg.first_episode..cfg.first_episode + cfg.episodes {
        let ep = sampler.episode_seeded(ep_seed, t as u64);
        let (s, q) = episode_sets(train, &ep);
        let (loss, accuracy) = episode_loss(&net, &s, &q, ad);
        let loss_v = loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(cfg.lr_at(t), net, grads);
        let done = t + 1 - cfg.first_episode;
        if !progress(&ProtoProgress { episode: done, episodes: cfg.episodes, loss: loss_v, accuracy }) {
            break;
        }
    }
    net.valid()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device::flex()
    }

    fn t2(v: Vec<f32>, r: usize, c: usize) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v, [r, c]), &dev())
    }

    #[test]
    fn prototypes_are_class_means_and_distances_are_squared() {
        let emb = t2(vec![0.0, 0.0, 2.0, 2.0, 10.0, 0.0, 12.0, 4.0, 11.0, 2.0], 5, 2);
        let p: Vec<f32> = prototypes(emb, &[0, 0, 1, 1, 1], 2).into_data().try_to_vec().unwrap();
        assert_eq!(p, vec![1.0, 1.0, 11.0, 2.0]);
        let d: Vec<f32> = squared_distances(t2(vec![1.0, 1.0, 4.0, 5.0], 2, 2), t2(vec![1.0, 1.0, 11.0, 2.0], 2, 2))
            .into_data()
            .try_to_vec()
            .unwrap();
        let want = [0.0, 101.0, 25.0, 58.0];
        assert!(d.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-3), "{d:?}");
        assert_eq!(nearest(t2(vec![3.0, 1.0, 2.0, 0.5, 9.0, 7.0], 2, 3)), vec![1, 0]);
    }

    /// Two well-separated classes in pixel space: a blob top-left (0) or bottom-right (1).
    fn blobs(n: usize, offset: usize) -> ImageSet {
        let side = 16;
        let mut images = vec![0.0; n * side * side];
        let mut labels = Vec::new();
        for i in 0..n {
            let c = (i % 2) as u32;
            let j = (i / 2 + offset) % 3;
            let (y0, x0) = if c == 0 { (1 + j, 1) } else { (9 + j, 9) };
            for y in y0..y0 + 5 {
                for x in x0..x0 + 5 {
                    images[i * side * side + y * side + x] = 1.0;
                }
            }
            labels.push(c);
        }
        ImageSet { images, labels, height: side, width: side, num_classes: 2 }
    }

    #[test]
    fn nearest_prototype_and_neighbour_separate_two_classes() {
        let d = dev();
        // An untrained embedding keeps two far-apart blobs apart: 100 % by nearest class mean.
        let net = ProtoNetConfig::new().with_channels(8).with_blocks(2).init(&d, 3).valid();
        let (support, query) = (blobs(4, 0), blobs(10, 1));
        let pred = net.classify(&support, &query, &d);
        assert_eq!(pred, query.labels);
        assert_eq!(nearest_neighbour(&support, &query), query.labels);
        assert_eq!(net.embed(Tensor::zeros([2, 1, 28, 28], &d)).dims(), [2, 8 * 7 * 7]);
        let full = ProtoNetConfig::new().init(&d, 0);
        assert_eq!(full.embed(Tensor::zeros([1, 1, 28, 28], &d)).dims(), [1, 64]);
    }

    #[test]
    fn episodic_training_runs_and_lowers_the_loss() {
        let d = dev();
        // 4 classes of 8 images each: a thin vertical, horizontal, diagonal or anti-diagonal line
        // at a position that varies a lot (an untrained embedding confuses them).
        let side = 16;
        let n = 32;
        let mut images = vec![0.0; n * side * side];
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 4;
            let o = (i / 4 * 5) % 11;
            for t in 2..14 {
                let (y, x) = match c {
                    0 => (t, o + 2),
                    1 => (o + 2, t),
                    2 => (t, (t + o) % side),
                    _ => (t, (side - 1 - t + o) % side),
                };
                images[i * side * side + y * side + x] = 0.6;
            }
            labels.push(c as u32);
        }
        let set = ImageSet { images, labels, height: side, width: side, num_classes: 4 };
        let cfg = ProtoTrainConfig::new().with_ways(3).with_shots(2).with_queries(2).with_episodes(30).with_seed(1);
        let mut losses = Vec::new();
        let net = train_protonet(&ProtoNetConfig::new().with_channels(8).with_blocks(2), &set, &cfg, &d, &mut |p| {
            losses.push(p.loss);
            true
        });
        assert_eq!(losses.len(), 30);
        assert!(losses.iter().all(|l| l.is_finite()));
        let first: f64 = losses[..10].iter().sum();
        let last: f64 = losses[20..].iter().sum();
        assert!(last < first, "loss did not fall: {losses:?}");
        let (s, q) = (set.subset(&[0, 1, 2, 3]), set.subset(&(4..32).collect::<Vec<_>>()));
        // (Batch-norm running statistics are far from settled after 30 steps, so no accuracy bar here.)
        assert_eq!(net.classify(&s, &q, &d).len(), 28);
        assert_eq!(ProtoTrainConfig::new().with_lr_halve_every(10).lr_at(25), 2.5e-4);
    }

    #[test]
    fn saved_embedding_reloads_identically() {
        let d = dev();
        let net = ProtoNetConfig::new().with_channels(4).with_blocks(2).init(&d, 9).valid();
        let path = std::env::temp_dir().join(format!("snan-protonet-{}.bpk", std::process::id()));
        let x = blobs(3, 0).to_tensor(&d);
        let before: Vec<f32> = net.embed(x.clone()).into_data().try_to_vec().unwrap();
        net.save_file(&path).unwrap();
        let back = ProtoNetConfig::new().with_channels(4).with_blocks(2).init(&d, 1).try_load_file(&path).unwrap().valid();
        let after: Vec<f32> = back.embed(x).into_data().try_to_vec().unwrap();
        assert_eq!(before, after);
        let _ = std::fs::remove_file(&path);
    }
}
