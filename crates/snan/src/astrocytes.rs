//! Astrocytes: the Ullah, Jung & Cornell-Bell (2006) Ca²⁺ / IP₃ / h model on a grid of territories,
//! coupled by gap-junction diffusion, driven by neuronal glutamate and gating the synapses back.
//!
//! Each astrocyte listens to a `territory × territory` window of neurons (4×4, stride 3 in the
//! published model, so neighbouring windows share a row). Two counts per window drive it:
//! - *activity*: neurons whose glutamate trace G ≥ 0.7; when ≥ 8, IP₃ is produced at 5 µM/s for
//!   60 ms (a countdown timer, retriggerable);
//! - *synchrony*: neurons spiking in the same 0.1 ms sample; when ≥ 6 within the last 10 ms and
//!   Ca > 0.15 µM (checked every 1 ms), the astrocyte potentiates the synapses onto its neurons
//!   for 250 ms.
//!
//! Time is in seconds for the Ca²⁺ model, concentrations in µM; the timers count neuron steps.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use std::ops::{Add, Div, Mul, Neg, Sub};

use burn::tensor::{Bool, Device, Tensor};

/// Constants of the Ullah astrocyte model (µM, s).
#[derive(Config, Debug)]
pub struct UllahConfig {
    /// Total free Ca²⁺ per cytosol volume (µM).
    #[config(default = 2.0)]
    pub c0: f64,
    /// ER / cytosol volume ratio.
    #[config(default = 0.185)]
    pub c1: f64,
    /// Max IP₃-receptor flux (1/s).
    #[config(default = 6.0)]
    pub v1: f64,
    /// ER leak rate (1/s).
    #[config(default = 0.11)]
    pub v2: f64,
    /// Max SERCA pump rate (µM/s).
    #[config(default = 2.2)]
    pub v3: f64,
    /// Max PLCδ IP₃ production (µM/s).
    #[config(default = 0.3)]
    pub v4: f64,
    /// Max Ca²⁺ influx through the membrane (µM/s).
    #[config(default = 0.2)]
    pub v6: f64,
    /// Ca²⁺ efflux rate (1/s).
    #[config(default = 0.5)]
    pub k1: f64,
    /// Half-activation of the influx by IP₃ (µM).
    #[config(default = 1.0)]
    pub k2: f64,
    /// SERCA pump activation constant (µM).
    #[config(default = 0.1)]
    pub k3: f64,
    /// PLCδ Ca²⁺ dissociation constant (µM).
    #[config(default = 1.1)]
    pub k4: f64,
    /// IP₃ dissociation constant (µM).
    #[config(default = 0.13)]
    pub d1: f64,
    /// Ca²⁺ inactivation dissociation constant (µM).
    #[config(default = 1.049)]
    pub d2: f64,
    /// IP₃ dissociation constant of inactivation (µM).
    #[config(default = 0.9434)]
    pub d3: f64,
    /// Ca²⁺ activation dissociation constant (µM).
    #[config(default = 0.082)]
    pub d5: f64,
    /// PLCδ Ca²⁺-independent fraction complement.
    #[config(default = 0.8)]
    pub alpha: f64,
    /// IP₃R inactivation binding rate (1/(µM·s)).
    #[config(default = 0.14)]
    pub a2: f64,
    /// Resting IP₃ (µM).
    #[config(default = 0.16)]
    pub ip3_rest: f64,
    /// IP₃ relaxation rate (1/s): τ_IP₃ ≈ 7.1 s.
    #[config(default = 0.14)]
    pub ip3_rate: f64,
}

/// Configuration of the astrocyte grid and of its coupling to the neurons.
#[derive(Config, Debug)]
pub struct AstrocyteConfig {
    /// Ca²⁺ model constants.
    #[config(default = "UllahConfig::new()")]
    pub ullah: UllahConfig,
    /// Side of a territory (neurons).
    #[config(default = 4)]
    pub territory: usize,
    /// Stride between territories (neurons); 3 with side 4 gives one shared row and column.
    #[config(default = 3)]
    pub stride: usize,
    /// Astrocyte integration step (s): 1e-4 is the published step, 1e-3 the fast one.
    #[config(default = 1e-4)]
    pub dt_s: f64,
    /// Neuron step (s); the timers below count these.
    #[config(default = 1e-4)]
    pub neuron_dt_s: f64,
    /// Ca²⁺ gap-junction diffusion rate (1/s).
    #[config(default = 0.05)]
    pub d_ca: f64,
    /// IP₃ gap-junction diffusion rate (1/s).
    #[config(default = 0.1)]
    pub d_ip3: f64,
    /// Initial Ca²⁺ (µM).
    #[config(default = 0.072495)]
    pub ca_init: f64,
    /// Initial IP₃R gate h.
    #[config(default = 0.886314)]
    pub h_init: f64,
    /// Initial IP₃ (µM).
    #[config(default = 0.820204)]
    pub ip3_init: f64,
    /// Glutamate level that counts a neuron as active.
    #[config(default = 0.7)]
    pub glutamate_threshold: f64,
    /// Active neurons per territory that trigger IP₃ production.
    #[config(default = 8)]
    pub min_active: usize,
    /// Glutamate-driven IP₃ production while triggered (µM/s).
    #[config(default = 5.0)]
    pub ip3_drive: f64,
    /// Duration of one IP₃ production pulse (s).
    #[config(default = 0.06)]
    pub ip3_pulse_s: f64,
    /// Ca²⁺ above which an astrocyte can potentiate its synapses (µM).
    #[config(default = 0.15)]
    pub ca_threshold: f64,
    /// Neurons of a territory spiking in the same step that count as synchronous.
    #[config(default = 6)]
    pub min_sync: usize,
    /// Look-back window for synchrony (s).
    #[config(default = 0.01)]
    pub sync_window_s: f64,
    /// Interval between gating checks (s).
    #[config(default = 0.001)]
    pub check_interval_s: f64,
    /// Duration of synaptic potentiation once triggered (s): 2501 steps of 0.1 ms as published.
    #[config(default = 0.25)]
    pub gate_s: f64,
}

impl AstrocyteConfig {
    /// The fast preset: astrocyte step 1 ms (shown to match 0.1 ms within 1e-4 µM).
    pub fn fast() -> Self {
        Self::new().with_dt_s(1e-3)
    }

    /// Astrocyte grid for a neuron grid: `(H − territory) / stride + 1` per axis (at least 1).
    pub fn grid(&self, height: usize, width: usize) -> [usize; 2] {
        let side = |n: usize| if n <= self.territory { 1 } else { (n - self.territory) / self.stride + 1 };
        [side(height), side(width)]
    }

    fn steps(&self, seconds: f64) -> usize {
        (seconds / self.neuron_dt_s).round() as usize
    }

    /// Builds the astrocytes for a `height × width` neuron grid.
    pub fn init(&self, height: usize, width: usize) -> Astrocytes {
        assert!(self.territory > 0 && self.stride > 0, "territory and stride must be positive");
        let substeps = (self.dt_s / self.neuron_dt_s).round().max(1.0) as usize;
        let [ha, wa] = self.grid(height, width);
        let u = &self.ullah;
        Astrocytes {
            c0: u.c0 as f32,
            c1: u.c1 as f32,
            v1: u.v1 as f32,
            v2: u.v2 as f32,
            v3: u.v3 as f32,
            v4: u.v4 as f32,
            v6: u.v6 as f32,
            k1: u.k1 as f32,
            k2: u.k2 as f32,
            k3: u.k3 as f32,
            k4: u.k4 as f32,
            d1: u.d1 as f32,
            d2: u.d2 as f32,
            d3: u.d3 as f32,
            d5: u.d5 as f32,
            alpha: u.alpha as f32,
            a2: u.a2 as f32,
            ip3_rest: u.ip3_rest as f32,
            ip3_rate: u.ip3_rate as f32,
            height,
            width,
            grid_h: ha,
            grid_w: wa,
            territory: self.territory.min(height).min(width),
            stride: self.stride,
            substeps,
            dt_s: (substeps as f64 * self.neuron_dt_s) as f32,
            d_ca: self.d_ca as f32,
            d_ip3: self.d_ip3 as f32,
            ca_init: self.ca_init as f32,
            h_init: self.h_init as f32,
            ip3_init: self.ip3_init as f32,
            glutamate_threshold: self.glutamate_threshold as f32,
            min_active: self.min_active as f32,
            ip3_drive: self.ip3_drive as f32,
            ip3_pulse_steps: self.steps(self.ip3_pulse_s) as f32,
            ca_threshold: self.ca_threshold as f32,
            min_sync: self.min_sync as f32,
            sync_window_steps: self.steps(self.sync_window_s) as f32,
            check_every: self.steps(self.check_interval_s).max(1),
            gate_steps: (self.steps(self.gate_s) + 1) as f32,
        }
    }
}

/// The astrocyte grid; see [`AstrocyteConfig`]. No trainable parameters.
#[derive(Module, Debug)]
pub struct Astrocytes {
    pub(crate) c0: f32,
    pub(crate) c1: f32,
    pub(crate) v1: f32,
    pub(crate) v2: f32,
    pub(crate) v3: f32,
    pub(crate) v4: f32,
    pub(crate) v6: f32,
    pub(crate) k1: f32,
    pub(crate) k2: f32,
    pub(crate) k3: f32,
    pub(crate) k4: f32,
    pub(crate) d1: f32,
    pub(crate) d2: f32,
    pub(crate) d3: f32,
    pub(crate) d5: f32,
    pub(crate) alpha: f32,
    pub(crate) a2: f32,
    pub(crate) ip3_rest: f32,
    pub(crate) ip3_rate: f32,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) grid_h: usize,
    pub(crate) grid_w: usize,
    pub(crate) territory: usize,
    pub(crate) stride: usize,
    pub(crate) substeps: usize,
    pub(crate) dt_s: f32,
    pub(crate) d_ca: f32,
    pub(crate) d_ip3: f32,
    pub(crate) ca_init: f32,
    pub(crate) h_init: f32,
    pub(crate) ip3_init: f32,
    pub(crate) glutamate_threshold: f32,
    pub(crate) min_active: f32,
    pub(crate) ip3_drive: f32,
    pub(crate) ip3_pulse_steps: f32,
    pub(crate) ca_threshold: f32,
    pub(crate) min_sync: f32,
    pub(crate) sync_window_steps: f32,
    pub(crate) check_every: usize,
    pub(crate) gate_steps: f32,
}

/// State of the astrocyte grid, each `[batch, grid_h, grid_w]`.
#[derive(Clone, Debug)]
pub struct AstrocyteState {
    /// Cytosolic Ca²⁺ (µM).
    pub ca: Tensor<3>,
    /// IP₃-receptor inactivation gate (dimensionless).
    pub h: Tensor<3>,
    /// IP₃ (µM).
    pub ip3: Tensor<3>,
    /// Remaining steps of glutamate-driven IP₃ production.
    pub ip3_timer: Tensor<3>,
    /// Remaining steps of synaptic potentiation.
    pub gate_timer: Tensor<3>,
    /// Last step at which the territory was synchronous.
    pub last_sync: Tensor<3>,
    /// IP₃ drive summed over the neuron steps since the last astrocyte update (µM/s · steps).
    pub drive_acc: Tensor<3>,
    /// Compensation terms of (Ca, h, IP₃) for Kahan summation of the RK4 increments: at the
    /// published 0.1 ms step an f32 increment is ~1e-4 of the value, and plain accumulation drifts
    /// by ~1e-4 µM over a few seconds.
    pub carry: [Tensor<3>; 3],
}

impl AstrocyteState {
    /// Replicates the state `times` along the batch axis.
    pub fn repeat(&self, times: usize) -> Self {
        let r = |t: &Tensor<3>| t.clone().repeat_dim(0, times);
        Self {
            ca: r(&self.ca),
            h: r(&self.h),
            ip3: r(&self.ip3),
            ip3_timer: r(&self.ip3_timer),
            gate_timer: r(&self.gate_timer),
            last_sync: r(&self.last_sync),
            drive_acc: r(&self.drive_acc),
            carry: self.carry.clone().map(|c| c.repeat_dim(0, times)),
        }
    }
}

/// The arithmetic of the astrocyte equations, shared by `f32` and `Tensor<3>`.
pub(crate) trait Field:
    Clone
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f32, Output = Self>
    + Mul<f32, Output = Self>
    + Div<f32, Output = Self>
{
}

impl<T> Field for T where
    T: Clone
        + Add<Output = T>
        + Sub<Output = T>
        + Mul<Output = T>
        + Div<Output = T>
        + Neg<Output = T>
        + Add<f32, Output = T>
        + Mul<f32, Output = T>
        + Div<f32, Output = T>
{
}

impl Astrocytes {
    /// Astrocyte grid `[grid_h, grid_w]`.
    pub fn grid(&self) -> [usize; 2] {
        [self.grid_h, self.grid_w]
    }

    /// Neuron steps per astrocyte update.
    pub fn substeps(&self) -> usize {
        self.substeps
    }

    /// The initial state of `batch` grids.
    pub fn init_state(&self, batch: usize, device: &Device) -> AstrocyteState {
        let shape = [batch, self.grid_h, self.grid_w];
        AstrocyteState {
            ca: Tensor::full(shape, self.ca_init, device),
            h: Tensor::full(shape, self.h_init, device),
            ip3: Tensor::full(shape, self.ip3_init, device),
            ip3_timer: Tensor::zeros(shape, device),
            gate_timer: Tensor::zeros(shape, device),
            last_sync: Tensor::full(shape, -1.0e9, device),
            drive_acc: Tensor::zeros(shape, device),
            carry: [Tensor::zeros(shape, device), Tensor::zeros(shape, device), Tensor::zeros(shape, device)],
        }
    }

    /// Number of ones in each territory: a strided window sum over the neuron grid.
    ///
    /// # Shapes
    /// - `map`: `[batch, height · width]` (0/1)
    /// - returns `[batch, grid_h, grid_w]`
    pub fn territory_sum(&self, map: Tensor<2>) -> Tensor<3> {
        let [batch, _] = map.dims();
        let x = map.reshape([batch, 1, self.height, self.width]);
        let k = self.territory;
        let pooled = avg_pool2d(x, AvgPoolOptions::new([k, k]).with_stride([self.stride, self.stride]));
        let pooled = pooled.narrow(2, 0, self.grid_h).narrow(3, 0, self.grid_w);
        pooled.reshape([batch, self.grid_h, self.grid_w]) * (k * k) as f32
    }

    /// Gap-junction coupling: the 4-neighbour graph Laplacian with zero-flux borders.
    ///
    /// # Shapes
    /// - `x`: `[batch, grid_h, grid_w]`; returns the same shape
    pub fn laplacian(x: Tensor<3>) -> Tensor<3> {
        let [_, h, w] = x.dims();
        // Replicating the border row/column makes a missing neighbour contribute x − x = 0.
        let shift = |x: &Tensor<3>, dim: usize, len: usize, forward: bool| {
            if len == 1 {
                return x.clone();
            }
            if forward {
                Tensor::cat(vec![x.clone().narrow(dim, 1, len - 1), x.clone().narrow(dim, len - 1, 1)], dim)
            } else {
                Tensor::cat(vec![x.clone().narrow(dim, 0, 1), x.clone().narrow(dim, 0, len - 1)], dim)
            }
        };
        shift(&x, 1, h, true) + shift(&x, 1, h, false) + shift(&x, 2, w, true) + shift(&x, 2, w, false)
            - x * 4.0
    }

    /// The Ullah right-hand side d(Ca, h, IP₃)/dt, written once for every number type the engines
    /// use (a `Tensor<3>` in the reference path, an `f32` in the fused engine), so both evaluate
    /// the same operations in the same order.
    pub(crate) fn rates<T: Field>(&self, ca: T, h: T, ip3: T, drive: T, lap_ca: T, lap_ip3: T) -> [T; 3] {
        let m = ip3.clone() / (ip3.clone() + self.d1);
        let n = ca.clone() / (ca.clone() + self.d5);
        let er = (-ca.clone() + self.c0) / self.c1 - ca.clone();
        let mnh = m * n * h.clone();
        let j_chan = mnh.clone() * mnh.clone() * mnh * er.clone() * (self.c1 * self.v1);
        let j_leak = er * (self.c1 * self.v2);
        let ca2 = ca.clone() * ca.clone();
        let j_pump = ca2.clone() * self.v3 / (ca2 + self.k3 * self.k3);
        let ip3sq = ip3.clone() * ip3.clone();
        let j_in = ip3sq.clone() * self.v6 / (ip3sq + self.k2 * self.k2);
        let q2 = (ip3.clone() + self.d1) / (ip3.clone() + self.d3) * self.d2;
        let dca = j_chan - j_pump + j_leak + j_in - ca.clone() * self.k1 + lap_ca * self.d_ca;
        let q2ca = q2.clone() + ca.clone();
        let dh = (q2 / q2ca.clone() - h) * q2ca * self.a2;
        let plc = (ca.clone() + (1.0 - self.alpha) * self.k4) / (ca + self.k4) * self.v4;
        let dip3 = (-ip3 + self.ip3_rest) * self.ip3_rate + plc + drive + lap_ip3 * self.d_ip3;
        [dca, dh, dip3]
    }

    /// One classic RK4 step of length `dt` (s) for any [`Field`]; the IP₃ drive and the diffusion
    /// terms are frozen over the four stages, as published. Returns the increments of (Ca, h, IP₃).
    pub(crate) fn rk4_increment_with<T: Field>(&self, y: [T; 3], drive: T, lap_ca: T, lap_ip3: T, dt: f32) -> [T; 3] {
        let rates = |s: &[T; 3]| {
            self.rates(s[0].clone(), s[1].clone(), s[2].clone(), drive.clone(), lap_ca.clone(), lap_ip3.clone())
        };
        let stage = |k: &[T; 3], f: f32| -> [T; 3] {
            [y[0].clone() + k[0].clone() * f, y[1].clone() + k[1].clone() * f, y[2].clone() + k[2].clone() * f]
        };
        let k1 = rates(&y);
        let k2 = rates(&stage(&k1, dt / 2.0));
        let k3 = rates(&stage(&k2, dt / 2.0));
        let k4 = rates(&stage(&k3, dt));
        let comb = |m: usize| {
            (k1[m].clone() + k2[m].clone() * 2.0 + k3[m].clone() * 2.0 + k4[m].clone()) * (dt / 6.0)
        };
        [comb(0), comb(1), comb(2)]
    }

    /// One classic RK4 step of length `dt` (s) of the whole grid, diffusion included. Returns the
    /// increments of (Ca, h, IP₃).
    pub fn rk4_increment(&self, ca: Tensor<3>, h: Tensor<3>, ip3: Tensor<3>, drive: Tensor<3>, dt: f32) -> [Tensor<3>; 3] {
        let lap_ca = Self::laplacian(ca.clone());
        let lap_ip3 = Self::laplacian(ip3.clone());
        self.rk4_increment_with([ca, h, ip3], drive, lap_ca, lap_ip3, dt)
    }

    /// One RK4 step of (Ca, h, IP₃) with Kahan-compensated accumulation; `carry` holds the
    /// compensation terms between calls (start from zeros).
    pub fn rk4(&self, y: [Tensor<3>; 3], carry: [Tensor<3>; 3], drive: Tensor<3>, dt: f32) -> ([Tensor<3>; 3], [Tensor<3>; 3]) {
        let [ca, h, ip3] = y;
        let inc = self.rk4_increment(ca.clone(), h.clone(), ip3.clone(), drive, dt);
        let mut out = Vec::with_capacity(3);
        let mut err = Vec::with_capacity(3);
        for ((y, inc), c) in [ca, h, ip3].into_iter().zip(inc).zip(carry) {
            let t = inc - c;
            let sum = y.clone() + t.clone();
            err.push((sum.clone() - y) - t);
            out.push(sum);
        }
        let arr = |v: Vec<Tensor<3>>| -> [Tensor<3>; 3] { v.try_into().expect("three components") };
        (arr(out), arr(err))
    }

    /// Advances the astrocytes by one *neuron* step (number `step`), given this step's neuron maps.
    ///
    /// Order as published: territory counts, synchrony register, IP₃ trigger (used in the same step),
    /// the Ca²⁺ model (every `substeps` neuron steps, with the mean drive since the last update), then
    /// the gating check every 1 ms with the updated Ca²⁺.
    ///
    /// # Shapes
    /// - `glutamate`, `spikes`: `[batch, height · width]` (`spikes` is 0/1)
    /// - returns the new state and the active (potentiating) mask `[batch, grid_h, grid_w]`
    pub fn forward(&self, state: AstrocyteState, glutamate: Tensor<2>, spikes: Tensor<2>, step: usize) -> (AstrocyteState, Tensor<3, Bool>) {
        let AstrocyteState { ca, h, ip3, ip3_timer, gate_timer, last_sync, drive_acc, carry } = state;
        let active_neurons = self.territory_sum(glutamate.greater_equal_elem(self.glutamate_threshold).float());
        let sync = self.territory_sum(spikes);
        // Window sums of 0/1 maps are integers up to rounding of the pooling average.
        let last_sync = last_sync.mask_fill(sync.greater_equal_elem(self.min_sync - 0.5), step as f32);
        let ip3_timer = ip3_timer.mask_fill(active_neurons.greater_equal_elem(self.min_active - 0.5), self.ip3_pulse_steps);
        let drive = ip3_timer.clone().greater_elem(0.0).float() * self.ip3_drive;
        let ip3_timer = (ip3_timer - 1.0).clamp_min(0.0);
        let drive_acc = drive_acc + drive;
        let (ca, h, ip3, drive_acc, carry) = if step % self.substeps == 0 {
            let mean_drive = drive_acc.clone() / self.substeps as f32;
            let ([ca, h, ip3], carry) = self.rk4([ca, h, ip3], carry, mean_drive, self.dt_s);
            (ca, h, ip3, drive_acc.zeros_like(), carry)
        } else {
            (ca, h, ip3, drive_acc, carry)
        };
        let gate_timer = if step % self.check_every == 0 {
            let recent = last_sync.clone().neg().add_scalar(step as f32).lower_equal_elem(self.sync_window_steps);
            let trigger = ca.clone().greater_elem(self.ca_threshold).bool_and(recent);
            gate_timer.mask_fill(trigger, self.gate_steps)
        } else {
            gate_timer
        };
        let active = gate_timer.clone().greater_elem(0.0);
        let gate_timer = (gate_timer - 1.0).clamp_min(0.0);
        (AstrocyteState { ca, h, ip3, ip3_timer, gate_timer, last_sync, drive_acc, carry }, active)
    }
}
