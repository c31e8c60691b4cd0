//! Exact errors (file, line, key) for each kind of fault, and a valid file.

use std::path::Path;

use super::*;

const GOOD: &str = r#"listen = "127.0.0.1:9000"
log_format = "json"

[polling]
fast_seconds = 10

[[tenants]]
id = "acme"
fast_seconds = 5

[[tenants.routers]]
id = "core1"
host = "192.0.2.1"
tls = true
user = "ro"
password_file = "pw.txt"

[[tenants.tokens]]
name = "noc"
role = "viewer"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"#;

fn dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pw.txt"), "s3cret-password\n").unwrap();
    d
}

fn parse(text: &str, d: &tempfile::TempDir) -> Result<Config, ConfigError> {
    Config::parse(text, &d.path().join("agent.toml"))
}

fn fault(text: &str) -> (usize, String, String) {
    let d = dir();
    let e = parse(text, &d).unwrap_err();
    assert_eq!(e.file, d.path().join("agent.toml"));
    (e.line, e.key, e.message)
}

#[test]
fn a_valid_file_parses_with_its_defaults() {
    let d = dir();
    let c = parse(GOOD, &d).unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(
        c.polling,
        Polling {
            fast_seconds: 10,
            ..Polling::default()
        }
    );
    assert_eq!(
        (
            c.polling.medium_seconds,
            c.polling.slow_seconds,
            c.polling.poll_timeout_seconds,
            c.polling.jitter_percent,
            c.polling.backoff_base_seconds,
            c.polling.backoff_max_seconds
        ),
        (120, 600, 60, 15, 5, 120)
    );
    assert_eq!(c.tls, None);
    let r = &c.tenants[0].routers[0];
    assert_eq!(r.port(), 8729);
    assert_eq!(
        c.router_password(r).unwrap().expose(),
        b"s3cret-password".as_slice()
    );
    let tokens = c.token_entries(&d.path().join("agent.toml")).unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].hash, TokenHash::of("test"));
    // The password is in no Debug output.
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn a_wrong_type_names_its_line_and_key() {
    let (line, key, msg) = fault(&GOOD.replace("id = \"core1\"", "id = \"core1\"\nport = \"x\""));
    assert_eq!((line, key.as_str()), (13, "tenants[0].routers[0].port"));
    assert!(msg.contains("invalid type"), "{msg}");
}

#[test]
fn an_unknown_key_is_refused() {
    let (line, key, msg) = fault(&GOOD.replace("fast_seconds = 10", "fast_seconds = 10\nfsat = 1"));
    assert_eq!((line, key.as_str()), (6, "polling.fsat"));
    assert!(msg.contains("unknown field `fsat`"), "{msg}");
}

#[test]
fn a_password_in_the_file_is_refused_without_echoing_it() {
    let text = GOOD.replace(
        "password_file = \"pw.txt\"",
        "password = \"hunter2-secret\"",
    );
    let d = dir();
    let e = parse(&text, &d).unwrap_err();
    assert_eq!(
        (e.line, e.key.as_str()),
        (16, "tenants[0].routers[0].password")
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn secret_sources_must_exist() {
    let (line, key, msg) = fault(&GOOD.replace(
        "password_file = \"pw.txt\"",
        "password_env = \"ISPVM_TEST_SURELY_UNSET_VARIABLE\"",
    ));
    assert_eq!(
        (line, key.as_str()),
        (16, "tenants[0].routers[0].password_env")
    );
    assert_eq!(
        msg,
        "environment variable ISPVM_TEST_SURELY_UNSET_VARIABLE is not set"
    );
    let (line, key, msg) = fault(&GOOD.replace("pw.txt", "missing.txt"));
    assert_eq!(
        (line, key.as_str()),
        (16, "tenants[0].routers[0].password_file")
    );
    assert!(
        msg.starts_with("cannot read ") && msg.ends_with("missing.txt: entity not found"),
        "{msg}"
    );
}

#[test]
fn tenant_ids_tokens_and_values_are_checked() {
    let (line, key, _) = fault(&GOOD.replace("id = \"acme\"", "id = \"Acme_ISP\""));
    assert_eq!((line, key.as_str()), (8, "tenants[0].id"));
    let (line, key, msg) = fault(&GOOD.replace("9f86d0", "zz86d0"));
    assert_eq!(
        (line, key.as_str()),
        (21, "tenants[0].tokens[0].token_sha256")
    );
    assert!(msg.starts_with("not 64 hex digits"), "{msg}");
    let (line, key, _) = fault(&GOOD.replace("fast_seconds = 5", "fast_seconds = 0"));
    assert_eq!((line, key.as_str()), (9, "tenants[0].fast_seconds"));
    let (line, key, _) = fault(&GOOD.replace("127.0.0.1:9000", "localhost"));
    assert_eq!((line, key.as_str()), (1, "listen"));
    let (line, key, msg) = fault(&GOOD.replace(
        "[[tenants.routers]]",
        "[[tenants.routers]]\ntopology = \"nope.json\"",
    ));
    assert_eq!((line, key.as_str()), (12, "tenants[0].routers[0].topology"));
    assert!(msg.contains("unknown field `topology`"), "{msg}");
    let (line, key, msg) = fault(&GOOD.replace(
        "fast_seconds = 5",
        "fast_seconds = 5\ntopology = \"nope.json\"",
    ));
    assert_eq!((line, key.as_str()), (10, "tenants[0].topology"));
    assert!(
        msg.starts_with("no file ") && msg.ends_with("nope.json"),
        "{msg}"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let (line, key, _) = fault("listen = \"127.0.0.1:1\"\n[polling\n");
    assert_eq!((line, key.as_str()), (2, "(file)"));
    let e = Config::load(Path::new("/nonexistent/agent.toml")).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (1, "(file)"));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/agent.toml:1: key `(file)`: cannot read: ")
    );
}

#[test]
fn a_wrong_type_in_a_spanned_field_names_the_users_key() {
    let (line, key, msg) = fault(&GOOD.replace("host = \"192.0.2.1\"", "host = 5"));
    assert_eq!((line, key.as_str()), (13, "tenants[0].routers[0].host"));
    assert!(msg.starts_with("invalid type: integer `5`"), "{msg}");
}

#[test]
fn a_database_url_is_checked_and_never_carries_a_password() {
    let d = dir();
    let ok = parse(
        &GOOD.replace(
            "log_format = \"json\"",
            "log_format = \"json\"\ndatabase = \"postgres://ispvm@db:5432/ispvm\"",
        ),
        &d,
    )
    .unwrap();
    assert_eq!(
        ok.database.as_ref().map(|d| d.get_ref().as_str()),
        Some("postgres://ispvm@db:5432/ispvm")
    );
    let text = GOOD.replace(
        "log_format = \"json\"",
        "log_format = \"json\"\ndatabase = \"postgres://ispvm:hunter2-secret@db/ispvm\"",
    );
    let e = parse(&text, &d).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (3, "database"));
    assert!(e.message.contains("password"), "{e}");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let (line, key, msg) = fault(&GOOD.replace(
        "log_format = \"json\"",
        "log_format = \"json\"\ndatabase = \"mysql://db/ispvm\"",
    ));
    assert_eq!((line, key.as_str()), (3, "database"));
    assert!(msg.contains("scheme"), "{msg}");
}

#[test]
fn polling_settings_out_of_range_are_refused() {
    for bad in [
        "jitter_percent = 60",
        "backoff_base_seconds = 10\nbackoff_max_seconds = 5",
        "poll_timeout_seconds = 2\ntimeout_seconds = 3",
        "medium_seconds = 0",
    ] {
        let (line, key, msg) =
            fault(&GOOD.replace("fast_seconds = 10", &format!("fast_seconds = 10\n{bad}")));
        assert_eq!((line, key.as_str()), (1, "polling"), "{bad}");
        assert!(msg.contains("jitter_percent 0-50"), "{msg}");
    }
    let (line, key, _) =
        fault(&GOOD.replace("fast_seconds = 5", "fast_seconds = 5\nslow_seconds = 0"));
    assert_eq!((line, key.as_str()), (10, "tenants[0].slow_seconds"));
}

#[test]
fn listener_tls_files_are_read_at_validation() {
    let d = dir();
    std::fs::write(
        d.path().join("cert.pem"),
        "-----BEGIN CERTIFICATE-----\nx\n",
    )
    .unwrap();
    std::fs::write(d.path().join("key.pem"), "-----BEGIN PRIVATE KEY-----\nx\n").unwrap();
    let text = format!("{GOOD}\n[tls]\ncert_file = \"cert.pem\"\nkey_file = \"key.pem\"\n");
    let key_line = text
        .lines()
        .position(|l| l.starts_with("key_file"))
        .unwrap()
        + 1;
    let c = parse(&text, &d).unwrap();
    let tls = c.tls.as_ref().unwrap();
    assert_eq!(
        c.resolve(tls.cert_file.get_ref()),
        d.path().join("cert.pem")
    );
    let e = parse(&text.replace("key.pem", "nokey.pem"), &d).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (key_line, "tls.key_file"));
    assert!(e.message.starts_with("cannot read "), "{}", e.message);
    std::fs::write(d.path().join("key.pem"), "not pem").unwrap();
    let e = parse(&text, &d).unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.message.as_str()),
        ("tls.key_file", "no PEM block in the file")
    );
}

#[test]
fn outputs_parse_and_their_faults_name_line_and_key() {
    let d = dir();
    std::fs::write(d.path().join("hook.key"), "hook-secret\n").unwrap();
    let outputs = "\n[outputs]\nalertmanager = [\"http://127.0.0.1:9093\", \"http://127.0.0.1:9094\"]\nresend_seconds = 30\nredundancy_alerts = true\n\n[[outputs.webhooks]]\nurl = \"https://hooks.example.net/ispvm\"\nsecret_file = \"hook.key\"\n";
    // [outputs] must come before [[tenants]] in TOML only by table rules: append it at the end.
    let c = parse(&format!("{GOOD}{outputs}"), &d).unwrap();
    assert_eq!(c.outputs.alertmanager.len(), 2);
    assert_eq!(
        c.outputs.resend_seconds.as_ref().map(|r| *r.get_ref()),
        Some(30)
    );
    assert!(c.outputs.redundancy_alerts);
    let w = &c.outputs.webhooks[0];
    assert_eq!(c.webhook_secret(w).unwrap().expose(), b"hook-secret");
    assert!(!format!("{w:?}").contains("hook-secret"));

    let bad = |from: &str, to: &str| {
        let text = format!("{GOOD}{}", outputs.replace(from, to));
        let e = parse(&text, &d).unwrap_err();
        (e.line, e.key, e.message)
    };
    let base = GOOD.lines().count();
    assert_eq!(
        bad("resend_seconds = 30", "resend_seconds = 0"),
        (
            base + 4,
            "outputs.resend_seconds".into(),
            "1 to 3600 seconds".into()
        )
    );
    assert_eq!(
        bad("https://hooks", "ftp://hooks"),
        (
            base + 8,
            "outputs.webhooks[0].url".into(),
            "not an http(s) URL".into()
        )
    );
    assert_eq!(
        bad("secret_file = \"hook.key\"", "secret = \"inline\""),
        (
            base + 9,
            "outputs.webhooks[0].secret".into(),
            "a secret never goes in the configuration: use secret_env or secret_file".into()
        )
    );
    assert_eq!(
        bad(
            "secret_file = \"hook.key\"",
            "secret_env = \"ISPVM_TEST_UNSET_HOOK_KEY\""
        ),
        (
            base + 9,
            "outputs.webhooks[0].secret_env".into(),
            "environment variable ISPVM_TEST_UNSET_HOOK_KEY is not set".into()
        )
    );
    assert_eq!(
        bad("secret_file = \"hook.key\"", ""),
        (
            base + 8,
            "outputs.webhooks[0].secret_env".into(),
            "give exactly one of secret_env, secret_file".into()
        )
    );
}
