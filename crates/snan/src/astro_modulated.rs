//! A spiking layer whose synaptic input is gated by a slow astrocyte population, trainable end to end.
//!
//! Each astrocyte `g` covers a set of neurons (a spatial territory of a 2-D layout, or a group of
//! features) and integrates their mean spike rate with a slow Ca²⁺-like variable. Per time step
//! (time in ms, one step = `dt_ms`):
//!
//! ```text
//! gate_g = 1 + a_g·sigmoid((c_g − θ_ca)/w)        (smooth, ≥ 1; a_g trainable)
//! s      = neuron.step(x ⊙ gate_{g(n)}, …)         (input of neuron n scaled by its astrocyte's gate)
//! r_g    = mean of s over the neurons of g          (spikes per neuron per step)
//! c_g    ← c_g + dt/τ_ca·(−c_g + k·r_g)            (τ_ca ≫ τ_mem)
//! ```
//!
//! The gate of step t uses the Ca²⁺ after step t−1 (causal); gradients flow through the spikes'
//! surrogate, the Ca²⁺ recursion and the gains. This is a simplified, differentiable analogue of the
//! SNAN's astrocyte gating ([`crate::astrocytes`]), not the Ullah model.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData};

use crate::spiking::{SpikingNeuron, run_sequence};

/// How neurons are assigned to astrocytes. The neurons of one sample are the elements of one input
/// slice without its time and batch axes, flattened in row-major order.
#[derive(Config, Debug, PartialEq, Eq)]
pub enum AstroLayout {
    /// `features` neurons split into `groups` contiguous groups of (nearly) equal size.
    Groups {
        /// Neurons per sample.
        features: usize,
        /// Number of astrocytes.
        groups: usize,
    },
    /// Neurons on a `[channels, height, width]` layout; each astrocyte covers a `size × size`
    /// pixel territory (all channels), tiling the image (the last row/column may be smaller).
    Territories {
        /// Channels (1 for a plain 2-D layout `[height, width]`).
        channels: usize,
        /// Layout height.
        height: usize,
        /// Layout width.
        width: usize,
        /// Territory side (pixels).
        size: usize,
    },
}

impl AstroLayout {
    /// Neurons per sample.
    pub fn features(&self) -> usize {
        match *self {
            AstroLayout::Groups { features, .. } => features,
            AstroLayout::Territories { channels, height, width, .. } => channels * height * width,
        }
    }

    /// The astrocyte of every neuron (`features()` entries) and the number of astrocytes.
    pub fn assignment(&self) -> (Vec<usize>, usize) {
        match *self {
            AstroLayout::Groups { features, groups } => {
                assert!(groups > 0 && groups <= features, "need 1 ≤ groups ≤ features, got {groups} of {features}");
                ((0..features).map(|f| f * groups / features).collect(), groups)
            }
            AstroLayout::Territories { channels, height, width, size } => {
                assert!(size > 0 && channels > 0 && height > 0 && width > 0, "empty layout or territory");
                let (gh, gw) = (height.div_ceil(size), width.div_ceil(size));
                let mut a = Vec::with_capacity(channels * height * width);
                for _ in 0..channels {
                    for y in 0..height {
                        for x in 0..width {
                            a.push((y / size) * gw + x / size);
                        }
                    }
                }
                (a, gh * gw)
            }
        }
    }
}

/// Configuration of an [`AstroModulated`] layer.
///
/// Defaults (dt = 1 ms per step): τ_ca = 50 ms (vs τ_mem ≈ 9.5 ms for the default LIF β = 0.9),
/// k = 1, θ_ca = 0.05, w = 0.02, initial gain a = 0.5 (trainable).
#[derive(Config, Debug)]
pub struct AstroModulatedConfig {
    /// Assignment of neurons to astrocytes.
    pub layout: AstroLayout,
    /// Time step (ms).
    #[config(default = 1.0)]
    pub dt_ms: f64,
    /// Ca²⁺ time constant τ_ca (ms), ≥ dt.
    #[config(default = 50.0)]
    pub tau_ca_ms: f64,
    /// Ca²⁺ drive per unit rate k (Ca units per spike/neuron/step).
    #[config(default = 1.0)]
    pub k: f64,
    /// Gate midpoint θ_ca (Ca units).
    #[config(default = 0.05)]
    pub theta: f64,
    /// Gate width w (Ca units), > 0.
    #[config(default = 0.02)]
    pub width: f64,
    /// Initial gate gain a (the gate goes from 1 to 1 + a).
    #[config(default = 0.5)]
    pub gain: f64,
    /// Whether the per-astrocyte gains are trainable.
    #[config(default = true)]
    pub learn_gain: bool,
}

impl AstroModulatedConfig {
    /// Wraps `neuron`; the gains and assignment matrices live on `device`.
    pub fn init<N: SpikingNeuron>(&self, neuron: N, device: &Device) -> AstroModulated<N> {
        assert!(self.width > 0.0, "width must be > 0");
        assert!(self.tau_ca_ms >= self.dt_ms && self.dt_ms > 0.0, "need 0 < dt ≤ tau_ca");
        let (assign, groups) = self.layout.assignment();
        let features = assign.len();
        let mut counts = vec![0usize; groups];
        for &g in &assign {
            counts[g] += 1;
        }
        let mut mean = vec![0f32; features * groups];
        let mut expand = vec![0f32; groups * features];
        for (f, &g) in assign.iter().enumerate() {
            mean[f * groups + g] = 1.0 / counts[g] as f32;
            expand[g * features + f] = 1.0;
        }
        let gain = Param::from_tensor(Tensor::<1>::full([groups], self.gain as f32, device));
        let gain = if self.learn_gain { gain } else { gain.set_require_grad(false) };
        AstroModulated {
            neuron,
            gain,
            mean: Tensor::from_data(TensorData::new(mean, [features, groups]), device),
            expand: Tensor::from_data(TensorData::new(expand, [groups, features]), device),
            features,
            groups,
            leak: (self.dt_ms / self.tau_ca_ms) as f32,
            k: self.k as f32,
            theta: self.theta as f32,
            width: self.width as f32,
        }
    }
}

/// A spiking layer with astrocyte-gated input; see the module docs and [`AstroModulatedConfig`].
#[derive(Module, Debug)]
pub struct AstroModulated<N: SpikingNeuron> {
    /// The wrapped spiking layer.
    pub neuron: N,
    /// Gate gain a_g per astrocyte, `[groups]`.
    pub gain: Param<Tensor<1>>,
    /// `[features, groups]`: neuron → astrocyte averaging matrix.
    mean: Tensor<2>,
    /// `[groups, features]`: astrocyte → neuron one-hot matrix.
    expand: Tensor<2>,
    features: usize,
    groups: usize,
    leak: f32,
    k: f32,
    theta: f32,
    width: f32,
}

/// State of an [`AstroModulated`] layer: the wrapped neuron's and the astrocytes' Ca²⁺.
#[derive(Clone, Debug)]
pub struct AstroModulatedState<S> {
    /// The wrapped layer's state.
    pub neuron: S,
    /// Ca²⁺ of each astrocyte, `[batch, groups]`.
    pub ca: Tensor<2>,
}

impl<N: SpikingNeuron> AstroModulated<N> {
    /// Number of astrocytes.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The current gates `1 + a·sigmoid((c − θ)/w)`.
    ///
    /// # Shapes
    /// - `ca`: `[batch, groups]`; returns `[batch, groups]`
    pub fn gate(&self, ca: Tensor<2>) -> Tensor<2> {
        let a = self.gain.val().reshape([1, self.groups]);
        sigmoid((ca - self.theta) / self.width) * a + 1.0
    }

    fn batch_of(&self, dims: &[usize]) -> usize {
        let n: usize = dims.iter().product();
        assert!(
            n % self.features == 0,
            "AstroModulated: an input slice of shape {dims:?} is not a whole number of {}-neuron samples",
            self.features
        );
        n / self.features
    }

    /// The resting state (neuron at rest, Ca²⁺ = 0) for input slices shaped like `like`.
    pub fn init_state<const D: usize>(&self, like: &Tensor<D>) -> AstroModulatedState<N::State<D>> {
        let b = self.batch_of(&like.dims());
        AstroModulatedState {
            neuron: self.neuron.init_state(like),
            ca: Tensor::zeros([b, self.groups], &like.device()),
        }
    }

    /// One time step; see the module docs.
    ///
    /// # Shapes
    /// - `input`: one slice, `[1, B, …]` / `[B, 1, …]` (any shape of `B × features` elements)
    /// - `state.ca`: `[B, groups]`; `state.neuron`: the shape of `input`
    /// - returns spikes of the shape of `input` and the new state
    pub fn step<const D: usize>(
        &self,
        input: Tensor<D>,
        state: AstroModulatedState<N::State<D>>,
    ) -> (Tensor<D>, AstroModulatedState<N::State<D>>) {
        let dims = input.dims();
        let b = self.batch_of(&dims);
        assert_eq!(
            state.ca.dims(),
            [b, self.groups],
            "AstroModulated: Ca state does not match the input's batch (pass `None` to start a new batch)"
        );
        let gate = self.gate(state.ca.clone()).matmul(self.expand.clone()).reshape(dims);
        let (s, neuron) = self.neuron.step(input * gate, state.neuron);
        let rate = s.clone().reshape([b, self.features]).matmul(self.mean.clone());
        let ca = state.ca.clone() + (rate * self.k - state.ca) * self.leak;
        (s, AstroModulatedState { neuron, ca })
    }

    /// Runs a sequence (time axis as configured on the wrapped layer).
    ///
    /// # Shapes
    /// - `input`: `[T, B, …]` (or `[B, T, …]`); the trailing axes hold `features` neurons per sample
    /// - `state`: see [`AstroModulatedState`]; `None` starts at rest
    /// - returns spikes of the shape of `input` and the state after the last step
    pub fn forward<const D: usize>(
        &self,
        input: Tensor<D>,
        state: Option<AstroModulatedState<N::State<D>>>,
    ) -> (Tensor<D>, AstroModulatedState<N::State<D>>) {
        run_sequence(self, input, state)
    }
}

impl<S> AstroModulatedState<S> {
    /// Maps the wrapped state (e.g. to detach it).
    pub fn map_neuron<T>(self, f: impl FnOnce(S) -> T) -> AstroModulatedState<T> {
        AstroModulatedState { neuron: f(self.neuron), ca: self.ca }
    }
}

impl<N: SpikingNeuron> SpikingNeuron for AstroModulated<N> {
    type State<const D: usize> = AstroModulatedState<N::State<D>>;

    fn init_state<const D: usize>(&self, like: &Tensor<D>) -> Self::State<D> {
        AstroModulated::init_state(self, like)
    }

    fn step<const D: usize>(&self, input: Tensor<D>, state: Self::State<D>) -> (Tensor<D>, Self::State<D>) {
        AstroModulated::step(self, input, state)
    }

    fn detach_state<const D: usize>(state: Self::State<D>) -> Self::State<D> {
        AstroModulatedState { neuron: N::detach_state(state.neuron), ca: state.ca.detach() }
    }

    fn batch_first(&self) -> bool {
        self.neuron.batch_first()
    }
}
