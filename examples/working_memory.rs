//! The published working-memory protocol through the library API: learn digits 0–3 into a 79×79
//! SNAN, cue with 20 %-flipped digits, print the recall similarity with and without astrocytes.
//!
//! `cargo run -p snan-cli --example working_memory [-- IMAGES_DIR]`

use burn::tensor::Device;
use snan::WorkingMemoryConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).map(Into::into).unwrap_or_else(snan_data::root::embedded_wm_digits);
    let digits = snan_data::load_wm_digits(&dir)?;
    let device = Device::flex();
    for astro_feedback in [true, false] {
        // Learn once, recall the eight cues in one batch; the fast 1 ms astrocyte step.
        let config = WorkingMemoryConfig::new()
            .with_parallel(true)
            .with_astro_feedback(astro_feedback)
            .with_astro_dt_s(1e-3);
        let result = config.run(&digits, &device, |_, _| {});
        println!(
            "astrocyte feedback {:>5}: mean similarity {:.4} (θ = {}), per digit {:?}",
            astro_feedback, result.mean, result.threshold,
            result.learned.iter().map(|(d, s)| format!("{d}: {s:.3}")).collect::<Vec<_>>()
        );
    }
    Ok(())
}
