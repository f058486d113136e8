//! Excitatory chemical synapses of the SNAN: random local connectivity, sigmoid presynaptic
//! activation and a conductance that the astrocytes gate per postsynaptic neuron.
//!
//! `I_syn,j = g_j · (E_syn − V_j) · Σ_{i→j} w_ij · S(V_i)`, `S(V) = 1 / (1 + exp(−V / k_syn))`,
//! `g_j = g_syn + a_ep · Astro_j`. The sum is a gather over a padded in-degree table followed by a
//! sum over the table's columns: deterministic, no atomics, the same on every backend.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData, activation::sigmoid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// How the random connectivity is drawn (§3 of the SNAN spec).
#[derive(Config, Debug)]
pub struct ConnectivityConfig {
    /// Distinct postsynaptic targets of every neuron.
    #[config(default = 40)]
    pub out_degree: usize,
    /// Mean of the exponential distribution of connection lengths (grid units).
    #[config(default = 5.0)]
    pub mean_distance: f64,
    /// Seed of the connectivity draw.
    #[config(default = 42)]
    pub seed: u64,
}

/// A fixed random connectivity on an `height × width` grid, with its padded in-degree table.
#[derive(Clone, Debug)]
pub struct Connectivity {
    /// Grid rows.
    pub height: usize,
    /// Grid columns.
    pub width: usize,
    /// Postsynaptic targets of each neuron, in draw order (`[neurons][out_degree]`).
    pub targets: Vec<Vec<u32>>,
    /// Columns of the in-degree table (the maximum in-degree).
    pub max_in_degree: usize,
    /// Presynaptic index of each table slot, row-major `[neurons, max_in_degree]`; padding points at 0.
    pub in_index: Vec<u32>,
    /// 1 for a real synapse, 0 for padding, `[neurons, max_in_degree]`.
    pub in_mask: Vec<f32>,
}

impl Connectivity {
    /// Draws the connectivity with the config's seed.
    ///
    /// Each neuron draws offsets `(trunc(R cos φ), trunc(R sin φ))` with `R ~ Exp(mean)` and
    /// `φ ~ U(0, 2π)`, in sequence, rejecting repeats of an earlier offset, the self offset and
    /// targets outside the grid, and keeps the first `out_degree` accepted ones.
    ///
    /// # Panics
    /// If `out_degree` is not smaller than the number of neurons (no such draw can finish).
    pub fn generate(height: usize, width: usize, config: &ConnectivityConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        Self::generate_with(height, width, config, &mut rng)
    }

    /// As [`Connectivity::generate`], drawing from a caller's RNG stream.
    pub fn generate_with(
        height: usize,
        width: usize,
        config: &ConnectivityConfig,
        rng: &mut impl Rng,
    ) -> Self {
        let n = height * width;
        assert!(
            config.out_degree < n,
            "out_degree {} must be smaller than the {} neurons of a {height}×{width} grid",
            config.out_degree,
            n
        );
        assert!(config.mean_distance > 0.0, "mean_distance must be positive");
        let exp = Exp::new(1.0 / config.mean_distance).expect("positive rate");
        let mut targets = Vec::with_capacity(n);
        let mut seen = std::collections::HashSet::new();
        for r in 0..height as i64 {
            for c in 0..width as i64 {
                seen.clear();
                let mut got = Vec::with_capacity(config.out_degree);
                // Guard against grids where few offsets fit (e.g. 2×2 with large out-degree).
                let mut draws = 0usize;
                while got.len() < config.out_degree {
                    draws += 1;
                    let radius: f64 = exp.sample(rng);
                    let phi: f64 = rng.random::<f64>() * std::f64::consts::TAU;
                    let (dr, dc) = ((radius * phi.cos()).trunc() as i64, (radius * phi.sin()).trunc() as i64);
                    if draws > 10_000_000 {
                        // Fall back to a uniform draw among the remaining cells.
                        let x = rng.random_range(0..n as i64);
                        let (tr, tc) = (x / width as i64, x % width as i64);
                        if (tr, tc) != (r, c) && seen.insert((tr - r, tc - c)) {
                            got.push(x as u32);
                        }
                        continue;
                    }
                    if !seen.insert((dr, dc)) || (dr == 0 && dc == 0) {
                        continue;
                    }
                    let (tr, tc) = (r + dr, c + dc);
                    if tr >= 0 && tr < height as i64 && tc >= 0 && tc < width as i64 {
                        got.push((tr * width as i64 + tc) as u32);
                    }
                }
                targets.push(got);
            }
        }
        Self::from_targets(height, width, targets)
    }

    /// Builds the padded in-degree table from explicit out-lists (presynaptic order is stable).
    pub fn from_targets(height: usize, width: usize, targets: Vec<Vec<u32>>) -> Self {
        let n = height * width;
        let mut incoming: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (pre, outs) in targets.iter().enumerate() {
            for &post in outs {
                incoming[post as usize].push(pre as u32);
            }
        }
        let max_in_degree = incoming.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut in_index = vec![0u32; n * max_in_degree];
        let mut in_mask = vec![0f32; n * max_in_degree];
        for (post, pres) in incoming.iter().enumerate() {
            for (k, &pre) in pres.iter().enumerate() {
                in_index[post * max_in_degree + k] = pre;
                in_mask[post * max_in_degree + k] = 1.0;
            }
        }
        Self { height, width, targets, max_in_degree, in_index, in_mask }
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.height * self.width
    }

    /// In-degree of every neuron.
    pub fn in_degrees(&self) -> Vec<usize> {
        self.in_mask
            .chunks(self.max_in_degree)
            .map(|row| row.iter().filter(|&&m| m > 0.0).count())
            .collect()
    }

    /// Mean Euclidean length of the connections (grid units).
    pub fn mean_length(&self) -> f64 {
        let (mut total, mut count) = (0.0, 0usize);
        for (pre, outs) in self.targets.iter().enumerate() {
            let (pr, pc) = ((pre / self.width) as f64, (pre % self.width) as f64);
            for &post in outs {
                let (qr, qc) = ((post as usize / self.width) as f64, (post as usize % self.width) as f64);
                total += ((qr - pr).powi(2) + (qc - pc).powi(2)).sqrt();
                count += 1;
            }
        }
        total / count.max(1) as f64
    }
}

/// A Hebbian weight imprint from binary patterns (the SNAN spec's §9 variants), for hybrids that
/// store the k-shot patterns in the synapses as well as in the astrocytes.
#[derive(Config, Debug, PartialEq)]
pub enum HebbianImprint {
    /// No imprint: every synapse has weight 1 (the working-memory model).
    None,
    /// Co-activity imprint (situation-memory variant): weight `1 + potentiation` for a synapse whose
    /// pre- and postsynaptic pixels are both on in at least one pattern, `depression` for one whose
    /// presynaptic pixel is on and postsynaptic pixel off in every pattern where it is on, else 1.
    CoActive {
        /// Extra weight of co-active synapses (relative to g_syn).
        potentiation: f64,
        /// Weight of synapses from pattern pixels onto background pixels.
        depression: f64,
    },
}

/// Conductance constants of the synapses (§3 of the SNAN spec).
#[derive(Config, Debug)]
pub struct SynapseConfig {
    /// Baseline synaptic conductance (dimensionless, per presynaptic activation).
    #[config(default = 0.025)]
    pub g_syn: f64,
    /// Extra conductance while the postsynaptic neuron's astrocyte is active (`a_ep`); 0 disables
    /// the astrocyte → synapse feedback (the ablation).
    #[config(default = 0.5)]
    pub astro_gain: f64,
    /// Reversal potential (mV); 0 mV is excitatory.
    #[config(default = 0.0)]
    pub e_syn: f64,
    /// Slope of the presynaptic sigmoid (mV): only the 1–2 samples near the spike peak count.
    #[config(default = 0.2)]
    pub k_syn: f64,
}

impl SynapseConfig {
    /// Builds the synapses of `connectivity` on `device`.
    pub fn init(&self, connectivity: &Connectivity, device: &Device) -> Synapses {
        let n = connectivity.neurons();
        let k = connectivity.max_in_degree;
        let index: Vec<i64> = connectivity.in_index.iter().map(|&x| x as i64).collect();
        Synapses {
            in_index: Tensor::from_data(TensorData::new(index, [n * k]), device),
            weights: Tensor::from_data(TensorData::new(connectivity.in_mask.clone(), [1, n, k]), device),
            neurons: n,
            max_in_degree: k,
            g_syn: self.g_syn as f32,
            astro_gain: self.astro_gain as f32,
            e_syn: self.e_syn as f32,
            k_syn: self.k_syn as f32,
        }
    }
}

/// The synapses of one population onto itself; see [`SynapseConfig`].
#[derive(Module, Debug)]
pub struct Synapses {
    /// Presynaptic index per table slot, `[neurons · max_in_degree]` (a constant, not a parameter).
    pub(crate) in_index: Tensor<1, Int>,
    /// Weight per table slot (0 on padding), `[1, neurons, max_in_degree]`.
    pub(crate) weights: Tensor<3>,
    pub(crate) neurons: usize,
    pub(crate) max_in_degree: usize,
    pub(crate) g_syn: f32,
    pub(crate) astro_gain: f32,
    pub(crate) e_syn: f32,
    pub(crate) k_syn: f32,
}

impl Synapses {
    /// The weight table as a host vector `[neurons · max_in_degree]` (0 on padding).
    pub fn weights(&self) -> Vec<f32> {
        self.weights.clone().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 weights")
    }

    /// Replaces the weights by a Hebbian imprint of `patterns` (each `neurons` long, on = true).
    pub fn imprint(self, connectivity: &Connectivity, patterns: &[Vec<bool>], rule: &HebbianImprint) -> Self {
        let (n, k) = (self.neurons, self.max_in_degree);
        let mut w = connectivity.in_mask.clone();
        if let HebbianImprint::CoActive { potentiation, depression } = rule {
            for post in 0..n {
                for slot in 0..k {
                    let at = post * k + slot;
                    if connectivity.in_mask[at] == 0.0 {
                        continue;
                    }
                    let pre = connectivity.in_index[at] as usize;
                    let pre_on = patterns.iter().any(|p| p[pre]);
                    let co = patterns.iter().any(|p| p[pre] && p[post]);
                    w[at] = if co {
                        1.0 + *potentiation as f32
                    } else if pre_on {
                        *depression as f32
                    } else {
                        1.0
                    };
                }
            }
        }
        let device = self.weights.device();
        Self { weights: Tensor::from_data(TensorData::new(w, [1, n, k]), &device), ..self }
    }

    /// Presynaptic drive `Σ_{i→j} w_ij · S(V_i)` per postsynaptic neuron.
    ///
    /// # Shapes
    /// - `v`: `[batch, neurons]` membrane potentials (mV)
    /// - returns `[batch, neurons]`
    pub fn drive(&self, v: Tensor<2>) -> Tensor<2> {
        let [batch, n] = v.dims();
        let s = sigmoid(v / self.k_syn);
        let gathered = s.select(1, self.in_index.clone()).reshape([batch, n, self.max_in_degree]);
        (gathered * self.weights.clone()).sum_dim(2).reshape([batch, n])
    }

    /// Synaptic current for the next step, gated by the astrocytes.
    ///
    /// # Shapes
    /// - `v`: `[batch, neurons]` (mV), the postsynaptic and presynaptic potentials (one population)
    /// - `astro`: `[batch, neurons]`, 1 where the neuron's astrocyte potentiates its synapses
    /// - returns `[batch, neurons]` (mV/ms)
    pub fn forward(&self, v: Tensor<2>, astro: Tensor<2>) -> Tensor<2> {
        let drive = self.drive(v.clone());
        let g = astro * self.astro_gain + self.g_syn;
        g * (v.neg() + self.e_syn) * drive
    }
}
