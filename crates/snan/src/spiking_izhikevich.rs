//! A trainable (surrogate-gradient) Izhikevich layer over `[T, B, …]` sequences.
//!
//! The equations and parameters are those of [`IzhikevichConfig`] (V, U in mV, time in ms, the
//! input in the model's mV/ms units), integrated by one forward-Euler step of `dt_ms` per time step,
//! with the spike and reset in the same step (Izhikevich's own order):
//!
//! ```text
//! V' = max(V + dt·(0.04V² + 5V + 140 − U + I), v_floor)
//! U' = U + dt·a·(b·V' − U)
//! s  = H((V' − v_peak)/v_scale)          (surrogate gradient backward)
//! V  ← V'·(1 − s) + c·s,   U ← U' + d·s
//! ```
//!
//! `input_clip` and `integration` of the config are not used (no clipping, always forward Euler).

use burn::config::Config;
use burn::module::Module;
use burn::tensor::Tensor;

use crate::izhikevich::IzhikevichConfig;
use crate::spiking::{SpikingNeuron, check_state_shape, run_sequence};
use crate::surrogate::Surrogate;

/// Configuration of a [`SpikingIzhikevich`] layer.
///
/// Defaults: regular-spiking neuron (a = 0.02 /ms, b = 0.2, c = −65 mV, d = 8 mV) at dt = 0.5 ms per
/// time step, ATan surrogate (α = 2) on `(V − 30 mV)/10 mV`, time-major.
#[derive(Config, Debug)]
pub struct SpikingIzhikevichConfig {
    /// Neuron parameters (`a`, `b`, `c`, `d`, `v_peak`, `v_floor`, `v_init`, `u_init`, `dt_ms`).
    #[config(default = "IzhikevichConfig::regular_spiking().with_dt_ms(0.5).with_input_clip(None)")]
    pub neuron: IzhikevichConfig,
    /// Surrogate gradient of the spike.
    #[config(default = "Surrogate::ATan { alpha: 2.0 }")]
    pub surrogate: Surrogate,
    /// Voltage scale (mV) of the surrogate's argument `(V − v_peak)/v_scale`.
    #[config(default = 10.0)]
    pub v_scale: f64,
    /// Sequences are `[B, T, …]` instead of `[T, B, …]`.
    #[config(default = false)]
    pub batch_first: bool,
}

impl SpikingIzhikevichConfig {
    /// Builds the layer (no trainable parameters of its own: it is trained through its input).
    pub fn init(&self) -> SpikingIzhikevich {
        assert!(self.v_scale > 0.0, "v_scale must be > 0");
        let n = &self.neuron;
        SpikingIzhikevich {
            a: n.a as f32,
            b: n.b as f32,
            c: n.c as f32,
            d: n.d as f32,
            v_peak: n.v_peak as f32,
            v_floor: n.v_floor as f32,
            v_init: n.v_init as f32,
            u_init: n.u_init as f32,
            dt_ms: n.dt_ms as f32,
            v_scale: self.v_scale as f32,
            surrogate: self.surrogate,
            batch_first: self.batch_first,
        }
    }
}

/// Izhikevich neurons with a differentiable spike; see [`SpikingIzhikevichConfig`].
#[derive(Module, Debug)]
pub struct SpikingIzhikevich {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    v_peak: f32,
    v_floor: f32,
    v_init: f32,
    u_init: f32,
    dt_ms: f32,
    v_scale: f32,
    #[module(skip)]
    surrogate: Surrogate,
    batch_first: bool,
}

/// State `(v, u)` of a [`SpikingIzhikevich`] layer, each of the shape of one input slice.
#[derive(Clone, Debug)]
pub struct SpikingIzhikevichState<const D: usize> {
    /// Membrane potential (mV).
    pub v: Tensor<D>,
    /// Recovery variable (mV).
    pub u: Tensor<D>,
}

impl<const D: usize> SpikingIzhikevichState<D> {
    /// The same values cut from the autodiff graph (truncated BPTT).
    pub fn detach(self) -> Self {
        Self { v: self.v.detach(), u: self.u.detach() }
    }
}

impl SpikingIzhikevich {
    /// Resting state (`v_init`, `u_init`) for input slices shaped like `like`.
    pub fn init_state<const D: usize>(&self, like: &Tensor<D>) -> SpikingIzhikevichState<D> {
        SpikingIzhikevichState { v: like.full_like(self.v_init), u: like.full_like(self.u_init) }
    }

    /// One time step of `dt_ms`; see the module docs.
    ///
    /// # Shapes
    /// - `input` (mV/ms): any shape; `state`: the same shape (checked)
    /// - returns spikes (0/1) of the shape of `input` and the new state
    pub fn step<const D: usize>(
        &self,
        input: Tensor<D>,
        state: SpikingIzhikevichState<D>,
    ) -> (Tensor<D>, SpikingIzhikevichState<D>) {
        check_state_shape("SpikingIzhikevich", &state.v.dims(), &input.dims());
        let SpikingIzhikevichState { v, u } = state;
        let dt = self.dt_ms;
        // The clamp keeps V² finite in f32 for any input (as in `Izhikevich::step`).
        let dvdt = (v.clone() * v.clone() * 0.04 + v.clone() * 5.0 + 140.0 - u.clone() + input).clamp(-1e9, 1e9);
        let v1 = (v + dvdt * dt).clamp_min(self.v_floor);
        let u1 = u.clone() + (v1.clone() * self.b - u) * (self.a * dt);
        let s = self.surrogate.spike((v1.clone() - self.v_peak) / self.v_scale);
        // `V'·(1 − s) + c·s` is exactly c where s = 1.
        let v = v1 * (-s.clone() + 1.0) + s.clone() * self.c;
        let u = u1 + s.clone() * self.d;
        (s, SpikingIzhikevichState { v, u })
    }

    /// Runs a sequence.
    ///
    /// # Shapes
    /// - `input`: `[T, B, …]` (or `[B, T, …]` when batch-first), rank ≥ 2
    /// - `state`: `[1, B, …]` (or `[B, 1, …]`); `None` starts at rest
    /// - returns spikes of the shape of `input` and the state after the last step
    pub fn forward<const D: usize>(
        &self,
        input: Tensor<D>,
        state: Option<SpikingIzhikevichState<D>>,
    ) -> (Tensor<D>, SpikingIzhikevichState<D>) {
        run_sequence(self, input, state)
    }
}

impl SpikingNeuron for SpikingIzhikevich {
    type State<const D: usize> = SpikingIzhikevichState<D>;

    fn init_state<const D: usize>(&self, like: &Tensor<D>) -> Self::State<D> {
        SpikingIzhikevich::init_state(self, like)
    }

    fn step<const D: usize>(&self, input: Tensor<D>, state: Self::State<D>) -> (Tensor<D>, Self::State<D>) {
        SpikingIzhikevich::step(self, input, state)
    }

    fn detach_state<const D: usize>(state: Self::State<D>) -> Self::State<D> {
        state.detach()
    }

    fn batch_first(&self) -> bool {
        self.batch_first
    }
}
