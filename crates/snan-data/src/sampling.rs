//! Seeded few-shot sampling.
//!
//! Protocol (paper-facts decision 5): the k training shots per class are drawn from the *train*
//! split and evaluation uses the *test* split (whole, or a seeded stratified subset), so training
//! and evaluation images can never overlap. Omniglot episodes draw N classes from one split
//! (normally the evaluation alphabets) and disjoint support / query images within each class.
//! Every function takes a seed and returns the same result for the same seed.

use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use crate::error::{DataError, Result};
use crate::image_set::{ImageSet, Split};
use crate::omniglot::OmniglotSet;

/// k images of every class (`0..num_classes`), drawn without replacement; sorted indices.
/// Errors when a class has fewer than k images.
pub fn k_shot_indices(set: &ImageSet, k: usize, seed: u64) -> Result<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(k * set.num_classes);
    for (class, idx) in set.indices_by_class().iter().enumerate() {
        if idx.len() < k {
            return Err(DataError::Sampling(format!(
                "class {class} has {} images, fewer than the {k} shots requested",
                idx.len()
            )));
        }
        out.extend(sample(&mut rng, idx.len(), k).into_iter().map(|j| idx[j]));
    }
    out.sort_unstable();
    Ok(out)
}

/// `n` images spread over the classes as equally as their sizes allow (sizes differ by at most one
/// where possible; leftover slots go to seeded-random classes); sorted indices. `n ≥ len()` gives
/// every index.
pub fn stratified_subset(set: &ImageSet, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let by = set.indices_by_class();
    let mut quota = vec![0usize; by.len()];
    let mut left = n.min(set.len());
    while left > 0 {
        let mut open: Vec<usize> = (0..by.len()).filter(|&c| quota[c] < by[c].len()).collect();
        if open.is_empty() {
            break;
        }
        let each = left / open.len();
        if each == 0 {
            open.shuffle(&mut rng);
            for &c in open.iter().take(left) {
                quota[c] += 1;
            }
            break;
        }
        for &c in &open {
            let add = each.min(by[c].len() - quota[c]);
            quota[c] += add;
            left -= add;
        }
    }
    let mut out = Vec::with_capacity(n);
    for (c, idx) in by.iter().enumerate() {
        out.extend(
            sample(&mut rng, idx.len(), quota[c])
                .into_iter()
                .map(|j| idx[j]),
        );
    }
    out.sort_unstable();
    out
}

/// A few-shot task: k shots per class from the train split, evaluation images from the test split.
#[derive(Clone, Debug)]
pub struct FewShot {
    /// The k-shot training images (from `Split::train`).
    pub train: ImageSet,
    /// The evaluation images (from `Split::test`).
    pub test: ImageSet,
    /// Indices of `train` in `Split::train`.
    pub train_indices: Vec<usize>,
    /// Indices of `test` in `Split::test`.
    pub test_indices: Vec<usize>,
}

/// Builds a k-shot task: shots from `split.train` (seed `seed`), evaluation from `split.test` —
/// all of it, or a stratified subset of `n_test` images (seed derived from `seed`).
pub fn few_shot(split: &Split, k: usize, n_test: Option<usize>, seed: u64) -> Result<FewShot> {
    let train_indices = k_shot_indices(&split.train, k, seed)?;
    let test_indices = match n_test {
        Some(n) => stratified_subset(&split.test, n, seed ^ 0x7e57_5eed_0000_0001),
        None => (0..split.test.len()).collect(),
    };
    Ok(FewShot {
        train: split.train.subset(&train_indices),
        test: split.test.subset(&test_indices),
        train_indices,
        test_indices,
    })
}

/// One N-way K-shot episode; indices refer to the sampler's set, labels are 0..N−1 in draw order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// The original class of each episode label (`classes[l]` for label `l`).
    pub classes: Vec<u32>,
    /// N·K support image indices.
    pub support: Vec<usize>,
    /// Episode label of each support image.
    pub support_labels: Vec<u32>,
    /// N·Q query image indices (disjoint from `support`).
    pub query: Vec<usize>,
    /// Episode label of each query image.
    pub query_labels: Vec<u32>,
}

/// Draws N-way K-shot episodes with Q queries per class from one labelled set (e.g. the Omniglot
/// evaluation split, label = character).
#[derive(Clone, Debug)]
pub struct EpisodeSampler {
    by_class: Vec<Vec<usize>>,
    eligible: Vec<u32>,
    n_way: usize,
    k_shot: usize,
    n_query: usize,
}

impl EpisodeSampler {
    /// A sampler over `labels`; only classes with at least K+Q images take part, and there must be
    /// at least N of them.
    pub fn new(
        labels: &[u32],
        num_classes: usize,
        n_way: usize,
        k_shot: usize,
        n_query: usize,
    ) -> Result<Self> {
        let mut by_class = vec![Vec::new(); num_classes];
        for (i, &l) in labels.iter().enumerate() {
            if let Some(v) = by_class.get_mut(l as usize) {
                v.push(i);
            }
        }
        let eligible: Vec<u32> = (0..num_classes)
            .filter(|&c| by_class[c].len() >= k_shot + n_query)
            .map(|c| c as u32)
            .collect();
        if n_way == 0 || k_shot == 0 || eligible.len() < n_way {
            return Err(DataError::Sampling(format!(
                "{n_way}-way {k_shot}-shot with {n_query} queries needs {n_way} classes with ≥{} images; {} have that",
                k_shot + n_query,
                eligible.len()
            )));
        }
        Ok(EpisodeSampler {
            by_class,
            eligible,
            n_way,
            k_shot,
            n_query,
        })
    }

    /// A sampler over an Omniglot split (one class per character).
    pub fn for_omniglot(
        set: &OmniglotSet,
        n_way: usize,
        k_shot: usize,
        n_query: usize,
    ) -> Result<Self> {
        Self::new(&set.character, set.characters.len(), n_way, k_shot, n_query)
    }

    /// One episode from `rng`.
    pub fn episode(&self, rng: &mut impl Rng) -> Episode {
        let picks = sample(rng, self.eligible.len(), self.n_way).into_vec();
        let mut ep = Episode {
            classes: Vec::with_capacity(self.n_way),
            support: Vec::with_capacity(self.n_way * self.k_shot),
            support_labels: Vec::with_capacity(self.n_way * self.k_shot),
            query: Vec::with_capacity(self.n_way * self.n_query),
            query_labels: Vec::with_capacity(self.n_way * self.n_query),
        };
        for (label, &p) in picks.iter().enumerate() {
            let class = self.eligible[p];
            let idx = &self.by_class[class as usize];
            let imgs = sample(rng, idx.len(), self.k_shot + self.n_query).into_vec();
            ep.classes.push(class);
            for (j, &im) in imgs.iter().enumerate() {
                if j < self.k_shot {
                    ep.support.push(idx[im]);
                    ep.support_labels.push(label as u32);
                } else {
                    ep.query.push(idx[im]);
                    ep.query_labels.push(label as u32);
                }
            }
        }
        ep
    }

    /// Episode number `index` of run `seed`, independent of how many episodes were drawn before.
    pub fn episode_seeded(&self, seed: u64, index: u64) -> Episode {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        self.episode(&mut rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// 10 classes with 3 + c images each; pixel value encodes the split so overlap is detectable.
    fn toy(value: f32) -> ImageSet {
        let mut labels = Vec::new();
        for c in 0..10u32 {
            labels.extend(std::iter::repeat_n(c, 3 + c as usize));
        }
        ImageSet {
            images: vec![value; labels.len() * 4],
            labels,
            height: 2,
            width: 2,
            num_classes: 10,
        }
    }

    #[test]
    fn k_shot_is_stratified_deterministic_and_checked() {
        let s = toy(0.0);
        let a = k_shot_indices(&s, 3, 7).unwrap();
        assert_eq!(a.len(), 30);
        assert_eq!(s.subset(&a).class_counts(), vec![3; 10]);
        assert_eq!(a, k_shot_indices(&s, 3, 7).unwrap());
        assert_eq!(a.iter().collect::<HashSet<_>>().len(), 30);
        let b = k_shot_indices(&s, 2, 7).unwrap();
        let c = k_shot_indices(&s, 2, 8).unwrap();
        assert_ne!(b, c, "different seeds should (almost surely) differ");
        assert!(
            k_shot_indices(&s, 4, 7).is_err(),
            "class 0 has only 3 images"
        );
    }

    #[test]
    fn stratified_subset_is_balanced() {
        let s = toy(0.0);
        let a = stratified_subset(&s, 35, 1);
        assert_eq!(a.len(), 35);
        let counts = s.subset(&a).class_counts();
        assert!(counts.iter().all(|&c| c == 3 || c == 4), "{counts:?}");
        assert_eq!(a, stratified_subset(&s, 35, 1));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        // More than some classes hold: small classes give everything, the rest is spread.
        // 60 of 75: classes 0-2 (3, 4, 5 images) are exhausted, the other 48 spread 6-7 each.
        let b = stratified_subset(&s, 60, 1);
        let counts = s.subset(&b).class_counts();
        assert_eq!(counts.iter().sum::<usize>(), 60);
        assert_eq!(&counts[..3], &[3, 4, 5]);
        assert!(counts[3..].iter().all(|&c| c == 6 || c == 7), "{counts:?}");
        assert_eq!(stratified_subset(&s, 10_000, 1).len(), s.len());
    }

    #[test]
    fn few_shot_never_mixes_train_and_test() {
        let split = Split {
            train: toy(0.25),
            test: toy(0.75),
        };
        for seed in 0..5 {
            let fs = few_shot(&split, 3, Some(20), seed).unwrap();
            assert!(
                fs.train.images.iter().all(|&v| v == 0.25),
                "train shots come from train"
            );
            assert!(
                fs.test.images.iter().all(|&v| v == 0.75),
                "evaluation comes from test"
            );
            assert_eq!(fs.train.class_counts(), vec![3; 10]);
            assert_eq!(fs.test.len(), 20);
        }
        let all = few_shot(&split, 1, None, 0).unwrap();
        assert_eq!(all.test.len(), split.test.len());
    }

    #[test]
    fn episodes_are_disjoint_sized_and_deterministic() {
        let s = toy(0.0);
        let sampler = EpisodeSampler::new(&s.labels, 10, 5, 2, 3).unwrap();
        for i in 0..50 {
            let ep = sampler.episode_seeded(42, i);
            assert_eq!(ep.support.len(), 10);
            assert_eq!(ep.query.len(), 15);
            assert_eq!(ep.classes.iter().collect::<HashSet<_>>().len(), 5);
            let sup: HashSet<_> = ep.support.iter().collect();
            assert!(
                ep.query.iter().all(|q| !sup.contains(q)),
                "support and query share an image"
            );
            for (&im, &l) in ep
                .support
                .iter()
                .zip(&ep.support_labels)
                .chain(ep.query.iter().zip(&ep.query_labels))
            {
                assert_eq!(s.labels[im], ep.classes[l as usize]);
                assert!(l < 5);
            }
            // Every class in the query set is a support class (closed set), and each has Q queries.
            for l in 0..5u32 {
                assert_eq!(ep.support_labels.iter().filter(|&&x| x == l).count(), 2);
                assert_eq!(ep.query_labels.iter().filter(|&&x| x == l).count(), 3);
            }
            assert_eq!(ep, sampler.episode_seeded(42, i));
        }
        assert_ne!(sampler.episode_seeded(42, 0), sampler.episode_seeded(42, 1));
        // Classes 0 and 1 have 3 and 4 images < K+Q = 5: never drawn.
        assert!((0..50).all(|i| sampler.episode_seeded(1, i).classes.iter().all(|&c| c >= 2)));
        assert!(EpisodeSampler::new(&s.labels, 10, 9, 2, 3).is_err());
    }
}
