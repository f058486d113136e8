//! # snan: spiking neuron–astrocyte networks for Burn
//!
//! The spiking neuron–astrocyte network (SNAN) of Gordleeva, Tsybina et al. as Burn modules that run
//! on any backend the `Device` dispatches to. One concept per module:
//!
//! - [`izhikevich`]: the Izhikevich neuron population;
//! - [`synapses`]: random local connectivity and astrocyte-gated excitatory synapses;
//! - [`astrocytes`]: the Ullah Ca²⁺/IP₃ astrocyte grid, its territories and timers;
//! - [`noise`]: background current pulses;
//! - [`encoding`]: binary images → currents;
//! - [`circuit`]: the whole SNAN ([`Snan`]) with imprint (learn) and batched recall, run either
//!   step by step as tensor ops (the reference) or by the fused CPU engine (`fused.rs`);
//! - [`working_memory`]: the published working-memory protocol and its metric.
//!
//! State is always an explicit value passed in and returned (like Burn's `Lstm`), never stored in a
//! module, so one circuit can serve many independent batches.

pub mod astro_modulated;
pub mod astrocytes;
pub mod circuit;
pub mod encoders;
pub mod encoding;
mod fused;
pub mod fused_lif;
#[cfg(feature = "wgpu")]
mod fused_cube;
#[cfg(feature = "wgpu")]
mod fused_lif_cube;
pub mod izhikevich;
pub mod lif;
pub mod noise;
pub mod spiking;
pub mod spiking_izhikevich;
pub mod surrogate;
pub mod synapses;
pub mod working_memory;

pub use astrocytes::{AstrocyteConfig, AstrocyteState, Astrocytes, UllahConfig};
pub use circuit::{Engine, Presentation, RecallConfig, RecallOutput, Snan, SnanConfig, SnanState, StepOutput};
pub use izhikevich::{Integration, Izhikevich, IzhikevichConfig, IzhikevichState};
pub use noise::{BackgroundNoiseConfig, NoiseSchedule};
pub use synapses::{Connectivity, ConnectivityConfig, HebbianImprint, SynapseConfig, Synapses};
pub use working_memory::{WorkingMemoryConfig, WorkingMemoryResult};
pub use lif::{Lif, LifConfig, LifState, Reset};
pub use spiking::{SpikingNeuron, run_sequence};
pub use surrogate::Surrogate;
pub use spiking_izhikevich::{SpikingIzhikevich, SpikingIzhikevichConfig, SpikingIzhikevichState};
pub use astro_modulated::{AstroLayout, AstroModulated, AstroModulatedConfig, AstroModulatedState};
