//! The interface shared by the trainable spiking layers ([`Lif`](crate::Lif),
//! [`SpikingIzhikevich`](crate::SpikingIzhikevich), [`AstroModulated`](crate::AstroModulated)).
//!
//! # Shapes and state
//!
//! Sequences are time-major `[T, B, …]` by default, or batch-first `[B, T, …]` when the layer is
//! configured so. A layer's state has the shape of **one time slice of the input with the time axis
//! kept at size 1** (`[1, B, …]` time-major, `[B, 1, …]` batch-first), so it has the same rank as the
//! input. State is always an explicit value passed in and returned; `None` starts from rest with the
//! input's batch size, so a new batch size needs no reset.
//!
//! For truncated BPTT, call the state's `detach()` between chunks: it cuts the autodiff graph so the
//! history of earlier chunks is released.

use burn::module::{Module, ModuleDisplay};
use burn::tensor::Tensor;

/// A spiking neuron population stepped in discrete time.
pub trait SpikingNeuron: Module + ModuleDisplay {
    /// The explicit state of a population whose input slices have rank `D`.
    type State<const D: usize>: Clone + core::fmt::Debug;

    /// The resting state for input slices shaped (and placed on the device) like `like`.
    fn init_state<const D: usize>(&self, like: &Tensor<D>) -> Self::State<D>;

    /// One time step: the spikes (0/1 forward, surrogate gradient backward) and the new state.
    ///
    /// # Shapes
    /// - `input`: one time slice, any shape (for sequences `[1, B, …]` or `[B, 1, …]`)
    /// - `state`: the shape of `input` (checked)
    /// - returns spikes of the shape of `input` and the new state
    fn step<const D: usize>(&self, input: Tensor<D>, state: Self::State<D>) -> (Tensor<D>, Self::State<D>);

    /// The state cut from the autodiff graph (same values).
    fn detach_state<const D: usize>(state: Self::State<D>) -> Self::State<D>;

    /// Whether sequences are `[B, T, …]` (true) or `[T, B, …]` (false).
    fn batch_first(&self) -> bool;

    /// Runs a whole sequence.
    ///
    /// # Shapes
    /// - `input`: `[T, B, …]` (or `[B, T, …]` when batch-first), rank ≥ 2
    /// - `state`: `[1, B, …]` (or `[B, 1, …]`); `None` starts at rest
    /// - returns spikes of the shape of `input` and the state after the last step
    fn forward_sequence<const D: usize>(
        &self,
        input: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Self::State<D>) {
        run_sequence(self, input, state)
    }
}

/// Runs `neuron` over the time axis of `input`; see [`SpikingNeuron::forward_sequence`].
pub fn run_sequence<N: SpikingNeuron + ?Sized, const D: usize>(
    neuron: &N,
    input: Tensor<D>,
    state: Option<N::State<D>>,
) -> (Tensor<D>, N::State<D>) {
    assert!(D >= 2, "a spiking sequence needs a time and a batch axis, got rank {D}");
    let axis = usize::from(neuron.batch_first());
    let steps = input.dims()[axis];
    assert!(steps > 0, "empty sequence (time axis {axis} has length 0)");
    let mut state = match state {
        Some(s) => s,
        None => neuron.init_state(&input.clone().narrow(axis, 0, 1)),
    };
    let mut out = Vec::with_capacity(steps);
    for t in 0..steps {
        let x = input.clone().narrow(axis, t, 1);
        let (s, next) = neuron.step(x, state);
        state = next;
        out.push(s);
    }
    (Tensor::cat(out, axis), state)
}

/// Panics with a clear message when a state does not match the input slice.
pub(crate) fn check_state_shape(what: &str, state: &[usize], input: &[usize]) {
    assert_eq!(
        state, input,
        "{what}: state shape {state:?} does not match the input slice {input:?} \
         (pass `None` to start a new batch from rest)"
    );
}
