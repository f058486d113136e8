//! CubeCL kernels of the fused LIF operation ([`LifBackend`](crate::fused_lif::LifBackend)) for
//! Burn's CubeCL backends (wgpu: a GPU, or lavapipe in software). Cargo feature `wgpu`.
//!
//! One thread per neuron runs the whole sequence in a loop, so a call is **one launch** for all T
//! steps (forward) and one for the backward (up to 30,000 steps; longer sequences take the host
//! path) — against ~10 launches per step for the tensor-op
//! reference. Threads never talk to each other (neurons are independent), so no shared memory or
//! barriers are needed. The backward writes the membrane trace `h_t` into its own output rows during
//! a forward replay and overwrites each row with the input gradient on the way back (row t − 1
//! still holds `h_{t−1}`, from which `v_{t−1}` is recomputed).

use burn::backend::cubecl::dtype_to_storage_type;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Shape, TensorMetadata};
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_dtype;
use cubecl::{calculate_cube_count_elemwise, prelude::*};

use crate::fused_lif::{LifBackend, LifParams, host_lif_backward, host_lif_forward};
use crate::lif::LIMIT;

/// σ'(u) of the surrogate (`kind` 0: ATan with sharpness `a`; 1: fast sigmoid with slope `a`).
#[cube]
fn surrogate_grad<F: Float>(u: F, kind: u32, a: F) -> F {
    let half = F::new(0.5);
    let one = F::new(1.0);
    if kind == 0 {
        let z = F::new(core::f32::consts::FRAC_PI_2) * a * u;
        half * a / (one + z * z)
    } else {
        let d = one + a * u.abs();
        half * a / (d * d)
    }
}

/// The membrane after the reset, from the membrane before it (`h`) and the spike (`s`).
#[cube]
fn reset<F: Float>(h: F, s: F, threshold: F, reset_zero: u32) -> F {
    let mut v = h - s * threshold;
    if reset_zero == 1 {
        v = h - h * s;
    }
    v
}

#[cube(launch)]
fn lif_forward_kernel<F: Float>(
    packed: &Tensor<F>, // [R, N]
    beta: &Tensor<F>,   // [1]
    out: &mut Tensor<F>, // [R, N]
    steps: u32,
    n: u32,
    threshold: f32,
    alpha: f32,
    current: u32,
    reset_zero: u32,
    #[define(F)] _dtype: ElemType,
) {
    let k = ABSOLUTE_POS;
    let n = n as usize;
    if k >= n {
        terminate!();
    }
    let steps = steps as usize;
    let th = F::cast_from(threshold);
    let a = F::cast_from(alpha);
    let b = beta[0];
    let lim = F::new(LIMIT);
    let zero = F::new(0.0);
    let one = F::new(1.0);
    let mut v = packed[steps * n + k];
    let mut i = zero;
    if current == 1 {
        i = packed[(steps + 1) * n + k];
    }
    for t in 0..steps {
        let x = packed[t * n + k];
        let mut drive = x;
        if current == 1 {
            i = F::clamp(i * a + x, -lim, lim);
            drive = i;
        }
        let h = F::clamp(v * b + drive, -lim, lim);
        let mut s = zero;
        if h - th >= zero {
            s = one;
        }
        v = reset::<F>(h, s, th, reset_zero);
        out[t * n + k] = s;
    }
    out[steps * n + k] = v;
    if current == 1 {
        out[(steps + 1) * n + k] = i;
    }
}

#[cube(launch)]
fn lif_backward_kernel<F: Float>(
    packed: &Tensor<F>, // [R, N]
    beta: &Tensor<F>,   // [1]
    grad: &Tensor<F>,   // [R, N]
    out: &mut Tensor<F>, // [R + 1, N]
    steps: u32,
    n: u32,
    threshold: f32,
    alpha: f32,
    current: u32,
    reset_zero: u32,
    detach_reset: u32,
    surrogate_kind: u32,
    surrogate_param: f32,
    #[define(F)] _dtype: ElemType,
) {
    let k = ABSOLUTE_POS;
    let n = n as usize;
    if k >= n {
        terminate!();
    }
    let steps = steps as usize;
    let th = F::cast_from(threshold);
    let a = F::cast_from(alpha);
    let sp = F::cast_from(surrogate_param);
    let b = beta[0];
    let lim = F::new(LIMIT);
    let zero = F::new(0.0);
    let one = F::new(1.0);
    let v0 = packed[steps * n + k];
    // Forward replay: h_t into out[t].
    let mut v = v0;
    let mut i = zero;
    if current == 1 {
        i = packed[(steps + 1) * n + k];
    }
    for t in 0..steps {
        let x = packed[t * n + k];
        let mut drive = x;
        if current == 1 {
            i = F::clamp(i * a + x, -lim, lim);
            drive = i;
        }
        let h = F::clamp(v * b + drive, -lim, lim);
        let mut s = zero;
        if h - th >= zero {
            s = one;
        }
        v = reset::<F>(h, s, th, reset_zero);
        out[t * n + k] = h;
    }
    // Reverse sweep.
    let mut gv = grad[steps * n + k];
    let mut gi = zero;
    if current == 1 {
        gi = grad[(steps + 1) * n + k];
    }
    let mut gbeta = zero;
    for r in 0..steps {
        let t = steps - 1 - r;
        let h = out[t * n + k];
        let u = h - th;
        let sg = surrogate_grad::<F>(u, surrogate_kind, sp);
        let mut s = zero;
        if u >= zero {
            s = one;
        }
        let mut dv_dh = one;
        if reset_zero == 1 {
            dv_dh = one - s;
            if detach_reset == 0 {
                dv_dh = one - s - h * sg;
            }
        } else if detach_reset == 0 {
            dv_dh = one - th * sg;
        }
        let gh = grad[t * n + k] * sg + gv * dv_dh;
        // v_{t−1}: the initial membrane, or the reset of h_{t−1} (still in row t − 1).
        let mut v_prev = v0;
        if t > 0 {
            let hp = out[(t - 1) * n + k];
            let mut sp_prev = zero;
            if hp - th >= zero {
                sp_prev = one;
            }
            v_prev = reset::<F>(hp, sp_prev, th, reset_zero);
        }
        gbeta += gh * v_prev;
        gv = gh * b;
        let mut gx = gh;
        if current == 1 {
            gx = gh + gi;
            gi = gx * a;
        }
        out[t * n + k] = gx;
    }
    out[steps * n + k] = gv;
    if current == 1 {
        out[(steps + 1) * n + k] = gi;
    }
    let rows = steps + 1 + current as usize;
    out[rows * n + k] = gbeta;
}

/// Longest sequence the kernels run; longer ones go to the host path. Mesa's llvmpipe (lavapipe)
/// stops a shader loop after 65,535 iterations, and the backward kernel loops over T twice.
const MAX_KERNEL_STEPS: usize = 30_000;

/// 1-D launch geometry over `n` neurons.
fn geometry(client: &cubecl::client::Client, n: usize) -> (CubeCount, CubeDim) {
    let dim = CubeDim::new(client, n);
    (calculate_cube_count_elemwise(client, n, dim), dim)
}

impl LifBackend for CubeBackend {
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
        let (packed, beta) = (into_contiguous(packed), into_contiguous(beta));
        let [rows, n] = packed.shape().dims::<2>();
        let steps = rows - p.state_rows();
        if steps > MAX_KERNEL_STEPS {
            return host_lif_forward::<Self>(packed, beta, &p);
        }
        let (client, dtype) = (packed.client.clone(), packed.dtype);
        let out = empty_device_dtype(client.clone(), packed.device.clone(), Shape::new([rows, n]), dtype);
        let (count, dim) = geometry(&client, n);
        lif_forward_kernel::launch(
            &client,
            count,
            dim,
            packed.into_tensor_arg(),
            beta.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            steps as u32,
            n as u32,
            threshold,
            alpha,
            u32::from(current),
            u32::from(reset_zero),
            dtype_to_storage_type(dtype),
        );
        out
    }

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
        let (packed, beta, grad) = (into_contiguous(packed), into_contiguous(beta), into_contiguous(grad));
        let [rows, n] = packed.shape().dims::<2>();
        let steps = rows - p.state_rows();
        if steps > MAX_KERNEL_STEPS {
            return host_lif_backward::<Self>(packed, beta, grad, &p);
        }
        let (client, dtype) = (packed.client.clone(), packed.dtype);
        let out = empty_device_dtype(client.clone(), packed.device.clone(), Shape::new([rows + 1, n]), dtype);
        let (count, dim) = geometry(&client, n);
        lif_backward_kernel::launch(
            &client,
            count,
            dim,
            packed.into_tensor_arg(),
            beta.into_tensor_arg(),
            grad.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            steps as u32,
            n as u32,
            threshold,
            alpha,
            u32::from(current),
            u32::from(reset_zero),
            u32::from(detach_reset),
            surrogate_kind,
            surrogate_param,
            dtype_to_storage_type(dtype),
        );
        out
    }
}
