//! The fused multi-step LIF operation: a whole `[T, N]` sequence of [`Lif`](crate::Lif) neurons in
//! one backend call, forward and surrogate-gradient backward, registered with Burn's autodiff.
//!
//! Why: the reference path ([`Engine::Reference`](crate::Engine)) runs ~10 tensor ops per time step
//! and keeps each of them in the autodiff graph, so a T = 500 sequence is ~5,000 ops and nodes. The
//! fused path is one op (and one graph node) for the whole sequence; its backward recomputes the
//! membrane trace from the saved input instead of storing it.
//!
//! It is a Burn backend extension ([`LifBackend`]): the trait's default bodies are the host
//! implementation (one pass over contiguous memory, parallel over neurons with rayon), used by the
//! Flex and NdArray backends; the `wgpu` feature adds CubeCL kernels (`fused_lif_cube.rs`) for
//! CubeCL runtimes; `Autodiff<B, C>` gets a hand-written backward.
//!
//! # Packed layout
//! One `[R, N]` tensor carries the sequence and the initial state so the op has one input and one
//! output of the same shape (what the extension macro's fusion path needs): rows `0..T` are the
//! inputs `x_t`, row `T` the initial membrane `v`, row `T + 1` the initial synaptic current `i`
//! (only with a current). The output has spikes in rows `0..T` and the final `v` (and `i`) after.

// burn-ndarray is deprecated upstream; it stays one of our CPU backends, so its selector is allowed.
#![allow(deprecated)]

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Slice, TensorData, TensorMetadata, backend_extension, try_read_sync};
use rayon::prelude::*;

use crate::lif::{LIMIT, Reset};
use crate::surrogate::Surrogate;

/// The scalar parameters of a fused LIF call, in the order the extension methods take them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LifParams {
    /// Firing threshold θ (membrane units).
    pub threshold: f32,
    /// Synaptic-current decay α per step; only read when `current` is true.
    pub alpha: f32,
    /// Whether the neuron has a synaptic current (packed rows `T + 1`).
    pub current: bool,
    /// Hard reset to 0 (true) or soft reset by subtraction (false).
    pub reset_zero: bool,
    /// Whether the reset term is cut from the gradient.
    pub detach_reset: bool,
    /// 0: ATan, 1: fast sigmoid.
    pub surrogate_kind: u32,
    /// ATan's α or the fast sigmoid's slope k.
    pub surrogate_param: f32,
}

impl LifParams {
    pub(crate) fn new(threshold: f32, alpha: Option<f32>, reset: Reset, detach_reset: bool, surrogate: Surrogate) -> Self {
        let (surrogate_kind, surrogate_param) = match surrogate {
            Surrogate::ATan { alpha } => (0, alpha as f32),
            Surrogate::FastSigmoid { slope } => (1, slope as f32),
        };
        Self {
            threshold,
            alpha: alpha.unwrap_or(0.0),
            current: alpha.is_some(),
            reset_zero: reset == Reset::Zero,
            detach_reset,
            surrogate_kind,
            surrogate_param,
        }
    }

    /// Packed rows that hold state (1 for `v`, 2 with a current).
    pub(crate) fn state_rows(&self) -> usize {
        1 + usize::from(self.current)
    }

    /// σ'(x) of the configured surrogate (x = membrane minus threshold), as in [`Surrogate::derivative`].
    #[inline]
    fn surrogate_grad(&self, x: f32) -> f32 {
        if self.surrogate_kind == 0 {
            let z = std::f32::consts::FRAC_PI_2 * self.surrogate_param * x;
            0.5 * self.surrogate_param / (1.0 + z * z)
        } else {
            let d = 1.0 + self.surrogate_param * x.abs();
            0.5 * self.surrogate_param / (d * d)
        }
    }
}

/// Fused multi-step LIF forward and backward as a Burn backend extension; see the module docs.
///
/// Call it through [`lif_sequence`](crate::lif::Lif), not directly: the scalar arguments are
/// [`LifParams`]' fields in order.
#[allow(clippy::too_many_arguments, deprecated)]
#[backend_extension(
    Cube: cfg(feature = "wgpu"),
    Flex,
    NdArray: cfg(feature = "ndarray"),
    Autodiff
)]
pub trait LifBackend: Backend {
    /// Runs the sequence: packed `[R, N]` input (see the module docs) → packed `[R, N]` output.
    /// `beta` is β as a `[1]` tensor (so a learnable β gets its gradient).
    #[fusion(dtype = packed, shape = packed)]
    fn lif_forward(
        packed: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        threshold: f32,
        alpha: f32,
        current: bool,
        reset_zero: bool,
        detach_reset: bool,
        surrogate_kind: u32,
        surrogate_param: f32,
    ) -> FloatTensor<Self> {
        let p = LifParams { threshold, alpha, current, reset_zero, detach_reset, surrogate_kind, surrogate_param };
        host_lif_forward::<Self>(packed, beta, &p)
    }

    /// The backward of [`lif_forward`](Self::lif_forward): from the same packed input and β and the
    /// gradient of the packed output `[R, N]`, the gradient of the packed input in rows `0..R` and,
    /// in row `R`, each neuron's share of β's gradient (summed by the caller): `[R + 1, N]`.
    #[fusion(dtype = packed, shape = {
        let mut s = packed.clone();
        s[0] += 1;
        s
    })]
    fn lif_backward(
        packed: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        threshold: f32,
        alpha: f32,
        current: bool,
        reset_zero: bool,
        detach_reset: bool,
        surrogate_kind: u32,
        surrogate_param: f32,
    ) -> FloatTensor<Self> {
        let p = LifParams { threshold, alpha, current, reset_zero, detach_reset, surrogate_kind, surrogate_param };
        host_lif_backward::<Self>(packed, beta, grad, &p)
    }
}

/// [`LifBackend::lif_forward`] on the host, for any backend.
pub(crate) fn host_lif_forward<B: Backend>(packed: FloatTensor<B>, beta: FloatTensor<B>, p: &LifParams) -> FloatTensor<B> {
    let device = packed.device();
    let (x, shape) = host_f32::<B>(packed);
    let (b, _) = host_f32::<B>(beta);
    let out = host_forward(&x, shape[0], shape[1], b[0], p);
    B::float_from_data(TensorData::new(out, shape), &device)
}

/// [`LifBackend::lif_backward`] on the host, for any backend.
pub(crate) fn host_lif_backward<B: Backend>(
    packed: FloatTensor<B>,
    beta: FloatTensor<B>,
    grad: FloatTensor<B>,
    p: &LifParams,
) -> FloatTensor<B> {
    let device = packed.device();
    let (x, shape) = host_f32::<B>(packed);
    let (b, _) = host_f32::<B>(beta);
    let (g, _) = host_f32::<B>(grad);
    let out = host_backward(&x, &g, shape[0], shape[1], b[0], p);
    B::float_from_data(TensorData::new(out, [shape[0] + 1, shape[1]]), &device)
}

impl LifBackend for burn::backend::Flex {}

#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn-ndarray is deprecated upstream; still a supported CPU backend here.
impl LifBackend for burn::backend::NdArray {}

/// Reads a float primitive to host f32 values and its shape (a sync point on lazy backends).
fn host_f32<B: Backend>(t: FloatTensor<B>) -> (Vec<f32>, Vec<usize>) {
    let shape = t.shape().to_vec();
    let data = try_read_sync(B::float_into_data(t))
        .expect("fused LIF: the backend must support synchronous reads")
        .expect("fused LIF: reading the tensor failed");
    (data.convert::<f32>().try_into_vec::<f32>().expect("f32 data"), shape)
}

/// Neurons per rayon task: enough work per task, few enough tasks for load balance.
const CHUNK: usize = 256;

/// The forward on host memory: packed `[rows, n]` in, packed `[rows, n]` out.
///
/// The operations and their order are exactly the reference `Lif::step`'s (`β·v + i`, `h − s·θ`,
/// `h − h·s`, `α·i + x`, the ±`LIMIT` clamps), so spikes are bit-identical to it.
pub(crate) fn host_forward(x: &[f32], rows: usize, n: usize, beta: f32, p: &LifParams) -> Vec<f32> {
    let steps = rows - p.state_rows();
    let mut out = vec![0.0f32; rows * n];
    // Column chunks: each task owns neurons [c0, c0 + len) for all steps; rows are written through
    // raw row slices, so collect per-chunk results and scatter (no shared mutable aliasing).
    let chunks: Vec<(usize, Vec<f32>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let c0 = c * CHUNK;
            let len = CHUNK.min(n - c0);
            let mut local = vec![0.0f32; rows * len];
            let mut v: Vec<f32> = x[steps * n + c0..steps * n + c0 + len].to_vec();
            let mut i: Vec<f32> =
                if p.current { x[(steps + 1) * n + c0..(steps + 1) * n + c0 + len].to_vec() } else { Vec::new() };
            for t in 0..steps {
                let xin = &x[t * n + c0..t * n + c0 + len];
                let s_out = &mut local[t * len..(t + 1) * len];
                for k in 0..len {
                    let drive = if p.current {
                        i[k] = (i[k] * p.alpha + xin[k]).clamp(-LIMIT, LIMIT);
                        i[k]
                    } else {
                        xin[k]
                    };
                    let h = (v[k] * beta + drive).clamp(-LIMIT, LIMIT);
                    let s = if h - p.threshold >= 0.0 { 1.0 } else { 0.0 };
                    v[k] = if p.reset_zero { h - h * s } else { h - s * p.threshold };
                    s_out[k] = s;
                }
            }
            local[steps * len..(steps + 1) * len].copy_from_slice(&v);
            if p.current {
                local[(steps + 1) * len..(steps + 2) * len].copy_from_slice(&i);
            }
            (c0, local)
        })
        .collect();
    for (c0, local) in chunks {
        let len = local.len() / rows;
        for r in 0..rows {
            out[r * n + c0..r * n + c0 + len].copy_from_slice(&local[r * len..(r + 1) * len]);
        }
    }
    out
}

/// The backward on host memory: packed input `[rows, n]` and output gradient `[rows, n]` in;
/// `[rows + 1, n]` out (input gradient, then each neuron's share of dL/dβ).
///
/// Recomputes the membrane before each spike (`h_t`) and after the previous one (`v_{t−1}`), then
/// walks time backwards: `gh = gs·σ'(h − θ) + gv·dv/dh`, `gv ← β·gh`, `dL/dβ += gh·v_{t−1}`, and
/// with a current `gi = gh + α·gi_next`. The ±`LIMIT` clamps are treated as the identity (the
/// reference's clamp passes no gradient beyond |h| = 1e30, far outside any trained regime).
pub(crate) fn host_backward(x: &[f32], g: &[f32], rows: usize, n: usize, beta: f32, p: &LifParams) -> Vec<f32> {
    let steps = rows - p.state_rows();
    let chunks: Vec<(usize, Vec<f32>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let c0 = c * CHUNK;
            let len = CHUNK.min(n - c0);
            // Forward replay, keeping h_t and v_{t−1} per step.
            let mut h_trace = vec![0.0f32; steps * len];
            let mut v_prev = vec![0.0f32; steps * len];
            let mut v: Vec<f32> = x[steps * n + c0..steps * n + c0 + len].to_vec();
            let mut i: Vec<f32> =
                if p.current { x[(steps + 1) * n + c0..(steps + 1) * n + c0 + len].to_vec() } else { Vec::new() };
            for t in 0..steps {
                let xin = &x[t * n + c0..t * n + c0 + len];
                for k in 0..len {
                    let drive = if p.current {
                        i[k] = (i[k] * p.alpha + xin[k]).clamp(-LIMIT, LIMIT);
                        i[k]
                    } else {
                        xin[k]
                    };
                    v_prev[t * len + k] = v[k];
                    let h = (v[k] * beta + drive).clamp(-LIMIT, LIMIT);
                    h_trace[t * len + k] = h;
                    let s = if h - p.threshold >= 0.0 { 1.0 } else { 0.0 };
                    v[k] = if p.reset_zero { h - h * s } else { h - s * p.threshold };
                }
            }
            // Reverse sweep.
            let mut local = vec![0.0f32; (rows + 1) * len];
            let mut gv: Vec<f32> = g[steps * n + c0..steps * n + c0 + len].to_vec();
            let mut gi: Vec<f32> =
                if p.current { g[(steps + 1) * n + c0..(steps + 1) * n + c0 + len].to_vec() } else { Vec::new() };
            let mut gbeta = vec![0.0f32; len];
            for t in (0..steps).rev() {
                let gs = &g[t * n + c0..t * n + c0 + len];
                for k in 0..len {
                    let h = h_trace[t * len + k];
                    let u = h - p.threshold;
                    let sg = p.surrogate_grad(u);
                    let s = if u >= 0.0 { 1.0 } else { 0.0 };
                    let dv_dh = match (p.reset_zero, p.detach_reset) {
                        (false, false) => 1.0 - p.threshold * sg,
                        (false, true) => 1.0,
                        (true, false) => 1.0 - s - h * sg,
                        (true, true) => 1.0 - s,
                    };
                    let gh = gs[k] * sg + gv[k] * dv_dh;
                    gbeta[k] += gh * v_prev[t * len + k];
                    gv[k] = gh * beta;
                    local[t * len + k] = if p.current {
                        let total = gh + gi[k];
                        gi[k] = total * p.alpha;
                        total
                    } else {
                        gh
                    };
                }
            }
            local[steps * len..(steps + 1) * len].copy_from_slice(&gv);
            if p.current {
                local[(steps + 1) * len..(steps + 2) * len].copy_from_slice(&gi);
            }
            local[rows * len..(rows + 1) * len].copy_from_slice(&gbeta);
            (c0, local)
        })
        .collect();
    let mut out = vec![0.0f32; (rows + 1) * n];
    for (c0, local) in chunks {
        let len = local.len() / (rows + 1);
        for r in 0..=rows {
            out[r * n + c0..r * n + c0 + len].copy_from_slice(&local[r * len..(r + 1) * len]);
        }
    }
    out
}

/// The autodiff node of one fused call: parents are the packed input and β.
#[derive(Debug)]
struct LifSequenceBackward;

impl<B: LifBackend> Backward<B, 2> for LifSequenceBackward {
    /// Checkpointed packed input and β, and the scalar parameters.
    type State = (NodeId, NodeId, LifParams);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let (packed_id, beta_id, p) = ops.state;
        let packed: FloatTensor<B> = checkpointer.retrieve_node_output(packed_id);
        let beta: FloatTensor<B> = checkpointer.retrieve_node_output(beta_id);
        let beta_shape = beta.shape();
        let grad = grads.consume::<B>(&ops.node);
        let [rows, n] = [packed.shape()[0], packed.shape()[1]];
        let g = B::lif_backward(
            packed,
            beta,
            grad,
            p.threshold,
            p.alpha,
            p.current,
            p.reset_zero,
            p.detach_reset,
            p.surrogate_kind,
            p.surrogate_param,
        );
        let [packed_parent, beta_parent] = ops.parents;
        if let Some(beta_node) = beta_parent {
            let share = B::float_slice(g.clone(), &[Slice::from(rows..rows + 1), Slice::from(0..n)]);
            grads.register::<B>(beta_node.id, B::float_reshape(B::float_sum(share), beta_shape));
        }
        if let Some(packed_node) = packed_parent {
            grads.register::<B>(packed_node.id, B::float_slice(g, &[Slice::from(0..rows), Slice::from(0..n)]));
        }
    }
}

impl<B: LifBackend, C: CheckpointStrategy> LifBackend for Autodiff<B, C> {
    fn lif_forward(
        packed: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        threshold: f32,
        alpha: f32,
        current: bool,
        reset_zero: bool,
        detach_reset: bool,
        surrogate_kind: u32,
        surrogate_param: f32,
    ) -> FloatTensor<Self> {
        let p = LifParams { threshold, alpha, current, reset_zero, detach_reset, surrogate_kind, surrogate_param };
        let run = |x: FloatTensor<B>, b: FloatTensor<B>| {
            B::lif_forward(x, b, threshold, alpha, current, reset_zero, detach_reset, surrogate_kind, surrogate_param)
        };
        match LifSequenceBackward.prepare::<C>([packed.node(), beta.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let packed_id = prep.checkpoint(&packed);
                let beta_id = prep.checkpoint(&beta);
                let out = run(packed.primitive().clone(), beta.primitive().clone());
                prep.finish((packed_id, beta_id, p), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(run(packed.into_primitive(), beta.into_primitive())),
        }
    }

    /// Not differentiable again: computed on the inner backend, returned untracked.
    fn lif_backward(
        packed: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        threshold: f32,
        alpha: f32,
        current: bool,
        reset_zero: bool,
        detach_reset: bool,
        surrogate_kind: u32,
        surrogate_param: f32,
    ) -> FloatTensor<Self> {
        FloatTensor::<Self>::new(B::lif_backward(
            packed.into_primitive(),
            beta.into_primitive(),
            grad.into_primitive(),
            threshold,
            alpha,
            current,
            reset_zero,
            detach_reset,
            surrogate_kind,
            surrogate_param,
        ))
    }
}
