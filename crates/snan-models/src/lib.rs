//! `snan-models`: backbones (LeNet-style CNN, ViT), front-ends (none, median, bilateral, SNAN) and
//! the few-shot training / evaluation built from them.

pub mod cnn;
pub mod frontend;
pub mod init;
pub mod train;
pub mod vit;

pub use cnn::{Cnn, CnnConfig};
pub use train::{Backbone, Net, OptimizerKind, TrainConfig, TrainProgress, TrainedModel, evaluate, predict, train};
pub use vit::{Vit, VitConfig};
pub mod protonet;
pub use protonet::{ProtoNet, ProtoNetConfig, ProtoTrainConfig, train_protonet};
