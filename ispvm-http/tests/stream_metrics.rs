//! Server-Sent Events format, exact metrics text in both formats, the OpenAPI document (served
//! and committed), and TLS.

mod support;

use std::time::Duration;

use futures::StreamExt;
use ispvm_http::{HttpOptions, PollResult, Role};
use reqwest::StatusCode;
use support::*;

/// Reads from an SSE body until `want` complete events/comments (blocks ending in a blank
/// line) have arrived.
async fn read_blocks(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    want: usize,
) -> Vec<String> {
    let mut blocks = Vec::new();
    loop {
        while let Some(end) = buffer.find("\n\n") {
            blocks.push(buffer[..end + 2].to_string());
            buffer.drain(..end + 2);
            if blocks.len() == want {
                return blocks;
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event within 10 s")
            .expect("stream open")
            .unwrap();
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn events_stream_one_analysis_event_per_changed_evaluation_and_keep_alive_comments() {
    let server = start(
        HttpOptions::new()
            .with_anonymous(t(DEMO), Role::Viewer)
            .with_keep_alive(Duration::from_millis(300)),
    )
    .await;
    let r = client()
        .get(server.url("/api/v1/tenants/demo-isp/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let mut stream = r.bytes_stream();
    let mut buffer = String::new();

    // First the latest analysis, as of connecting.
    let first = read_blocks(&mut stream, &mut buffer, 1).await;
    let initial = healthy(DEMO, "2026-03-14T09:00:00Z");
    assert_eq!(
        first[0],
        format!(
            "event: analysis\nid: 2026-03-14T09:00:00Z\ndata: {}\n\n",
            serde_json::to_string(&initial).unwrap()
        )
    );

    // Then one event per pushed analysis, in order.
    let outage = outage(DEMO, "2026-03-14T09:05:00Z");
    server.backend.push(outage.clone());
    let recovered = healthy(DEMO, "2026-03-14T09:10:00Z");
    server.backend.push(recovered.clone());
    let mut events = Vec::new();
    while events.len() < 2 {
        for block in read_blocks(&mut stream, &mut buffer, 1).await {
            if !block.starts_with(':') {
                events.push(block);
            }
        }
    }
    assert_eq!(
        events,
        [
            format!(
                "event: analysis\nid: 2026-03-14T09:05:00Z\ndata: {}\n\n",
                serde_json::to_string(&outage).unwrap()
            ),
            format!(
                "event: analysis\nid: 2026-03-14T09:10:00Z\ndata: {}\n\n",
                serde_json::to_string(&recovered).unwrap()
            ),
        ]
    );

    // Nothing new: only keep-alive comments.
    let idle = read_blocks(&mut stream, &mut buffer, 2).await;
    assert_eq!(idle, [": keep-alive\n\n", ": keep-alive\n\n"]);
}

#[tokio::test]
async fn events_of_another_tenant_are_404() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let r = client()
        .get(server.url("/api/v1/tenants/other-isp/events"))
        .header("authorization", format!("Bearer {}", tk.viewer.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

fn fill_metrics(server: &Server) {
    server.backend.push(outage(DEMO, "2026-03-14T09:05:00Z"));
    let m = ispvm_http::Backend::metrics(server.backend.as_ref());
    m.observe_poll(&t(DEMO), PollResult::Ok, Duration::from_millis(20));
    m.observe_poll(&t(DEMO), PollResult::Ok, Duration::from_millis(30));
    m.observe_poll(&t(DEMO), PollResult::Timeout, Duration::from_secs(2));
    m.observe_evaluation(Duration::from_millis(3));
    m.count_notification("alertmanager", "ok");
}

const SERIES: &str = "\
ispvm_incidents_open{tenant=\"demo-isp\"} 1
ispvm_entities{tenant=\"demo-isp\",status=\"up\"} 1
ispvm_entities{tenant=\"demo-isp\",status=\"degraded\"} 1
ispvm_entities{tenant=\"demo-isp\",status=\"down\"} 2
ispvm_entities{tenant=\"demo-isp\",status=\"unreachable\"} 3
ispvm_entities{tenant=\"demo-isp\",status=\"maintenance\"} 0
ispvm_entities{tenant=\"demo-isp\",status=\"unknown\"} 0
ispvm_subscribers_affected{tenant=\"demo-isp\"} 2100
";

#[tokio::test]
async fn metrics_prometheus_text_by_default() {
    let server = start(HttpOptions::default()).await;
    fill_metrics(&server);
    let r = client().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for line in SERIES.lines().chain([
        "# HELP ispvm_polls_total Polls of devices by result.",
        "# TYPE ispvm_polls_total counter",
        "ispvm_polls_total{tenant=\"demo-isp\",result=\"ok\"} 2",
        "ispvm_polls_total{tenant=\"demo-isp\",result=\"timeout\"} 1",
        "# TYPE ispvm_poll_duration_seconds histogram",
        "ispvm_poll_duration_seconds_bucket{le=\"0.025\"} 1",
        "ispvm_poll_duration_seconds_bucket{le=\"0.05\"} 2",
        "ispvm_poll_duration_seconds_bucket{le=\"+Inf\"} 3",
        "ispvm_poll_duration_seconds_count 3",
        "ispvm_poll_duration_seconds_sum 2.05",
        "ispvm_evaluation_duration_seconds_count 1",
        "# TYPE ispvm_notifications_total counter",
        "ispvm_notifications_total{sink=\"alertmanager\",result=\"ok\"} 1",
        "# TYPE ispvm_incidents_open gauge",
        "# TYPE ispvm_entities gauge",
        "# TYPE ispvm_subscribers_affected gauge",
    ]) {
        assert!(lines.contains(&line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains("# EOF"));
    assert!(!text.contains("# TYPE ispvm_polls counter"));
}

#[tokio::test]
async fn metrics_openmetrics_when_asked() {
    let server = start(HttpOptions::default()).await;
    fill_metrics(&server);
    let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let r = client()
        .get(server.url("/metrics"))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for line in SERIES.lines().chain([
        "# TYPE ispvm_polls counter",
        "ispvm_polls_total{tenant=\"demo-isp\",result=\"ok\"} 2",
        "# TYPE ispvm_notifications counter",
        "ispvm_notifications_total{sink=\"alertmanager\",result=\"ok\"} 1",
        "ispvm_poll_duration_seconds_count 3",
    ]) {
        assert!(lines.contains(&line), "missing {line:?} in\n{text}");
    }
    assert_eq!(lines.last(), Some(&"# EOF"));
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let tk = tokens();
    let server = start(
        HttpOptions::new()
            .with_tokens(tk.store.clone())
            .with_metrics_auth(true),
    )
    .await;
    let r = client().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(server.url("/metrics"))
        .header("authorization", format!("Bearer {}", tk.other.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_committed_copy() {
    let server = start(HttpOptions::default()).await;
    let r = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let served = r.text().await.unwrap();
    let generated = ispvm_http::openapi::document_text();
    assert_eq!(served, generated);
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/tenants",
        "/api/v1/tenants/{tenant}/analysis",
        "/api/v1/tenants/{tenant}/incidents",
        "/api/v1/tenants/{tenant}/incidents/{id}",
        "/api/v1/tenants/{tenant}/incidents/{id}/feedback",
        "/api/v1/tenants/{tenant}/entities/{id}",
        "/api/v1/tenants/{tenant}/events",
        "/api/v1/tenants/{tenant}/sim/faults",
        "/api/v1/tenants/{tenant}/sim/faults/{id}",
        "/api/v1/tenants/{tenant}/maintenance",
        "/api/v1/tenants/{tenant}/silences",
        "/api/v1/tenants/{tenant}/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["paths"]["/api/v1/tenants/{tenant}/analysis"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/AnalysisDocument"
    );
    assert!(doc["components"]["schemas"]["EntityReport"].is_object());

    let committed_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api/openapi.json");
    if std::env::var_os("ISPVM_UPDATE_TEST_OUTPUTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(committed_path.parent().unwrap()).unwrap();
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/api/openapi.json differs from the code; regenerate it with\n\
         ISPVM_UPDATE_TEST_OUTPUTS=1 cargo test -p ispvm-http --test stream_metrics"
    );
}

#[tokio::test]
async fn serves_over_tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let tls = ispvm_http::TlsConfig::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap();
    let server = start_with(MemoryBackend::new(), HttpOptions::default(), Some(tls)).await;
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/healthz", server.addr.port());
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Plain HTTP on the TLS port gets nothing useful, and the server keeps serving.
    let plain = client()
        .get(format!("http://{}/healthz", server.addr))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.shutdown().await.unwrap();
}

#[test]
fn tls_config_refuses_garbage_without_echoing_it() {
    let err = ispvm_http::TlsConfig::from_pem(b"not a cert", b"secret-key-material").unwrap_err();
    assert_eq!(err.to_string(), "no certificate found in the PEM text");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let err = ispvm_http::TlsConfig::from_pem(cert.cert.pem().as_bytes(), b"secret-key-material")
        .unwrap_err();
    assert_eq!(err.to_string(), "no private key found in the PEM text");
    assert!(!format!("{err:?}").contains("secret-key-material"));
}
