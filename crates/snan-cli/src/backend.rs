//! `--backend` selection: Burn 0.22 picks the backend at run time through the `Device`.

use anyhow::{Result, bail};
use burn::tensor::Device;

/// The backends a user can ask for; whether each is available depends on cargo features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// Burn's pure-Rust CPU backend (default).
    Flex,
    /// The older ndarray CPU backend (cargo feature `ndarray`, on by default).
    Ndarray,
    /// CubeCL on wgpu: a GPU, or lavapipe in software (cargo feature `wgpu`).
    Wgpu,
}

/// The device for a backend, or a clear error when it was not compiled in.
pub fn device(choice: BackendChoice) -> Result<Device> {
    match choice {
        BackendChoice::Flex => Ok(Device::flex()),
        BackendChoice::Ndarray => {
            #[cfg(feature = "ndarray")]
            {
                #[allow(deprecated)]
                return Ok(Device::ndarray());
            }
            #[cfg(not(feature = "ndarray"))]
            bail!("backend `ndarray` was not compiled in: rebuild with `--features ndarray`")
        }
        BackendChoice::Wgpu => {
            #[cfg(feature = "wgpu")]
            {
                return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice));
            }
            #[cfg(not(feature = "wgpu"))]
            bail!("backend `wgpu` was not compiled in: rebuild with `--features wgpu`")
        }
    }
}
