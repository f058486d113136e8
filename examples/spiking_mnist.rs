//! A convolutional spiking network trained by backpropagation through time (surrogate gradients) on
//! MNIST, with or without astrocyte modulation of its two convolutional spiking layers.
//!
//! conv 1→12 5×5 → LIF → max-pool 2 → conv 12→32 5×5 → LIF → max-pool 2 → linear 1568→10, read out
//! by the mean over time of the output layer's membrane (`--readout mem`, default) or by the spike
//! counts of an output LIF layer (`--readout count`). The image enters as a direct current at every
//! step (the first conv's output is computed once and presented T times).
//!
//! ```sh
//! cargo run --release -p snan-cli --example spiking_mnist -- [DATA_DIR] [--steps 8] [--epochs 1]
//!     [--astro] [--fused] [--train-limit N] [--test-limit N] [--batch 64] [--lr 2e-3] [--readout mem|count] [--seed 0]
//! ```
//! `--fused` runs the LIF layers' sequences as one fused op each (`Engine::Fused`, `fused_lif.rs`)
//! instead of step-by-step tensor ops; the astrocyte-modulated layers always step (their gate
//! depends on the spikes of every step).
//! `DATA_DIR` defaults to the embedded MNIST subset (`datasets/mnist`); full MNIST lives in
//! `/work/shared/datasets/mnist`.

use std::time::Instant;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use snan::encoders::direct;
use snan::{AstroLayout, AstroModulated, AstroModulatedConfig, Engine, Lif, LifConfig};
use snan_data::{DatasetKind, ImageSet, load_mnist_like, resolve_data_dir};

#[derive(Module, Debug)]
struct SpikingCnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc: Linear,
    lif1: Option<Lif>,
    lif2: Option<Lif>,
    astro1: Option<AstroModulated<Lif>>,
    astro2: Option<AstroModulated<Lif>>,
    /// Output spiking layer (count readout only).
    lif_out: Option<Lif>,
    steps: usize,
}

const C1: usize = 12;
const C2: usize = 32;

impl SpikingCnn {
    fn new(device: &Device, steps: usize, astro: bool, count_readout: bool, engine: Engine) -> Self {
        let pad = || PaddingConfig2d::Explicit(2, 2, 2, 2);
        let lif = || LifConfig::new().with_beta(0.9).with_learn_beta(true).with_engine(engine).init(device);
        let (lif1, lif2, astro1, astro2) = if astro {
            let a1 = AstroModulatedConfig::new(AstroLayout::Territories { channels: C1, height: 28, width: 28, size: 4 });
            let a2 = AstroModulatedConfig::new(AstroLayout::Territories { channels: C2, height: 14, width: 14, size: 2 });
            (None, None, Some(a1.init(lif(), device)), Some(a2.init(lif(), device)))
        } else {
            (Some(lif()), Some(lif()), None, None)
        };
        Self {
            conv1: Conv2dConfig::new([1, C1], [5, 5]).with_padding(pad()).init(device),
            conv2: Conv2dConfig::new([C1, C2], [5, 5]).with_padding(pad()).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc: LinearConfig::new(C2 * 7 * 7, 10).init(device),
            lif1,
            lif2,
            astro1,
            astro2,
            lif_out: count_readout.then(lif),
            steps,
        }
    }

    fn spike<const D: usize>(lif: &Option<Lif>, astro: &Option<AstroModulated<Lif>>, x: Tensor<D>) -> Tensor<D> {
        match (lif, astro) {
            (Some(l), _) => l.forward(x, None).0,
            (None, Some(a)) => a.forward(x, None).0,
            (None, None) => unreachable!(),
        }
    }

    /// # Shapes
    /// - `images`: `[B, 1, 28, 28]`; returns logits `[B, 10]`
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let (t, b) = (self.steps, images.dims()[0]);
        let seq: Tensor<5> = direct(self.conv1.forward(images), t, 1.0); // [T, B, C1, 28, 28]
        let s1 = Self::spike(&self.lif1, &self.astro1, seq);
        let p1 = self.pool.forward(s1.reshape([t * b, C1, 28, 28])); // [T·B, C1, 14, 14]
        let c2 = self.conv2.forward(p1).reshape([t, b, C2, 14, 14]);
        let s2 = Self::spike(&self.lif2, &self.astro2, c2);
        let p2 = self.pool.forward(s2.reshape([t * b, C2, 14, 14])); // [T·B, C2, 7, 7]
        let z = self.fc.forward(p2.reshape([t * b, C2 * 49])).reshape([t, b, 10]);
        match &self.lif_out {
            Some(l) => l.forward(z, None).0.sum_dim(0).reshape([b, 10]),
            None => z.mean_dim(0).reshape([b, 10]),
        }
    }
}

struct Args {
    data: Option<String>,
    steps: usize,
    epochs: usize,
    astro: bool,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
    batch: usize,
    lr: f64,
    count: bool,
    seed: u64,
    fused: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        data: None,
        steps: 8,
        epochs: 1,
        astro: false,
        train_limit: None,
        test_limit: None,
        batch: 64,
        lr: 2e-3,
        count: false,
        seed: 0,
        fused: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |s: String| s.parse::<usize>().map_err(|e| e.to_string());
        match arg.as_str() {
            "--steps" => a.steps = num(val("--steps")?)?,
            "--epochs" => a.epochs = num(val("--epochs")?)?,
            "--astro" => a.astro = true,
            "--fused" => a.fused = true,
            "--train-limit" => a.train_limit = Some(num(val("--train-limit")?)?),
            "--test-limit" => a.test_limit = Some(num(val("--test-limit")?)?),
            "--batch" => a.batch = num(val("--batch")?)?.max(1),
            "--lr" => a.lr = val("--lr")?.parse().map_err(|e| format!("--lr: {e}"))?,
            "--seed" => a.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--readout" => {
                a.count = match val("--readout")?.as_str() {
                    "count" => true,
                    "mem" => false,
                    o => return Err(format!("--readout must be mem or count, got {o}")),
                }
            }
            s if s.starts_with("--") => return Err(format!("unknown flag {s}")),
            s => a.data = Some(s.to_string()),
        }
    }
    if !(8..=25).contains(&a.steps) {
        return Err(format!("--steps must be in 8..=25, got {}", a.steps));
    }
    Ok(a)
}

fn accuracy(model: &SpikingCnn, set: &ImageSet, device: &Device) -> f64 {
    let mut hits = 0;
    let all: Vec<usize> = (0..set.len()).collect();
    for chunk in all.chunks(256) {
        let batch = set.subset(chunk);
        let pred = model.forward(batch.to_tensor(device)).argmax(1);
        let pred: Vec<i64> = pred.into_data().convert::<i64>().try_to_vec().expect("int predictions");
        hits += pred.iter().zip(&batch.labels).filter(|(p, l)| **p as u32 == **l).count();
    }
    hits as f64 / set.len().max(1) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let path = match &args.data {
        Some(p) => std::path::PathBuf::from(p),
        None => resolve_data_dir(None, "mnist").path,
    };
    let split = load_mnist_like(&path, DatasetKind::Mnist)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let pick = |set: &ImageSet, limit: Option<usize>, rng: &mut ChaCha8Rng| match limit {
        Some(n) if n < set.len() => {
            let mut idx: Vec<usize> = (0..set.len()).collect();
            idx.shuffle(rng);
            set.subset(&idx[..n])
        }
        _ => set.clone(),
    };
    let train = pick(&split.train, args.train_limit, &mut rng);
    let test = pick(&split.test, args.test_limit, &mut rng);
    println!(
        "spiking MNIST: {} train / {} test images ({}), T = {}, astro = {}, LIF engine = {}, readout = {}, batch {}, lr {}",
        train.len(),
        test.len(),
        path.display(),
        args.steps,
        args.astro,
        if args.fused { "fused" } else { "reference" },
        if args.count { "spike count" } else { "mean membrane" },
        args.batch,
        args.lr
    );

    let device = Device::flex();
    let ad = device.clone().autodiff();
    ad.seed(args.seed);
    let engine = if args.fused { Engine::Fused } else { Engine::Reference };
    let mut model = SpikingCnn::new(&ad, args.steps, args.astro, args.count, engine);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let mut order: Vec<usize> = (0..train.len()).collect();
    for epoch in 1..=args.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let (mut loss_sum, mut seen) = (0.0, 0usize);
        for (i, idx) in order.chunks(args.batch).enumerate() {
            let batch = train.subset(idx);
            let logits = model.forward(batch.to_tensor(&ad));
            let loss = loss_fn.forward(logits, batch.labels_tensor(&ad));
            loss_sum += loss.clone().into_scalar::<f32>() as f64 * idx.len() as f64;
            seen += idx.len();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(args.lr, model, grads);
            if (i + 1) % 50 == 0 {
                println!("  epoch {epoch} batch {} loss {:.4} ({:.1} s)", i + 1, loss_sum / seen as f64, t0.elapsed().as_secs_f64());
            }
        }
        let train_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let acc = accuracy(&model.valid(), &test, &device);
        println!(
            "epoch {epoch}: train loss {:.4}, test accuracy {:.2} %, {:.1} s/epoch train (+{:.1} s test)",
            loss_sum / seen.max(1) as f64,
            100.0 * acc,
            train_s,
            t1.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
