//! Vision Transformer backbone (the "ViT" of SNAN-ViT), sized for 28×28×1 inputs.
//!
//! Defaults follow the paper's ViT table where it is known — input 28×28×1, **4×4 patches → 49
//! tokens**, **patch embedding 128** — and ours elsewhere: a learned class token and learned
//! position embeddings (50 × 128), **4** pre-norm transformer blocks
//! (`x + MHA(LN(x))`, `x + MLP(LN(x))`, Burn's `TransformerEncoder` with `norm_first = true`),
//! **4** heads, MLP width **256** with GELU, dropout 0 (few-shot sets are tiny and determinism is
//! easier to check), a final LayerNorm and a linear head on the class token. Weights are drawn from
//! a seeded host RNG: truncated normal std 0.02 (ViT convention; see [`crate::init`]).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::init::{InitScheme, seeded_init};

/// Configuration of the [`Vit`].
#[derive(Config, Debug)]
pub struct VitConfig {
    /// Number of classes (logits).
    #[config(default = 10)]
    pub num_classes: usize,
    /// Input height = width (pixels).
    #[config(default = 28)]
    pub input_size: usize,
    /// Patch side (pixels); `input_size` must be divisible by it.
    #[config(default = 4)]
    pub patch: usize,
    /// Token (patch embedding) dimension.
    #[config(default = 128)]
    pub embed: usize,
    /// Number of transformer blocks.
    #[config(default = 4)]
    pub depth: usize,
    /// Attention heads (must divide `embed`).
    #[config(default = 4)]
    pub heads: usize,
    /// Hidden width of each block's MLP.
    #[config(default = 256)]
    pub mlp: usize,
    /// Dropout inside the blocks.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// ViT: patch embedding (a `patch × patch` conv with stride `patch`), class token, learned
/// positions, pre-norm transformer encoder, LayerNorm, linear head on the class token.
#[derive(Module, Debug)]
pub struct Vit {
    patch_embed: Conv2d,
    cls_token: Param<Tensor<3>>,
    pos_embedding: Param<Tensor<3>>,
    encoder: TransformerEncoder,
    norm: LayerNorm,
    head: Linear,
}

impl VitConfig {
    /// Number of patch tokens (49 for the defaults).
    pub fn num_patches(&self) -> usize {
        (self.input_size / self.patch).pow(2)
    }

    /// Builds the network on `device` with weights drawn from `seed`.
    pub fn init(&self, device: &Device, seed: u64) -> Vit {
        assert!(
            self.input_size % self.patch == 0,
            "ViT input {} not divisible by patch {}",
            self.input_size,
            self.patch
        );
        assert!(self.embed % self.heads == 0, "ViT embed {} not divisible by heads {}", self.embed, self.heads);
        let tokens = self.num_patches() + 1;
        let model = Vit {
            patch_embed: Conv2dConfig::new([1, self.embed], [self.patch, self.patch])
                .with_stride([self.patch, self.patch])
                .init(device),
            cls_token: Param::from_tensor(Tensor::zeros([1, 1, self.embed], device)),
            pos_embedding: Param::from_tensor(Tensor::zeros([1, tokens, self.embed], device)),
            encoder: TransformerEncoderConfig::new(self.embed, self.mlp, self.heads, self.depth)
                .with_norm_first(true)
                .with_dropout(self.dropout)
                .init(device),
            norm: LayerNormConfig::new(self.embed).init(device),
            head: LinearConfig::new(self.embed, self.num_classes).init(device),
        };
        seeded_init(model, seed, InitScheme::TruncNormal(0.02))
    }
}

impl Vit {
    /// Class logits of a batch of images.
    ///
    /// # Shapes
    /// - input: `[batch, 1, 28, 28]` (generally `[batch, 1, S, S]`), values in [0, 1]
    /// - patch tokens: `[batch, 49, 128]`; with the class token `[batch, 50, 128]`
    /// - output: logits `[batch, num_classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let [batch, _, _, _] = x.dims();
        let p = self.patch_embed.forward(x); // [b, e, s/p, s/p]
        let [_, embed, gh, gw] = p.dims();
        let tokens = p.reshape([batch, embed, gh * gw]).swap_dims(1, 2); // [b, n, e]
        let cls = self.cls_token.val().expand([batch, 1, embed]);
        let x = Tensor::cat(vec![cls, tokens], 1) + self.pos_embedding.val();
        let x = self.encoder.forward(TransformerEncoderInput::new(x));
        let x = self.norm.forward(x);
        let cls_out: Tensor<2> = x.narrow(1, 0, 1).reshape([batch, embed]);
        self.head.forward(cls_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_shape_and_defaults() {
        let c = VitConfig::new();
        assert_eq!((c.num_patches(), c.embed, c.depth, c.heads, c.mlp), (49, 128, 4, 4, 256));
        let dev = Device::flex();
        let m = VitConfig::new().with_embed(16).with_depth(1).with_heads(2).with_mlp(16).init(&dev, 3);
        let y = m.forward(Tensor::<4>::zeros([2, 1, 28, 28], &dev));
        assert_eq!(y.dims(), [2, 10]);
    }
}
