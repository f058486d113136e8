//! Shared helpers of the integration tests.
#![allow(dead_code)]

use burn::tensor::{Device, Tensor};

/// The CPU backends every test runs on.
#[allow(deprecated)]
pub fn devices() -> Vec<Device> {
    vec![Device::flex(), Device::ndarray()]
}

/// A tensor's values on the host.
pub fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}
