//! Trainable leaky integrate-and-fire (LIF) neurons, first order or with a synaptic current.
//!
//! Per time step (dimensionless, threshold units; one step = `dt`):
//!
//! ```text
//! i_t = α·i_{t−1} + x_t            (only with a synaptic current, `alpha = Some(α)`; else i_t = x_t)
//! h_t = β·v_{t−1} + i_t            (membrane before the spike)
//! (i_t and h_t are clamped to ±[`LIMIT`] so no finite input overflows)
//! s_t = H(h_t − θ)                 (spike, surrogate gradient backward)
//! v_t = h_t − s_t·θ                (soft reset, `Reset::Subtract`)
//! v_t = h_t·(1 − s_t)              (hard reset to 0, `Reset::Zero`)
//! ```
//!
//! β = exp(−dt/τ_mem). With a learnable β it is stored as a logit, so β = sigmoid(logit) ∈ (0, 1).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::sigmoid;
use burn::backend::Dispatch;
use burn::tensor::{Device, Tensor};

use crate::circuit::Engine;
use crate::fused_lif::{LifBackend, LifParams};
use crate::spiking::{SpikingNeuron, check_state_shape, run_sequence};
use crate::surrogate::Surrogate;

/// Bound on |membrane| and |current| (threshold units): far outside any trained regime, it keeps
/// huge finite inputs from overflowing to ±inf (and a hard reset of inf from giving NaN).
pub const LIMIT: f32 = 1e30;

/// What happens to the membrane of a neuron that spiked.
#[derive(Config, Debug, PartialEq, Eq, Copy)]
pub enum Reset {
    /// Soft reset: the threshold is subtracted (`v ← h − θ`), the excess is kept.
    Subtract,
    /// Hard reset: the membrane is set to 0.
    Zero,
}

/// Configuration of a [`Lif`] layer.
///
/// Defaults: β = 0.9 (τ_mem ≈ 9.5 steps), fixed; no synaptic current; θ = 1; soft reset;
/// ATan surrogate with α = 2; reset term differentiated; time-major sequences; reference engine.
#[derive(Config, Debug)]
pub struct LifConfig {
    /// Membrane decay per step β ∈ (0, 1) (dimensionless), the initial value when learnable.
    #[config(default = 0.9)]
    pub beta: f64,
    /// Whether β is a trainable parameter (stored as a logit).
    #[config(default = false)]
    pub learn_beta: bool,
    /// Decay per step α ∈ [0, 1) of a second-order synaptic current `i ← α·i + x`; `None` feeds the
    /// input straight into the membrane (first-order LIF).
    #[config(default = "None")]
    pub alpha: Option<f64>,
    /// Firing threshold θ (membrane units), > 0.
    #[config(default = 1.0)]
    pub threshold: f64,
    /// Reset mode.
    #[config(default = "Reset::Subtract")]
    pub reset: Reset,
    /// Surrogate gradient of the spike.
    #[config(default = "Surrogate::ATan { alpha: 2.0 }")]
    pub surrogate: Surrogate,
    /// Whether the reset term is cut from the graph (gradients only flow through `h`).
    #[config(default = false)]
    pub detach_reset: bool,
    /// Sequences are `[B, T, …]` instead of `[T, B, …]`.
    #[config(default = false)]
    pub batch_first: bool,
    /// How [`Lif::forward`] runs a sequence: `Reference` steps tensor ops (one autodiff node per op
    /// and step), `Fused` runs the whole sequence as one backend op with a hand-written
    /// surrogate-gradient backward (`fused_lif.rs`). Same spikes; gradients equal to rounding.
    #[config(default = "Engine::Reference")]
    pub engine: Engine,
}

impl LifConfig {
    /// Builds the layer; β's parameter (if learnable) lives on `device`.
    ///
    /// Panics if β ∉ (0, 1) (β = 1, a perfect integrator, is allowed when not learnable), if α ∉ [0, 1)
    /// or if θ ≤ 0.
    pub fn init(&self, device: &Device) -> Lif {
        assert!(self.threshold > 0.0, "threshold must be > 0, got {}", self.threshold);
        if self.learn_beta {
            assert!(self.beta > 0.0 && self.beta < 1.0, "learnable beta must be in (0, 1), got {}", self.beta);
        } else {
            assert!(self.beta >= 0.0 && self.beta <= 1.0, "beta must be in [0, 1], got {}", self.beta);
        }
        if let Some(a) = self.alpha {
            assert!((0.0..1.0).contains(&a), "alpha must be in [0, 1), got {a}");
        }
        let beta_logit = self.learn_beta.then(|| {
            let logit = (self.beta / (1.0 - self.beta)).ln() as f32;
            Param::from_tensor(Tensor::<1>::from_floats([logit], device))
        });
        Lif {
            beta_logit,
            beta: self.beta as f32,
            alpha: self.alpha.map(|a| a as f32),
            threshold: self.threshold as f32,
            reset: self.reset,
            surrogate: self.surrogate,
            detach_reset: self.detach_reset,
            batch_first: self.batch_first,
            engine: self.engine,
        }
    }
}

/// A layer of LIF neurons (one per input element, no weights); see [`LifConfig`] and the module docs.
#[derive(Module, Debug)]
pub struct Lif {
    /// logit(β) when β is learnable.
    pub beta_logit: Option<Param<Tensor<1>>>,
    beta: f32,
    alpha: Option<f32>,
    threshold: f32,
    #[module(skip)]
    reset: Reset,
    #[module(skip)]
    surrogate: Surrogate,
    detach_reset: bool,
    batch_first: bool,
    #[module(skip)]
    engine: Engine,
}

/// State of a [`Lif`] layer; every tensor has the shape of one input slice.
#[derive(Clone, Debug)]
pub struct LifState<const D: usize> {
    /// Membrane potential after the reset (threshold units).
    pub v: Tensor<D>,
    /// Synaptic current (only with `alpha`).
    pub i: Option<Tensor<D>>,
}

impl<const D: usize> LifState<D> {
    /// The same values cut from the autodiff graph (truncated BPTT).
    pub fn detach(self) -> Self {
        Self { v: self.v.detach(), i: self.i.map(Tensor::detach) }
    }
}

impl Lif {
    /// The current β (the learnable one's sigmoid when trainable).
    pub fn beta(&self) -> f32 {
        match &self.beta_logit {
            Some(p) => sigmoid(p.val()).into_scalar::<f32>(),
            None => self.beta,
        }
    }

    /// Firing threshold θ.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Synaptic current decay α, if any.
    pub fn alpha(&self) -> Option<f32> {
        self.alpha
    }

    fn decay<const D: usize>(&self, v: Tensor<D>) -> Tensor<D> {
        match &self.beta_logit {
            Some(p) => v * sigmoid(p.val()).reshape([1usize; D]),
            None => v * self.beta,
        }
    }

    /// The resting state (v = 0, i = 0) of input slices shaped like `like`.
    pub fn init_state<const D: usize>(&self, like: &Tensor<D>) -> LifState<D> {
        LifState { v: like.zeros_like(), i: self.alpha.map(|_| like.zeros_like()) }
    }

    /// One time step; see the module docs for the equations.
    ///
    /// # Shapes
    /// - `input`: any shape; `state`: the same shape (checked)
    /// - returns spikes (0/1) of the shape of `input` and the new state
    pub fn step<const D: usize>(&self, input: Tensor<D>, state: LifState<D>) -> (Tensor<D>, LifState<D>) {
        check_state_shape("Lif", &state.v.dims(), &input.dims());
        let i = match (self.alpha, state.i) {
            (Some(a), Some(i)) => Some((i * a + input.clone()).clamp(-LIMIT, LIMIT)),
            (Some(_), None) => Some(input.clone().clamp(-LIMIT, LIMIT)),
            (None, _) => None,
        };
        let drive = i.clone().unwrap_or(input);
        let h = (self.decay(state.v) + drive).clamp(-LIMIT, LIMIT);
        let s = self.surrogate.spike(h.clone() - self.threshold);
        let r = if self.detach_reset { s.clone().detach() } else { s.clone() };
        let v = match self.reset {
            Reset::Subtract => h - r * self.threshold,
            Reset::Zero => h.clone() - h * r,
        };
        (s, LifState { v, i })
    }

    /// Runs a sequence.
    ///
    /// # Shapes
    /// - `input`: `[T, B, …]` (or `[B, T, …]` when batch-first), rank ≥ 2
    /// - `state`: `[1, B, …]` (or `[B, 1, …]`); `None` starts at rest with the input's batch size
    /// - returns spikes of the shape of `input` and the state after the last step
    pub fn forward<const D: usize>(
        &self,
        input: Tensor<D>,
        state: Option<LifState<D>>,
    ) -> (Tensor<D>, LifState<D>) {
        match self.engine {
            Engine::Reference => run_sequence(self, input, state),
            Engine::Fused => self.forward_fused(input, state),
        }
    }

    /// The whole sequence as one fused backend op (see `fused_lif.rs` for the packed layout).
    fn forward_fused<const D: usize>(&self, input: Tensor<D>, state: Option<LifState<D>>) -> (Tensor<D>, LifState<D>) {
        assert!(D >= 2, "a spiking sequence needs a time and a batch axis, got rank {D}");
        // Work time-major; batch-first tensors are swapped in and out.
        let time_major = |t: Tensor<D>| if self.batch_first { t.swap_dims(0, 1) } else { t };
        let x = time_major(input);
        let dims = x.dims();
        let steps = dims[0];
        assert!(steps > 0, "empty sequence (time axis has length 0)");
        let n: usize = dims[1..].iter().product();
        let mut slice_dims = dims;
        slice_dims[0] = 1;
        let state = match state {
            Some(s) => LifState { v: time_major(s.v), i: s.i.map(time_major) },
            None => self.init_state(&x.clone().narrow(0, 0, 1)),
        };
        check_state_shape("Lif", &state.v.dims(), &slice_dims);
        let device = x.device();
        let mut rows = vec![x.reshape([steps, n]), state.v.reshape([1, n])];
        if self.alpha.is_some() {
            let i = state.i.map(|i| i.reshape([1, n])).unwrap_or_else(|| Tensor::zeros([1, n], &device));
            rows.push(i);
        }
        let packed = Tensor::cat(rows, 0);
        let beta = match &self.beta_logit {
            Some(p) => sigmoid(p.val()),
            None => Tensor::<1>::from_floats([self.beta], &device),
        };
        let p = LifParams::new(self.threshold, self.alpha, self.reset, self.detach_reset, self.surrogate);
        let out: Tensor<2> = Tensor::from_dispatch(Dispatch::lif_forward(
            packed.into_dispatch(),
            beta.into_dispatch(),
            p.threshold,
            p.alpha,
            p.current,
            p.reset_zero,
            p.detach_reset,
            p.surrogate_kind,
            p.surrogate_param,
        ));
        let spikes = out.clone().narrow(0, 0, steps).reshape(dims);
        let v = out.clone().narrow(0, steps, 1).reshape(slice_dims);
        let i = self.alpha.map(|_| time_major(out.narrow(0, steps + 1, 1).reshape(slice_dims)));
        (time_major(spikes), LifState { v: time_major(v), i })
    }
}

impl SpikingNeuron for Lif {
    type State<const D: usize> = LifState<D>;

    fn init_state<const D: usize>(&self, like: &Tensor<D>) -> LifState<D> {
        Lif::init_state(self, like)
    }

    fn step<const D: usize>(&self, input: Tensor<D>, state: LifState<D>) -> (Tensor<D>, LifState<D>) {
        Lif::step(self, input, state)
    }

    fn detach_state<const D: usize>(state: LifState<D>) -> LifState<D> {
        state.detach()
    }

    fn batch_first(&self) -> bool {
        self.batch_first
    }
}
