//! One vocabulary: no library crate spells a registered metric or event name as a string
//! literal; they use the constants of `ispvm_model::names` (which the registry is built from).
//!
//! Comments, doc comments and `#[cfg(test)]` modules may quote names (tests check the wire
//! spelling on purpose); code may not.

use std::fs;
use std::path::{Path, PathBuf};

use ispvm_schemas::registry::REGISTRY;

/// Files allowed to spell the names: where the constants and the registry are defined.
const DEFINITIONS: &[&str] = &["ispvm-model/src/names.rs", "ispvm-schemas/src/registry.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file: the part before its first `#[cfg(test)]`, without comment lines.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

/// Every `src/` file of the library crates (top-level `ispvm-*` folders of the workspace).
fn library_sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut crates: Vec<PathBuf> = fs::read_dir(root)
        .expect("workspace root is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ispvm-"))
                && p.join("Cargo.toml").is_file()
        })
        .collect();
    crates.sort();
    for c in crates {
        rust_files(&c.join("src"), &mut files);
    }
    files.sort();
    files
}

fn literal_uses(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in library_sources(root) {
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if DEFINITIONS.contains(&rel.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("source file is readable");
        for (line_no, line) in code_lines(&text) {
            for def in REGISTRY {
                // The name as a whole literal, or as a part of a format string or path.
                let quoted = format!("\"{}\"", def.name);
                let in_format = format!("/{}/", def.name);
                if line.contains(&quoted) || (line.contains('"') && line.contains(&in_format)) {
                    found.push(format!("{rel}:{line_no}: {}", def.name));
                }
            }
        }
    }
    found
}

#[test]
fn no_registry_name_is_spelled_as_a_literal_in_library_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace");
    let files = library_sources(root);
    assert!(
        files.len() > 20,
        "expected the library sources, found {files:?}"
    );
    let found = literal_uses(root);
    assert!(
        found.is_empty(),
        "use the constants of ispvm_model::names instead of:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_a_literal() {
    let dir = tempfile_dir();
    let src = dir.join("ispvm-fake").join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(dir.join("ispvm-fake").join("Cargo.toml"), "").unwrap();
    fs::write(
        src.join("lib.rs"),
        "// \"device.up\" in a comment is fine\nconst A: &str = \"device.up\";\nfn f(x: &str) -> String { format!(\"{x}/pppoe.sessions.dropped/1\") }\n#[cfg(test)]\nmod tests { const B: &str = \"device.cpu_pct\"; }\n",
    )
    .unwrap();
    assert_eq!(
        literal_uses(&dir),
        vec![
            "ispvm-fake/src/lib.rs:2: device.up".to_string(),
            "ispvm-fake/src/lib.rs:3: pppoe.sessions.dropped".to_string()
        ]
    );
    fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ispvm-vocabulary-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}
