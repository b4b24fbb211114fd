//! Every target over every committed corpus file and every regression input: the
//! targets keep compiling and the bugs fuzzing found stay fixed, with the ordinary test
//! build.

use std::path::{Path, PathBuf};

use crate::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(read) => read
            .map(|e| e.expect("a corpus directory lists").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn every_target_runs_over_its_corpus_and_regressions() {
    for (target, run) in TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} has no seeds");
        for path in corpus.iter().chain(&inputs("regressions", target)) {
            let data = std::fs::read(path).expect("a corpus file reads");
            run(&data);
        }
    }
}

#[test]
fn the_committed_seeds_are_what_the_encoders_make() {
    for (target, seeds) in crate::seeds::seeds() {
        for (name, bytes) in seeds {
            let path = fuzz_dir().join("corpus").join(target).join(&name);
            let committed = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (write the seeds again)", path.display()));
            assert!(
                committed == bytes,
                "{} differs from what the encoders make now: write the seeds again \
                 (cargo test -p margin-fuzz -- --ignored write_seeds)",
                path.display()
            );
        }
    }
}

/// Writes the seed corpora (`fuzz/corpus/<target>/`) from the encoders.
#[test]
#[ignore = "writes fuzz/corpus; run it when an encoding changes"]
fn write_seeds() {
    for (target, seeds) in crate::seeds::seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("the corpus directory is made");
        for (name, bytes) in seeds {
            std::fs::write(dir.join(name), bytes).expect("a seed is written");
        }
    }
}
