//! Surrogate-gradient spike functions for training spiking layers by backpropagation through time.
//!
//! The forward pass is the exact Heaviside step `H(x) = 1[x ≥ 0]` (x = membrane minus threshold);
//! the backward pass uses the derivative of a smooth *primitive* `σ(x)` instead of H's Dirac delta.
//! It is written with the straight-through trick, without a custom backward:
//!
//! `spike(x) = H(x) + (σ(x) − detach(σ(x)))`
//!
//! The bracket is exactly 0 in the forward pass, and its gradient is σ'(x).

use burn::config::Config;
use burn::tensor::Tensor;
use std::f64::consts::PI;

/// The smooth function whose derivative replaces the Heaviside's in the backward pass.
#[derive(Config, Debug, PartialEq, Copy)]
pub enum Surrogate {
    /// Arc-tangent (Fang et al. 2021, snnTorch's default):
    /// `σ(x) = atan(π·α·x/2)/π + ½`, `σ'(x) = (α/2) / (1 + (π·α·x/2)²)`; peak slope α/2 at x = 0.
    ATan {
        /// Sharpness α (1/threshold units); 2 is the usual default.
        alpha: f64,
    },
    /// Fast sigmoid (Zenke & Ganguli 2018, SuperSpike), bounded form:
    /// `σ(x) = ½·k·x/(1 + k·|x|) + ½`, `σ'(x) = (k/2) / (1 + k·|x|)²`; peak slope k/2 at x = 0.
    /// (snnTorch's `fast_sigmoid` uses `1/(1 + k|x|)²`, i.e. the same shape scaled by 2/k.)
    FastSigmoid {
        /// Slope k (1/threshold units); 25 is snnTorch's default.
        slope: f64,
    },
}

impl Default for Surrogate {
    fn default() -> Self {
        Surrogate::ATan { alpha: 2.0 }
    }
}

impl Surrogate {
    /// Arc-tangent surrogate with sharpness `alpha`.
    pub fn atan(alpha: f64) -> Self {
        Surrogate::ATan { alpha }
    }

    /// Fast-sigmoid surrogate with slope `slope`.
    pub fn fast_sigmoid(slope: f64) -> Self {
        Surrogate::FastSigmoid { slope }
    }

    /// The smooth primitive σ(x) on the host (for reference and tests).
    pub fn primitive(&self, x: f64) -> f64 {
        match *self {
            Surrogate::ATan { alpha } => (PI * alpha * x / 2.0).atan() / PI + 0.5,
            Surrogate::FastSigmoid { slope } => 0.5 * slope * x / (1.0 + slope * x.abs()) + 0.5,
        }
    }

    /// σ'(x), the gradient the spike function back-propagates, on the host.
    pub fn derivative(&self, x: f64) -> f64 {
        match *self {
            Surrogate::ATan { alpha } => {
                let z = PI * alpha * x / 2.0;
                (alpha / 2.0) / (1.0 + z * z)
            }
            Surrogate::FastSigmoid { slope } => {
                let d = 1.0 + slope * x.abs();
                (slope / 2.0) / (d * d)
            }
        }
    }

    /// σ(x) as a differentiable tensor op.
    ///
    /// # Shapes
    /// - `x`: any shape; returns the same shape
    pub fn primitive_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match *self {
            Surrogate::ATan { alpha } => {
                let s = (PI * alpha / 2.0) as f32;
                (x * s).atan() / (PI as f32) + 0.5
            }
            Surrogate::FastSigmoid { slope } => {
                let k = slope as f32;
                let den = x.clone().abs() * k + 1.0;
                (x * (0.5 * k)) / den + 0.5
            }
        }
    }

    /// The spike: exactly `1[x ≥ 0]` (0.0 / 1.0) forward, σ'(x) backward.
    ///
    /// When `x` is not tracked by autodiff (`is_tracked()`), only the step is computed.
    ///
    /// # Shapes
    /// - `x` (membrane minus threshold): any shape; returns the same shape
    pub fn spike<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let step = x.clone().greater_equal_elem(0.0).float();
        if !x.is_tracked() {
            return step;
        }
        let sg = self.primitive_tensor(x);
        // `sg − detach(sg)` is exactly 0 forward; adding it last keeps the 0/1 values exact.
        step.detach() + (sg.clone() - sg.detach())
    }
}
