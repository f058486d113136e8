//! Known digests of the data files, so `snan data info` can say whether a folder holds the real,
//! unmodified data (or the shipped embedded subset) — results on altered data are not comparable.
//!
//! Sources: the published MD5s (as used by torchvision) and the SHA-256s recorded in
//! `shared/datasets/SOURCES.md`. The Omniglot zips of this project's mirror were rebuilt from the
//! verified PNGs (the original zips' MD5s cannot match them), so their own SHA-256s are listed too.

use std::io::Read;
use std::path::{Path, PathBuf};

use md5::Md5;
use sha2::{Digest as _, Sha256};

use crate::error::{DataError, Result};

/// Which set of digests to compare against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// The full, published data files.
    Published,
    /// The small subset shipped in `datasets/` (cut by `scripts/cut-datasets.py`).
    EmbeddedSubset,
}

/// One acceptable digest of a file and where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct KnownDigest {
    /// Who published it (shown to the user).
    pub origin: &'static str,
    /// Lower-case hex MD5, if known.
    pub md5: Option<&'static str>,
    /// Lower-case hex SHA-256, if known.
    pub sha256: Option<&'static str>,
}

/// A file of a data set with its acceptable digests (any one may match).
#[derive(Clone, Copy, Debug)]
pub struct KnownFile {
    /// File name inside the data set folder.
    pub name: &'static str,
    /// Acceptable digests.
    pub digests: &'static [KnownDigest],
}

/// Result of checking one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The file matches a known digest from `origin` (all digests given for it agree).
    Matches {
        /// The matching digest's origin.
        origin: &'static str,
    },
    /// The file exists but matches none; its actual digests.
    Differs {
        /// Actual SHA-256.
        sha256: String,
        /// Actual MD5.
        md5: String,
    },
    /// The file is not there.
    Absent,
}

/// One file's check.
#[derive(Clone, Debug)]
pub struct FileCheck {
    /// File name.
    pub name: &'static str,
    /// Full path checked.
    pub path: PathBuf,
    /// Outcome.
    pub status: ChecksumStatus,
}

const fn pubd(origin: &'static str, md5: &'static str, sha256: &'static str) -> KnownDigest {
    KnownDigest {
        origin,
        md5: Some(md5),
        sha256: Some(sha256),
    }
}
const fn sha(origin: &'static str, sha256: &'static str) -> KnownDigest {
    KnownDigest {
        origin,
        md5: None,
        sha256: Some(sha256),
    }
}
const fn md(origin: &'static str, md5: &'static str) -> KnownDigest {
    KnownDigest {
        origin,
        md5: Some(md5),
        sha256: None,
    }
}

const PUB: &str = "published";
const MIRROR: &str = "project mirror (rebuilt zip; PNGs verified by SHA256SUMS)";
const SUB: &str = "embedded subset";

static MNIST_PUBLISHED: [KnownFile; 4] = [
    KnownFile {
        name: "train-images-idx3-ubyte.gz",
        digests: &[pubd(
            PUB,
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        )],
    },
    KnownFile {
        name: "train-labels-idx1-ubyte.gz",
        digests: &[pubd(
            PUB,
            "d53e105ee54ea40749a09fcbcd1e9432",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        )],
    },
    KnownFile {
        name: "t10k-images-idx3-ubyte.gz",
        digests: &[pubd(
            PUB,
            "9fb629c4189551a2d022fa330f9573f3",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        )],
    },
    KnownFile {
        name: "t10k-labels-idx1-ubyte.gz",
        digests: &[pubd(
            PUB,
            "ec29112dd5afa0611ce80d1b7f02629c",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        )],
    },
];
static FASHION_PUBLISHED: [KnownFile; 4] = [
    KnownFile {
        name: "train-images-idx3-ubyte.gz",
        digests: &[pubd(
            PUB,
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        )],
    },
    KnownFile {
        name: "train-labels-idx1-ubyte.gz",
        digests: &[pubd(
            PUB,
            "25c81989df183df01b3e8a0aad5dffbe",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        )],
    },
    KnownFile {
        name: "t10k-images-idx3-ubyte.gz",
        digests: &[pubd(
            PUB,
            "bef4ecab320f06d8554ea6380940ec79",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        )],
    },
    KnownFile {
        name: "t10k-labels-idx1-ubyte.gz",
        digests: &[pubd(
            PUB,
            "bb300cfdad3c16e7a12a480ee83cd310",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        )],
    },
];
static OMNIGLOT_PUBLISHED: [KnownFile; 2] = [
    KnownFile {
        name: "images_background.zip",
        digests: &[
            md(PUB, "68d2efa1b9178cc56df9314c21c6e718"),
            sha(
                MIRROR,
                "df55c7abbb35d90499e47c782d8b19cab4ef856d8c12c04b73b8159a94b10766",
            ),
        ],
    },
    KnownFile {
        name: "images_evaluation.zip",
        digests: &[
            md(PUB, "6b91aef0f799c5bb55b94e3f2daec811"),
            sha(
                MIRROR,
                "efc1da5734b330ef539ade31375b7a5f0eb4f4fa78bb91e8d5da230d9d5cc6a2",
            ),
        ],
    },
];
static WM_PUBLISHED: [KnownFile; 10] = [
    KnownFile {
        name: "zero.jpg",
        digests: &[sha(
            PUB,
            "508e2057025a4d815f4e61b8959a3894f08d7f8e831dd31bec652f4276b1713e",
        )],
    },
    KnownFile {
        name: "one.jpg",
        digests: &[sha(
            PUB,
            "bec74e5f58717510ed0796014d95ef0b8d49b70112a29da002180073d624c4c7",
        )],
    },
    KnownFile {
        name: "two.jpg",
        digests: &[sha(
            PUB,
            "032bd2dfcd35200808a810099b04c6f8772c42dddfbfe62ee1b8d70ec81c6506",
        )],
    },
    KnownFile {
        name: "three.jpg",
        digests: &[sha(
            PUB,
            "a3efc33fb4085e17c434da4b001089d563f4d47520b0e8490817f18ea0f49f23",
        )],
    },
    KnownFile {
        name: "four.jpg",
        digests: &[sha(
            PUB,
            "a6849c2e022ca3d820cd4aa66ac9c49297a4e1332489e78c4db2b4bfa374f820",
        )],
    },
    KnownFile {
        name: "five.jpg",
        digests: &[sha(
            PUB,
            "a812ddddcf6445dc3f05b934efce9caeeda9e0267cc9bdf51a50820b57281e46",
        )],
    },
    KnownFile {
        name: "six.jpg",
        digests: &[sha(
            PUB,
            "931c230f7189b66d205402a8ee55c6bfe5683139f4f1da0c6e3ea501b54d2918",
        )],
    },
    KnownFile {
        name: "seven.jpg",
        digests: &[sha(
            PUB,
            "dbeb7e395ca235bb07984f423afe8ed303b7cc7c14423fdb6019538dc5bf2861",
        )],
    },
    KnownFile {
        name: "eight.jpg",
        digests: &[sha(
            PUB,
            "0b674ab4d9c1db97f44000c7999c3be2dd8a769c1f1544aba61af7da6ad2ca35",
        )],
    },
    KnownFile {
        name: "nine.jpg",
        digests: &[sha(
            PUB,
            "098072fb83add15470fb61cec2d4dc64cb864ba565c246ab14ea44923b6722ea",
        )],
    },
];
// sha256 of the files written by `python3 scripts/cut-datasets.py /work/shared/datasets datasets`
// (also listed in datasets/README.md).
static MNIST_SUBSET: [KnownFile; 4] = [
    KnownFile {
        name: "train-images-idx3-ubyte.gz",
        digests: &[sha(
            SUB,
            "e33b672ef3458c79533b2088eef68faeb190b6a5e9cadbfe7f64ea0f6687d9a0",
        )],
    },
    KnownFile {
        name: "train-labels-idx1-ubyte.gz",
        digests: &[sha(
            SUB,
            "3e39de9a2f949ee0c5eccbf738e4060d0ac4e9986565f7de85a4471a6224c9d2",
        )],
    },
    KnownFile {
        name: "t10k-images-idx3-ubyte.gz",
        digests: &[sha(
            SUB,
            "b0fcb1949a8ea32151bd5d3f68da765ffc390abdd0825b1ea9e4a62bf190f3ef",
        )],
    },
    KnownFile {
        name: "t10k-labels-idx1-ubyte.gz",
        digests: &[sha(
            SUB,
            "9ed1dc30e9f5d567f384bf438faae9743c15b59ed73cd27524d3b16ac9f3314b",
        )],
    },
];
static FASHION_SUBSET: [KnownFile; 4] = [
    KnownFile {
        name: "train-images-idx3-ubyte.gz",
        digests: &[sha(
            SUB,
            "cb128d6359c99867bed2c2f458aad721b96c0931dcd3618ce48fe8030c6ae9bc",
        )],
    },
    KnownFile {
        name: "train-labels-idx1-ubyte.gz",
        digests: &[sha(
            SUB,
            "98159d9df2bb02702322125abba61a7ab6cac727811cfe13c42b05ab8ff75f63",
        )],
    },
    KnownFile {
        name: "t10k-images-idx3-ubyte.gz",
        digests: &[sha(
            SUB,
            "04516f9d284037ea6cce7310aafaed77e8f8c1547f1127ef4aa754c46f47f8f5",
        )],
    },
    KnownFile {
        name: "t10k-labels-idx1-ubyte.gz",
        digests: &[sha(
            SUB,
            "540f63e62544edb8406d1292429a47e6cdb42e4fa2eaa233f072b34e1f6bc46c",
        )],
    },
];
static OMNIGLOT_SUBSET: [KnownFile; 2] = [
    KnownFile {
        name: "images_background.zip",
        digests: &[sha(
            SUB,
            "71b38a57303cc17db7ba36d38b6562f9272caf86cd9d796c536aad92a776da18",
        )],
    },
    KnownFile {
        name: "images_evaluation.zip",
        digests: &[sha(
            SUB,
            "dfab1ec719a824ff64c2e8d9cda00cf4d8d0336d905f569d475adc592aca4730",
        )],
    },
];

/// The known files of data set `dataset` (`mnist`, `fashion-mnist`, `omniglot`, `wm-digits`);
/// empty for an unknown name. The embedded wm-digits are byte copies, so both references agree.
pub fn known_files(dataset: &str, reference: Reference) -> &'static [KnownFile] {
    match (dataset, reference) {
        ("mnist", Reference::Published) => &MNIST_PUBLISHED,
        ("fashion-mnist", Reference::Published) => &FASHION_PUBLISHED,
        ("omniglot", Reference::Published) => &OMNIGLOT_PUBLISHED,
        ("mnist", Reference::EmbeddedSubset) => &MNIST_SUBSET,
        ("fashion-mnist", Reference::EmbeddedSubset) => &FASHION_SUBSET,
        ("omniglot", Reference::EmbeddedSubset) => &OMNIGLOT_SUBSET,
        ("wm-digits", _) => &WM_PUBLISHED,
        _ => &[],
    }
}

/// Lower-case hex MD5 and SHA-256 of a file, streamed.
pub fn file_digests(path: &Path) -> Result<(String, String)> {
    let mut f =
        std::fs::File::open(path).map_err(|e| DataError::io(path, e, "file to checksum"))?;
    let mut md5 = Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| DataError::io(path, e, "file to checksum"))?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    Ok((hex(&md5.finalize()), hex(&sha.finalize())))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks every known file of `dataset` in `dir`: matches / differs / absent.
pub fn check_dir(dir: &Path, dataset: &str, reference: Reference) -> Result<Vec<FileCheck>> {
    let mut out = Vec::new();
    for kf in known_files(dataset, reference) {
        let path = dir.join(kf.name);
        let status = if !path.is_file() {
            ChecksumStatus::Absent
        } else {
            let (md5, sha256) = file_digests(&path)?;
            let hit = kf
                .digests
                .iter()
                .find(|d| d.md5.is_none_or(|m| m == md5) && d.sha256.is_none_or(|s| s == sha256));
            match hit {
                Some(d) => ChecksumStatus::Matches { origin: d.origin },
                None => ChecksumStatus::Differs { sha256, md5 },
            }
        };
        out.push(FileCheck {
            name: kf.name,
            path,
            status,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_subset_matches_and_a_changed_file_differs() {
        for ds in ["mnist", "fashion-mnist", "omniglot", "wm-digits"] {
            let dir = crate::root::embedded_dir(ds);
            let checks = check_dir(&dir, ds, Reference::EmbeddedSubset).unwrap();
            assert!(!checks.is_empty());
            for c in &checks {
                assert!(
                    matches!(c.status, ChecksumStatus::Matches { .. }),
                    "{ds}/{}: {:?}",
                    c.name,
                    c.status
                );
            }
            // The subset is not the published data.
            if ds != "wm-digits" {
                let pubc = check_dir(&dir, ds, Reference::Published).unwrap();
                assert!(
                    pubc.iter()
                        .all(|c| matches!(c.status, ChecksumStatus::Differs { .. }))
                );
            }
        }
        let tmp = std::env::temp_dir().join(format!("snan-data-cksum-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::write(tmp.join("train-labels-idx1-ubyte.gz"), b"not mnist").unwrap();
        let checks = check_dir(&tmp, "mnist", Reference::Published).unwrap();
        assert_eq!(checks.len(), 4);
        assert!(matches!(checks[1].status, ChecksumStatus::Differs { .. }));
        assert_eq!(checks[0].status, ChecksumStatus::Absent);
        std::fs::remove_dir_all(&tmp).ok();
    }

    #[test]
    fn digests_of_known_bytes() {
        let tmp = std::env::temp_dir().join(format!("snan-data-abc-{}", std::process::id()));
        std::fs::write(&tmp, b"abc").unwrap();
        let (m, s) = file_digests(&tmp).unwrap();
        assert_eq!(m, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            s,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_file(&tmp).ok();
    }
}
