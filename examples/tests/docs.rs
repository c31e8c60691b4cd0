//! Every code block and every command in the documentation is exercised here.
//!
//! The documentation is `README.md`, `CONTRIBUTING.md`, the crates' `README.md` files and
//! everything under `docs/`. Each fenced block must declare its language, and each language has
//! a rule:
//!
//! | language | how it is exercised |
//! |---|---|
//! | `rust` | the file is compiled and run as doc tests (`#[doc = include_str!(..)]` in a crate) |
//! | `json` | parsed, and validated against its published JSON Schema when it is an ispvm document |
//! | `sh` | every command runs (`ispvm-analyze`, `ispvm-schema`, `ispvm-sim` + `ispvm-poll` on loopback) or, when it needs a real router or the network, is checked against the binary's real `--help`, the workspace's packages, binaries, tests and scripts; `curl` requests to `$ISPVM` are checked against the agent's OpenAPI document (route, method, `# status N`), and those of `docs/api.md` also run, in order, against a real embedded-default `ispvm-agent` |
//! | `routeros` | every line uses a RouterOS menu, command and parameter values from the vocabulary below |
//! | `yaml` | an Alertmanager configuration: `amtool check-config` accepts it, and one that routes `IspvmIncident` sends critical incidents to Telegram and email, warnings to email, the watchdog to the dead man's switch (`amtool config routes test`; a missing `amtool` skips, and fails under `CI=true`); a page's `amtool check-config` command needs a `yaml` block on the same page |
//! | `text`, `dot` | diagrams and sample output: nothing to run |
//!
//! Relative links must point at files that exist.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ispvm_schemas::validation::{DocumentKind, validate};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the examples crate lives in the workspace")
        .to_path_buf()
}

/// A fenced code block of a Markdown file.
#[derive(Debug)]
struct Block {
    file: PathBuf,
    line: usize,
    lang: String,
    body: String,
}

impl Block {
    fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = Vec::new();
    for name in ["README.md", "CONTRIBUTING.md", "SECURITY.md"] {
        let p = root.join(name);
        if p.exists() {
            files.push(p);
        }
    }
    for crate_dir in std::fs::read_dir(&root).expect("workspace root is readable") {
        let p = crate_dir.expect("directory entry").path().join("README.md");
        if p.exists() && p.parent() != Some(root.as_path()) {
            files.push(p);
        }
    }
    let mut stack = vec![root.join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("docs/ is readable") {
            let p = entry.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn blocks_of(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).expect("markdown file is readable");
    let mut blocks = Vec::new();
    let mut open: Option<(usize, usize, String, Vec<String>)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix("```") {
            match open.take() {
                None => open = Some((i + 1, indent, rest.trim().to_string(), Vec::new())),
                Some((start, _, lang, body)) => blocks.push(Block {
                    file: file.strip_prefix(root()).unwrap_or(file).to_path_buf(),
                    line: start,
                    lang,
                    body: body.join("\n"),
                }),
            }
        } else if let Some((_, fence_indent, _, body)) = open.as_mut() {
            let cut = line.len().min(*fence_indent);
            let cut = if line[..cut].trim().is_empty() {
                cut
            } else {
                0
            };
            body.push(line[cut..].to_string());
        }
    }
    assert!(
        open.is_none(),
        "{}: a code block is never closed",
        file.display()
    );
    blocks
}

fn all_blocks() -> Vec<Block> {
    markdown_files().iter().flat_map(|f| blocks_of(f)).collect()
}

#[test]
fn every_block_declares_a_known_language() {
    // `rust,ignore` only for API sketches in crate READMEs; `rust` blocks are compiled below.
    let known = [
        "rust",
        "rust,ignore",
        "json",
        "sh",
        "routeros",
        "yaml",
        "text",
        "dot",
    ];
    let mut bad = Vec::new();
    for b in all_blocks() {
        if !known.contains(&b.lang.as_str()) {
            bad.push(format!("{} has language {:?}", b.place(), b.lang));
        }
    }
    assert!(
        bad.is_empty(),
        "code blocks without a known language:\n{}",
        bad.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// rust

/// Markdown files included as doc comments somewhere in the workspace's sources.
fn docs_compiled_as_doctests() -> BTreeSet<PathBuf> {
    let root = root();
    let mut included = BTreeSet::new();
    let mut stack: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("workspace root is readable")
        .filter_map(|e| e.ok().map(|e| e.path().join("src")))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("source dir is readable") {
            let p = entry.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let src = std::fs::read_to_string(&p).expect("source is readable");
            const NEEDLE: &str = "include_str!(\"";
            for (at, _) in src.match_indices(NEEDLE) {
                let rest = &src[at + NEEDLE.len()..];
                let Some(rel) = rest.split('"').next() else {
                    continue;
                };
                if !rel.ends_with(".md") {
                    continue;
                }
                let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
                if !src[line_start..at].trim_start().starts_with('#') {
                    continue; // only `#[doc = include_str!(..)]` / `#![doc = ..]` count
                }
                let target = p.parent().expect("file has a parent").join(rel);
                if let Ok(target) = target.canonicalize() {
                    included.insert(target);
                }
            }
        }
    }
    included
}

#[test]
fn rust_blocks_are_compiled_as_doc_tests() {
    let included = docs_compiled_as_doctests();
    let mut missing = BTreeSet::new();
    for b in all_blocks().iter().filter(|b| b.lang == "rust") {
        let path = root().join(&b.file).canonicalize().expect("doc exists");
        if !included.contains(&path) {
            missing.insert(b.file.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "these files have rust blocks but no crate includes them with #[doc = include_str!(..)]: {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// json

fn kind_of(value: &serde_json::Value) -> Option<DocumentKind> {
    let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema.starts_with("ispvm.scenario/") {
        Some(DocumentKind::Scenario)
    } else if schema.starts_with("ispvm.analysis/") {
        Some(DocumentKind::Analysis)
    } else if value.get("schema_version").is_some() && value.get("agent").is_some() {
        Some(DocumentKind::IngestBatch)
    } else if value.get("metric_name").is_some() {
        Some(DocumentKind::MetricSample)
    } else if value.get("event_type").is_some() {
        Some(DocumentKind::Event)
    } else {
        None
    }
}

#[test]
fn json_blocks_parse_and_validate() {
    let mut failures = Vec::new();
    for b in all_blocks().iter().filter(|b| b.lang == "json") {
        // A block is one JSON document, or JSON lines.
        let values: Vec<serde_json::Value> = match serde_json::from_str(&b.body) {
            Ok(v) => vec![v],
            Err(whole) => {
                let lines: Result<Vec<_>, _> = b
                    .body
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(serde_json::from_str)
                    .collect();
                match lines {
                    Ok(v) => v,
                    Err(_) => {
                        failures.push(format!("{}: not JSON: {whole}", b.place()));
                        continue;
                    }
                }
            }
        };
        for v in values {
            if let Some(kind) = kind_of(&v) {
                if let Err(errors) = validate(kind, &v) {
                    failures.push(format!("{}: invalid {kind:?}: {errors:?}", b.place()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// sh

/// A command of a `sh` block: its words, the exit code the docs promise, and where it is.
#[derive(Debug, Clone)]
struct ShellCommand {
    place: String,
    words: Vec<String>,
    expected_exit: i32,
    background: bool,
    comment: Option<String>,
}

/// Splits a shell line into words: single and double quotes, backslash escapes, `# comment`.
fn shell_words(line: &str) -> Result<(Vec<String>, Option<String>), String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => {
                            if let Some(ch) = chars.next() {
                                word.push(ch);
                            }
                        }
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(ch) = chars.next() {
                    word.push(ch);
                }
            }
            '#' if !in_word => {
                let comment: String = chars.collect();
                return Ok((words, Some(comment.trim().to_string())));
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok((words, None))
}

fn shell_commands(b: &Block) -> Vec<ShellCommand> {
    let mut commands = Vec::new();
    let mut pending = String::new();
    for (offset, raw) in b.body.lines().enumerate() {
        if let Some(cont) = raw.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(raw);
        let line = std::mem::take(&mut pending);
        let place = format!("{}:{}", b.file.display(), b.line + 1 + offset);
        let (mut words, comment) =
            shell_words(&line).unwrap_or_else(|e| panic!("{place}: {e}: {line}"));
        if words.is_empty() {
            continue;
        }
        let background = words.last().is_some_and(|w| w == "&");
        if background {
            words.pop();
        }
        let expected_exit = comment
            .as_deref()
            .and_then(|c| c.strip_prefix("exits "))
            .map(|n| {
                n.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{place}: bad `# exits N` comment"))
            })
            .unwrap_or(0);
        for w in &words {
            assert!(
                !["|", "&&", "||", ";", ">", "<"].contains(&w.as_str()),
                "{place}: keep documented commands simple (one command per line): {line}"
            );
        }
        commands.push(ShellCommand {
            place,
            words,
            expected_exit,
            background,
            comment,
        });
    }
    commands
}

/// The binaries of the examples crate, by name.
fn binaries() -> BTreeMap<&'static str, Option<&'static str>> {
    BTreeMap::from([
        ("ispvm-analyze", option_env!("CARGO_BIN_EXE_ispvm-analyze")),
        ("ispvm-schema", option_env!("CARGO_BIN_EXE_ispvm-schema")),
        ("ispvm-poll", option_env!("CARGO_BIN_EXE_ispvm-poll")),
        ("ispvm-sim", option_env!("CARGO_BIN_EXE_ispvm-sim")),
        ("ispvm-demo", option_env!("CARGO_BIN_EXE_ispvm-demo")),
        ("ispvm-agent", option_env!("CARGO_BIN_EXE_ispvm-agent")),
    ])
}

fn binary(name: &str, place: &str) -> PathBuf {
    match binaries().get(name) {
        Some(Some(path)) => PathBuf::from(path),
        Some(None) => panic!("{place}: the docs use {name}, which is not built"),
        None => panic!("{place}: unknown ispvm binary {name}"),
    }
}

/// The long options a binary accepts, read from its real `--help`.
fn long_options(name: &str, place: &str) -> BTreeSet<String> {
    let out = Command::new(binary(name, place))
        .arg("--help")
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{name} --help failed");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut options = BTreeSet::new();
    for word in help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']') {
        if let Some(opt) = word.strip_prefix("--") {
            let opt = opt.split(['=', '<', '.']).next().unwrap_or("");
            if !opt.is_empty() {
                options.insert(format!("--{opt}"));
            }
        }
    }
    options
}

/// Every `--option` of `args` is one `name` accepts.
fn check_options(name: &str, args: &[String], place: &str) {
    let accepted = long_options(name, place);
    for arg in args {
        if arg.starts_with("--") {
            let opt = arg.split('=').next().unwrap_or(arg);
            assert!(
                accepted.contains(opt),
                "{place}: {name} has no option {opt} (it accepts {accepted:?})"
            );
        }
    }
}

fn workspace_packages() -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("root manifest");
    let mut packages = BTreeSet::new();
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("workspace members");
    for member in members.split(',') {
        let dir = member.trim().trim_matches('"');
        if dir.is_empty() {
            continue;
        }
        let m = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).expect("member");
        let name = m
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .expect("package name")
            .trim_matches('"')
            .to_string();
        packages.insert(name);
    }
    packages
}

/// Checks a `cargo ...` command against the workspace.
fn check_cargo(cmd: &ShellCommand) {
    let words = &cmd.words;
    let place = &cmd.place;
    let sub = words.get(1).map(String::as_str).unwrap_or("");
    let known = [
        "run", "test", "bench", "build", "doc", "fmt", "clippy", "install", "fuzz",
    ];
    assert!(
        known.contains(&sub),
        "{place}: unexpected cargo subcommand {sub:?}"
    );
    let packages = workspace_packages();
    let (own, rest) = match words.iter().position(|w| w == "--") {
        Some(i) => (&words[..i], &words[i + 1..]),
        None => (&words[..], &[][..]),
    };
    let mut package = None;
    for pair in own.windows(2) {
        match pair[0].as_str() {
            "-p" | "--package" => {
                assert!(
                    packages.contains(&pair[1]),
                    "{place}: no workspace package {}",
                    pair[1]
                );
                package = Some(pair[1].clone());
            }
            "--bin" => {
                binary(&pair[1], place);
                if sub == "run" {
                    check_options(&pair[1], rest, place);
                }
            }
            "--test" => {
                let dir = match package.as_deref() {
                    Some("ispvm-examples") | None => "examples".to_string(),
                    Some(p) => p.to_string(),
                };
                let file = root()
                    .join(dir)
                    .join("tests")
                    .join(format!("{}.rs", pair[1]));
                assert!(file.exists(), "{place}: no test target {}", file.display());
            }
            "--bench" => {
                let dir = package.clone().unwrap_or_default();
                let file = root()
                    .join(dir)
                    .join("benches")
                    .join(format!("{}.rs", pair[1]));
                assert!(file.exists(), "{place}: no bench target {}", file.display());
            }
            _ => {}
        }
    }
}

/// Checks a documented `curl` request to the agent (`"$ISPVM/..."`) against the committed
/// OpenAPI document: the path matches a route (`{param}` matches one segment, or an
/// `$VARIABLE`), the method is one of its operations, and the `# status N` comment, which every
/// such line must have, names a status the operation documents. See docs/api.md for the
/// `-> NAME` capture convention used when the lines are run against an agent.
fn check_curl(cmd: &ShellCommand) {
    let place = &cmd.place;
    let Some(url) = cmd.words.iter().find(|w| w.starts_with("$ISPVM")) else {
        panic!("{place}: a documented curl request goes to \"$ISPVM/...\"");
    };
    let path = url["$ISPVM".len()..].split('?').next().unwrap_or_default();
    let mut method = "get".to_string();
    for (i, w) in cmd.words.iter().enumerate() {
        match w.as_str() {
            "-X" | "--request" => {
                method = cmd
                    .words
                    .get(i + 1)
                    .map(|m| m.to_lowercase())
                    .unwrap_or_default();
            }
            "-d" | "--data" | "--data-binary" | "--data-urlencode" | "-F" if method == "get" => {
                method = "post".to_string();
            }
            _ => {}
        }
    }
    let status = cmd
        .comment
        .as_deref()
        .and_then(|c| c.strip_prefix("status "))
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or_else(|| panic!("{place}: a curl line needs a `# status N` comment"));
    let text = std::fs::read_to_string(root().join("docs/api/openapi.json"))
        .expect("docs/api/openapi.json is readable");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("docs/api/openapi.json parses");
    let segments: Vec<&str> = path.split('/').collect();
    let route = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(template, _)| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .unwrap_or_else(|| panic!("{place}: no route of the API matches {path}"));
    let operation = route
        .1
        .get(&method)
        .unwrap_or_else(|| panic!("{place}: {} has no {method} operation", route.0));
    assert!(
        operation["responses"].get(status).is_some(),
        "{place}: {method} {} does not document status {status}",
        route.0
    );
}

/// Runs a documented command of a pure binary from the workspace root and checks its exit code.
fn run_pure(cmd: &ShellCommand, env: &BTreeMap<String, String>) {
    let name = cmd.words[0].as_str();
    let out = Command::new(binary(name, &cmd.place))
        .args(&cmd.words[1..])
        .envs(env)
        .current_dir(root())
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(cmd.expected_exit),
        "{}: `{}` exited {:?}, the docs say {}\nstdout:\n{}\nstderr:\n{}",
        cmd.place,
        cmd.words.join(" "),
        out.status.code(),
        cmd.expected_exit,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // `ispvm-schema lint` prints its findings on stdout (none for a clean file) and always a
    // summary line on stderr, whatever its exit code (0 clean, 1 warnings, 2 errors).
    let lint = name == "ispvm-schema" && cmd.words.get(1).is_some_and(|w| w == "lint");
    let output = if cmd.expected_exit == 0 && !lint {
        &out.stdout
    } else {
        &out.stderr
    };
    assert!(
        !output.is_empty(),
        "{}: `{}` printed nothing",
        cmd.place,
        cmd.words.join(" ")
    );
}

/// A simulator started from the docs; killed when dropped.
struct RunningSim {
    child: Child,
    port: u16,
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a documented `ispvm-sim` command, on a free port instead of the documented one so that
/// tests never collide, and waits for its `listening on` line.
fn start_sim(cmd: &ShellCommand) -> (RunningSim, u16) {
    check_options("ispvm-sim", &cmd.words[1..], &cmd.place);
    let mut args = Vec::new();
    let mut documented_port = 8728;
    let mut words = cmd.words[1..].iter();
    while let Some(w) = words.next() {
        if w == "--listen" {
            let addr = words.next().expect("--listen has a value");
            documented_port = addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("--listen names a port");
            args.push("--listen".to_string());
            args.push("127.0.0.1:0".to_string());
        } else {
            args.push(w.clone());
        }
    }
    let mut child = Command::new(binary("ispvm-sim", &cmd.place))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ispvm-sim starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut first).expect("ispvm-sim prints");
    assert!(Instant::now() < deadline, "ispvm-sim took too long");
    let port = first
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{}: ispvm-sim printed {first:?}", cmd.place));
    (RunningSim { child, port }, documented_port)
}

/// Runs a documented `ispvm-poll` against the simulator the same page started.
fn poll_sim(cmd: &ShellCommand, sim: &RunningSim, documented_port: u16) {
    check_options("ispvm-poll", &cmd.words[1..], &cmd.place);
    let args: Vec<String> = cmd.words[1..]
        .iter()
        .map(|w| {
            if *w == documented_port.to_string() {
                sim.port.to_string()
            } else {
                w.clone()
            }
        })
        .collect();
    let out = Command::new(binary("ispvm-poll", &cmd.place))
        .args(&args)
        .env_remove("ISPVM_PASSWORD")
        .output()
        .expect("ispvm-poll runs");
    assert_eq!(
        out.status.code(),
        Some(cmd.expected_exit),
        "{}: `{}` against the simulator: {}",
        cmd.place,
        cmd.words.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("device.up"),
        "{}: poll output lacks device.up:\n{stdout}",
        cmd.place
    );
}

#[test]
fn sh_commands_run_or_match_the_real_binaries() {
    let mut ran = 0;
    let mut checked = 0;
    for file in markdown_files() {
        // A simulator started by a page serves the polls that follow it on the same page.
        let mut sim: Option<(RunningSim, u16)> = None;
        for b in blocks_of(&file).iter().filter(|b| b.lang == "sh") {
            let mut env = BTreeMap::new();
            for cmd in shell_commands(b) {
                let program = cmd.words[0].as_str();
                match program {
                    "export" => {
                        for assignment in &cmd.words[1..] {
                            let (k, v) = assignment
                                .split_once('=')
                                .unwrap_or_else(|| panic!("{}: export NAME=VALUE", cmd.place));
                            env.insert(k.to_string(), v.to_string());
                        }
                    }
                    "ispvm-analyze" | "ispvm-schema" => {
                        run_pure(&cmd, &env);
                        ran += 1;
                    }
                    "ispvm-sim" => {
                        assert!(
                            !cmd.background || sim.is_none(),
                            "{}: one simulator per page",
                            cmd.place
                        );
                        sim = Some(start_sim(&cmd));
                        ran += 1;
                    }
                    "ispvm-poll" => {
                        let local = cmd.words.iter().any(|w| w == "127.0.0.1");
                        match (&sim, local) {
                            (Some((running, port)), true) => {
                                poll_sim(&cmd, running, *port);
                                ran += 1;
                            }
                            (None, true) => panic!(
                                "{}: a poll of 127.0.0.1 needs an ispvm-sim command before it",
                                cmd.place
                            ),
                            (_, false) => {
                                // A real router (documentation addresses): check the options.
                                check_options("ispvm-poll", &cmd.words[1..], &cmd.place);
                                checked += 1;
                            }
                        }
                    }
                    "ispvm-demo" | "ispvm-agent" => {
                        check_options(program, &cmd.words[1..], &cmd.place);
                        checked += 1;
                    }
                    "cargo" => {
                        check_cargo(&cmd);
                        checked += 1;
                    }
                    "curl" => {
                        check_curl(&cmd);
                        checked += 1;
                    }
                    "bash" | "sh" => {
                        let script = root().join(&cmd.words[1]);
                        assert!(
                            script.is_file(),
                            "{}: no script {}",
                            cmd.place,
                            cmd.words[1]
                        );
                        checked += 1;
                    }
                    p if p.starts_with("scripts/") || p.starts_with(".ci/") => {
                        let script = root().join(p);
                        assert!(script.is_file(), "{}: no script {p}", cmd.place);
                        let mode = std::os::unix::fs::PermissionsExt::mode(
                            &script.metadata().expect("metadata").permissions(),
                        );
                        assert!(mode & 0o111 != 0, "{}: {p} is not executable", cmd.place);
                        checked += 1;
                    }
                    "amtool" => {
                        assert_eq!(
                            cmd.words.get(1).map(String::as_str),
                            Some("check-config"),
                            "{}: the docs only use amtool check-config",
                            cmd.place
                        );
                        assert!(
                            blocks_of(&file).iter().any(|b| b.lang == "yaml"),
                            "{}: amtool check-config needs the yaml block it checks on the same page",
                            cmd.place
                        );
                        checked += 1;
                    }
                    "sqlite3" => {
                        // The embedded store's file name, as the store names it.
                        assert!(
                            cmd.words
                                .get(1)
                                .is_some_and(|f| f.ends_with("/ispvm.sqlite")),
                            "{}: sqlite3 opens DATA_DIR/ispvm.sqlite",
                            cmd.place
                        );
                        checked += 1;
                    }
                    "pg_dump" | "pg_restore" | "createdb" | "psql" => {
                        // PostgreSQL's own tools: the database URL names the agent's role.
                        assert!(
                            cmd.words.iter().any(|w| w.contains("postgres://"))
                                || cmd.words[0] == "createdb",
                            "{}: {} needs a postgres:// URL",
                            cmd.place,
                            cmd.words[0]
                        );
                        checked += 1;
                    }
                    other => panic!(
                        "{}: the docs use `{other}`, which this test does not know how to exercise",
                        cmd.place
                    ),
                }
            }
        }
    }
    assert!(ran > 0 && checked > 0, "ran {ran}, checked {checked}");
}

/// A running `ispvm-agent`, killed when dropped.
struct RunningAgent(Child);

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `# status N [-> NAME[=/json/pointer]]` comment: the status and the capture, if any.
fn status_and_capture(cmd: &ShellCommand) -> (u16, Option<(String, String)>) {
    let place = &cmd.place;
    let c = cmd
        .comment
        .as_deref()
        .and_then(|c| c.strip_prefix("status "))
        .unwrap_or_else(|| panic!("{place}: a curl line needs a `# status N` comment"));
    let (status, capture) = match c.split_once("->") {
        Some((s, cap)) => (s, Some(cap.trim())),
        None => (c, None),
    };
    let status = status
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{place}: bad status in `# status {c}`"));
    let capture = capture.map(|cap| match cap.split_once('=') {
        Some((name, pointer)) => (name.to_string(), pointer.to_string()),
        None => (cap.to_string(), "/id".to_string()),
    });
    (status, capture)
}

/// Replaces `$NAME` by its value in a word (longest names first: `$ISPVM` before `$I`).
fn substitute(word: &str, vars: &BTreeMap<String, String>) -> String {
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = word.to_string();
    for n in names {
        out = out.replace(&format!("${n}"), &vars[n]);
    }
    out
}

/// Runs one documented curl line with the real `curl`; returns the status and the body.
fn run_curl(words: &[String], place: &str) -> (u16, String) {
    let body = tempfile::NamedTempFile::new().expect("a temporary file");
    let out = Command::new("curl")
        .args(&words[1..])
        .arg("-o")
        .arg(body.path())
        .args(["-w", "%{http_code}"])
        .output()
        .unwrap_or_else(|e| panic!("{place}: curl is needed to run docs/api.md ({e})"));
    // 28: the time limit of a streaming request (`--max-time`) ran out, after its status.
    assert!(
        out.status.success() || out.status.code() == Some(28),
        "{place}: curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (
        status,
        std::fs::read_to_string(body.path()).unwrap_or_default(),
    )
}

/// Every `curl` line of docs/api.md runs, in order, against a fresh embedded-default agent on
/// a free loopback port (`ISPVM=http://127.0.0.1:PORT`, once `/readyz` answers 200): its status
/// must be the `# status N` of its comment, and `-> NAME` captures feed the lines that follow.
/// Blocks that start with `# configured agent` need tokens and are skipped.
#[test]
fn api_md_curl_lines_run_against_a_real_agent() {
    // A fresh database: the walk-through starts from an empty history.
    let data = tempfile::tempdir().expect("a temporary data directory");
    let mut child = Command::new(binary("ispvm-agent", "docs/api.md"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ispvm-agent starts");
    let stdout = child.stdout.take().expect("stdout");
    let agent = RunningAgent(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the agent's first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    let ready = Instant::now() + Duration::from_secs(30);
    loop {
        let words: Vec<String> = ["curl", "-sS", &format!("{base}/readyz")]
            .iter()
            .map(|w| w.to_string())
            .collect();
        if run_curl(&words, "readyz").0 == 200 {
            break;
        }
        assert!(
            Instant::now() < ready,
            "the agent was not ready within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut vars = BTreeMap::from([("ISPVM".to_string(), base)]);
    let mut ran = 0;
    let file = root().join("docs/api.md");
    for b in blocks_of(&file).iter().filter(|b| b.lang == "sh") {
        if b.body.trim_start().starts_with("# configured agent") {
            continue;
        }
        for cmd in shell_commands(b) {
            if cmd.words[0] == "export" {
                continue; // the runner's own $ISPVM
            }
            assert_eq!(cmd.words[0], "curl", "{}: only curl lines here", cmd.place);
            let (want, capture) = status_and_capture(&cmd);
            let words: Vec<String> = cmd.words.iter().map(|w| substitute(w, &vars)).collect();
            assert!(
                !words.iter().any(|w| w.contains('$')),
                "{}: an unknown variable in {words:?}",
                cmd.place
            );
            let is_get = !words
                .iter()
                .any(|w| ["-X", "-d", "--data", "--data-urlencode"].contains(&w.as_str()));
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let (status, body) = run_curl(&words, &cmd.place);
                let value = capture.as_ref().and_then(|(_, pointer)| {
                    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
                    v.pointer(pointer).and_then(|x| match x {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Null => None,
                        other => Some(other.to_string()),
                    })
                });
                let missing = capture.is_some() && value.is_none();
                if is_get && missing && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(250));
                    continue;
                }
                assert_eq!(status, want, "{}: {words:?} answered {body}", cmd.place);
                if let Some((name, pointer)) = &capture {
                    let v = value.unwrap_or_else(|| {
                        panic!("{}: no {pointer} in the answer {body}", cmd.place)
                    });
                    vars.insert(name.clone(), v);
                }
                break;
            }
            ran += 1;
        }
    }
    assert!(ran >= 30, "only {ran} curl lines ran");
    drop(agent);
}

// ---------------------------------------------------------------------------------------------
// yaml

/// `amtool`, or `None` (after saying so) when it is missing outside CI.
fn amtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("amtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "amtool is missing (prometheus-alertmanager: scripts/install-test-deps)"
        );
        eprintln!("SKIP: amtool is not installed; yaml blocks are not checked");
    }
    found
}

#[test]
fn yaml_blocks_are_alertmanager_configs_that_amtool_accepts() {
    let blocks: Vec<Block> = all_blocks()
        .into_iter()
        .filter(|b| b.lang == "yaml")
        .collect();
    assert!(
        !blocks.is_empty(),
        "docs/notifications.md has an alertmanager.yml"
    );
    let Some(amtool) = amtool() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, b) in blocks.iter().enumerate() {
        let file = dir.path().join(format!("alertmanager-{i}.yml"));
        std::fs::write(&file, &b.body).expect("write");
        let out = Command::new(&amtool)
            .arg("check-config")
            .arg(&file)
            .output()
            .expect("amtool runs");
        assert!(
            out.status.success(),
            "{}: amtool check-config refuses it:\n{}{}",
            b.place(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The routing docs/notifications.md describes: critical incidents page Telegram and email,
    // warnings go to email, the watchdog to the dead man's switch.
    for (i, b) in blocks.iter().enumerate() {
        if !b.body.contains("IspvmIncident") {
            continue;
        }
        let file = dir.path().join(format!("alertmanager-{i}.yml"));
        let route = |labels: &[&str]| -> String {
            let out = Command::new(&amtool)
                .args(["config", "routes", "test"])
                .arg(format!("--config.file={}", file.display()))
                .args(labels)
                .output()
                .expect("amtool runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(
            route(&[
                "alertname=IspvmIncident",
                "severity=critical",
                "tenant=acme"
            ]),
            "noc-telegram,noc-email",
            "{}",
            b.place()
        );
        assert_eq!(
            route(&["alertname=IspvmIncident", "severity=warning"]),
            "noc-email",
            "{}",
            b.place()
        );
        assert_eq!(
            route(&["alertname=IspvmWatchdog", "severity=none"]),
            "deadmans-switch"
        );
    }
    // The checker is real: a broken configuration is refused.
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "route:\n  receiver: nobody\nreceivers: []\n").expect("write");
    let out = Command::new(&amtool)
        .arg("check-config")
        .arg(&bad)
        .output()
        .expect("amtool runs");
    assert!(!out.status.success());
}

// ---------------------------------------------------------------------------------------------
// routeros

/// Menus the docs may use, with the commands each accepts (RouterOS v6 and v7 manuals).
fn routeros_vocabulary() -> BTreeMap<&'static str, &'static [&'static str]> {
    const READ: &[&str] = &["print"];
    BTreeMap::from([
        ("/user", &["add", "set", "print", "remove"][..]),
        ("/user group", &["add", "set", "print"][..]),
        ("/ip service", &["set", "print"][..]),
        ("/ip firewall filter", READ),
        ("/log", READ),
        (
            "/certificate",
            &["add", "sign", "print", "export-certificate"][..],
        ),
        ("/routing/bgp/session", READ),
        ("/routing/bgp/peer", READ),
        ("/routing/ospf/neighbor", READ),
        ("/interface", READ),
        ("/interface ethernet", &["print", "monitor"][..]),
        ("/system/resource", READ),
        ("/ppp/active", READ),
        ("/radius", &["print", "monitor"][..]),
    ])
}

/// RouterOS user policies (`/user group add policy=`), optionally negated with `!`.
const ROUTEROS_POLICIES: &[&str] = &[
    "local",
    "telnet",
    "ssh",
    "ftp",
    "reboot",
    "read",
    "write",
    "policy",
    "test",
    "winbox",
    "password",
    "web",
    "sniff",
    "sensitive",
    "api",
    "romon",
    "rest-api",
    "dude",
];

fn check_routeros_line(line: &str, place: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(
        words.first().is_some_and(|w| w.starts_with('/')),
        "{place}: a RouterOS command starts with its menu path: {line}"
    );
    let vocabulary = routeros_vocabulary();
    // The longest known menu that the line starts with, in `/a b` or `/a/b` form.
    let mut best: Option<(&str, usize)> = None;
    for menu in vocabulary.keys() {
        let parts: Vec<&str> = menu.split(' ').collect();
        if words.len() > parts.len()
            && words[..parts.len()] == parts[..]
            && best.is_none_or(|(_, n)| parts.len() > n)
        {
            best = Some((menu, parts.len()));
        }
    }
    let (menu, n) = best.unwrap_or_else(|| panic!("{place}: unknown RouterOS menu in: {line}"));
    let command = words[n];
    assert!(
        vocabulary[menu].contains(&command),
        "{place}: {menu} has no command {command} (known: {:?})",
        vocabulary[menu]
    );
    for w in &words[n + 1..] {
        if let Some(policies) = w.strip_prefix("policy=") {
            for p in policies.split(',') {
                let p = p.trim_start_matches('!');
                assert!(
                    ROUTEROS_POLICIES.contains(&p),
                    "{place}: unknown RouterOS policy {p}"
                );
            }
        }
        if let Some(v) = w.strip_prefix("disabled=") {
            assert!(v == "yes" || v == "no", "{place}: disabled=yes|no, not {v}");
        }
    }
}

#[test]
fn routeros_blocks_use_known_menus_and_commands() {
    let mut lines = 0;
    for b in all_blocks().iter().filter(|b| b.lang == "routeros") {
        for (offset, line) in b.body.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            check_routeros_line(
                line,
                &format!("{}:{}", b.file.display(), b.line + 1 + offset),
            );
            lines += 1;
        }
    }
    assert!(lines > 0);
}

#[test]
fn the_routeros_checker_rejects_mistakes() {
    let bad = [
        "/ip servce print",
        "/user group add name=x policy=read,apii",
        "/routing/bgp/session remove 0",
        "print",
    ];
    for line in bad {
        let result = std::panic::catch_unwind(|| check_routeros_line(line, "test"));
        assert!(result.is_err(), "accepted {line:?}");
    }
    check_routeros_line("/ip service set api-ssl disabled=no", "test");
}

#[test]
fn shell_words_handles_quotes_and_comments() {
    let (words, comment) =
        shell_words(r#"ispvm-schema validate 'a b.json' "c\"d" e\ f # exits 2"#).unwrap();
    assert_eq!(
        words,
        ["ispvm-schema", "validate", "a b.json", "c\"d", "e f"]
    );
    assert_eq!(comment.as_deref(), Some("exits 2"));
    assert!(shell_words("echo 'open").is_err());
}

// ---------------------------------------------------------------------------------------------
// links

#[test]
fn relative_links_point_at_existing_files() {
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        for part in text.split("](").skip(1) {
            let Some(target) = part.split(')').next() else {
                continue;
            };
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let path = file.parent().expect("parent").join(target);
            if !path.exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
