//! Seeded, backend-independent parameter initialisation.
//!
//! Burn draws initial weights from the backend's RNG (global for flex, shared by every thread of a
//! process), so two models built concurrently — e.g. by parallel tests — would not be reproducible.
//! Instead every float parameter is overwritten here with values from a ChaCha8 stream seeded by
//! `seed`, generated on the host, in module traversal order. Same seed → same weights on every
//! backend.
//!
//! Rules, by the layer a parameter belongs to:
//! - `Conv2d.weight` `[out, in, kh, kw]`: fan-in `in·kh·kw`; `Linear.weight` `[in, out]` (Burn's
//!   default row layout): fan-in `in`. Drawn from the [`InitScheme`].
//! - biases (`*.bias`): 0.
//! - `BatchNorm` / `LayerNorm` `gamma`: 1, `beta`: 0 (`running_var` 1, `running_mean` 0).
//! - any other parameter (class token, position embedding): normal, std 0.02.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// How weight matrices / kernels are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitScheme {
    /// He (Kaiming) normal: N(0, 2 / fan_in) — for ReLU networks.
    HeNormal,
    /// Glorot (Xavier) uniform: U(±√(6 / (fan_in + fan_out))).
    GlorotUniform,
    /// Truncated-at-2σ normal with the given std (ViT convention, 0.02).
    TruncNormal(f64),
}

/// Returns `module` with every float parameter re-drawn from `seed` (see the module docs).
pub fn seeded_init<M: Module>(module: M, seed: u64, scheme: InitScheme) -> M {
    let mut mapper = SeededInit { rng: ChaCha8Rng::seed_from_u64(seed), scheme, path: Vec::new() };
    module.map(&mut mapper)
}

struct SeededInit {
    rng: ChaCha8Rng,
    scheme: InitScheme,
    /// (field name, container type) of the enclosing modules, innermost last.
    path: Vec<(String, String)>,
}

impl SeededInit {
    fn values(&mut self, dims: &[usize]) -> Vec<f32> {
        let n: usize = dims.iter().product();
        let (field, owner) = self.path.last().cloned().unwrap_or_default();
        let owner = owner.strip_prefix("Struct:").unwrap_or(&owner).to_string();
        let constant = |v: f32| vec![v; n];
        match (owner.as_str(), field.as_str()) {
            ("BatchNorm" | "LayerNorm" | "GroupNorm" | "InstanceNorm", "gamma" | "running_var") => constant(1.0),
            ("BatchNorm" | "LayerNorm" | "GroupNorm" | "InstanceNorm", _) => constant(0.0),
            (_, "bias") => constant(0.0),
            ("Conv2d" | "Linear", "weight") => {
                let (fan_in, fan_out) = if owner == "Conv2d" {
                    let k: usize = dims[2..].iter().product();
                    (dims[1] * k, dims[0] * k)
                } else {
                    (dims[0], dims[1])
                };
                self.draw(n, fan_in, fan_out)
            }
            _ => self.trunc_normal(n, 0.02),
        }
    }

    fn draw(&mut self, n: usize, fan_in: usize, fan_out: usize) -> Vec<f32> {
        match self.scheme {
            InitScheme::HeNormal => {
                let std = (2.0 / fan_in.max(1) as f64).sqrt();
                let d = Normal::new(0.0, std).expect("finite std");
                (0..n).map(|_| d.sample(&mut self.rng) as f32).collect()
            }
            InitScheme::GlorotUniform => {
                let a = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
                (0..n).map(|_| self.rng.random_range(-a..=a) as f32).collect()
            }
            InitScheme::TruncNormal(std) => self.trunc_normal(n, std),
        }
    }

    fn trunc_normal(&mut self, n: usize, std: f64) -> Vec<f32> {
        let d = Normal::new(0.0, std).expect("finite std");
        (0..n)
            .map(|_| {
                loop {
                    let v: f64 = d.sample(&mut self.rng);
                    if v.abs() <= 2.0 * std {
                        break v as f32;
                    }
                }
            })
            .collect()
    }
}

impl ModuleMapper for SeededInit {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            let dims = t.dims();
            let values = self.values(&dims);
            let device = t.device();
            let require_grad = t.is_require_grad();
            Tensor::<D>::from_data(TensorData::new(values, dims), &device).set_require_grad(require_grad)
        })
    }
}
