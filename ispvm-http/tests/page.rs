//! The live page in headless Chromium (Debian's `chromium`), driven over the DevTools protocol:
//! it loads with no console error, a change pushed through the backend appears without a
//! reload, and a feedback click reaches the backend. A screenshot is written to
//! `the target's `tmp/ispvm-http-page.png`` (or `ISPVM_PAGE_SCREENSHOT`) for people to look at.

mod devtools;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use devtools::*;
use ispvm_http::{HttpOptions, Role};
use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_page_follows_the_stream_and_sends_feedback() {
    let Some(binary) = chromium() else {
        return;
    };
    let backend = MemoryBackend::new();
    let server = start_with(
        backend.clone(),
        HttpOptions::new().with_anonymous(t(DEMO), Role::Operator),
        None,
    )
    .await;
    let browser = Browser::start(&binary);
    let mut page = Page::open(&browser).await;
    let url = server.url("/");
    let navigated = page.call("Page.navigate", json!({"url": url})).await;
    assert!(navigated.get("errorText").is_none(), "{navigated}");

    // Loaded, healthy, live.
    page.wait_for(
        "document.getElementById('headline').textContent === 'All good'",
        "the healthy status line",
    )
    .await;
    page.wait_for(
        "document.getElementById('conn').dataset.state === 'live'",
        "the event stream",
    )
    .await;
    page.wait_for(
        "document.querySelectorAll('#map [data-entity]').length === 7",
        "the map",
    )
    .await;

    // The style guide panel lists the topology's findings (its devices have no site or role).
    page.wait_for(
        "document.getElementById('lint-count').textContent === '10'",
        "the style guide panel",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('lint-card').dataset.level")
            .await,
        json!("warning")
    );
    assert_eq!(
        page.eval("document.querySelector('#lint .finding').textContent")
            .await,
        json!(
            "warning L201 acc3: device without a sitefix: set \"site\" to its PoP or data centre (e.g. \"pop-north\")"
        )
    );

    // A change pushed through the backend appears without a reload.
    page.eval("window.__marker = 'same page'").await;
    backend.push(outage(DEMO, "2026-03-14T09:05:00Z"));
    page.wait_for(
        "document.getElementById('headline').textContent === '1 incident, 2,100 subscribers affected'",
        "the outage status line",
    )
    .await;
    page.wait_for(
        "document.querySelector('#map [data-entity=\"agg2\"]').classList.contains('status-down')",
        "agg2 drawn down",
    )
    .await;
    assert_eq!(page.eval("window.__marker").await, json!("same page"));
    assert_eq!(
        page.eval("document.getElementById('suppressed-count').textContent")
            .await,
        json!("3")
    );
    page.wait_for(
        "document.querySelector('#map [data-entity=\"acc3\"]').classList.contains('status-unreachable')",
        "acc3 drawn unreachable",
    )
    .await;
    page.wait_for(
        "document.querySelector('#map [data-from=\"agg2\"][data-to=\"acc3\"]').classList.contains('status-down')",
        "the edge agg2 -> acc3 drawn lost",
    )
    .await;
    let incident_text = page
        .eval("document.querySelector('#incidents .incident').textContent")
        .await;
    let incident_text = incident_text.as_str().unwrap();
    for part in [
        "agg2 down",
        "2,100 subscribers",
        "primary",
        "87 %",
        "contributing",
        "55 %",
        "reachability down",
    ] {
        assert!(
            incident_text.contains(part),
            "{part} missing in {incident_text}"
        );
    }
    page.wait_for(
        "document.getElementById('sim-card').hidden === false",
        "the simulated world panel",
    )
    .await;

    // Screenshot for people (the stream is idle, the page is complete).
    let shot = std::env::var_os("ISPVM_PAGE_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("ispvm-http-page.png"));
    let png = page
        .call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )
        .await;
    let data = png["data"].as_str().unwrap();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::write(&shot, bytes).unwrap();

    // A feedback click reaches the backend.
    page.eval(&format!(
        "document.querySelector('[data-incident=\"{INCIDENT}\"] button.feedback[data-cause=\"agg2\"]').click()"
    ))
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while backend.feedback_calls().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the feedback never reached the backend"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let calls = backend.feedback_calls();
    let Call::Feedback {
        incident,
        cause,
        actor,
        ..
    } = &calls[0];
    assert_eq!((incident.as_str(), cause.as_str()), (INCIDENT, "agg2"));
    assert_eq!(actor.name, "anonymous");
    page.wait_for(
        "document.querySelector('.labelled') !== null",
        "the cause marked as labelled",
    )
    .await;

    // A maintenance window is created and ended from the page.
    page.eval(
        "const f = document.getElementById('maintenance-form'); f.entities.value = 'agg2'; \
         f.minutes.value = '30'; f.reason.value = 'PSU swap'; f.requestSubmit()",
    )
    .await;
    page.wait_for(
        "document.querySelector('#maintenance li').textContent.includes('agg2')",
        "the new maintenance window listed",
    )
    .await;
    page.eval("document.querySelector('#maintenance li button').click()")
        .await;
    page.wait_for(
        "document.querySelector('#maintenance li') === null",
        "the window ended",
    )
    .await;

    // The simulated world is broken and repaired from the page.
    page.eval(
        "const g = document.getElementById('fault-form'); g.fault.value = 'power_off'; \
         g.target.value = 'agg2'; g.requestSubmit()",
    )
    .await;
    page.wait_for(
        "document.querySelector('#faults li').textContent.includes('power off on agg2')",
        "the active fault listed",
    )
    .await;
    page.eval("document.querySelector('#faults li button').click()")
        .await;
    page.wait_for(
        "document.querySelector('#faults li') === null",
        "the fault repaired",
    )
    .await;
    let audit = ispvm_http::Backend::audit(backend.as_ref(), &t(DEMO), 10)
        .await
        .unwrap();
    let actions: Vec<String> = audit
        .iter()
        .map(|e| {
            serde_json::to_value(e.action)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        actions,
        [
            "fault_repaired",
            "fault_created",
            "maintenance_ended",
            "maintenance_created",
            "feedback"
        ]
    );

    // Recovery without reload.
    backend.push(healthy(DEMO, "2026-03-14T09:10:00Z"));
    page.wait_for(
        "document.getElementById('headline').textContent === 'All good'",
        "the recovered status line",
    )
    .await;
    // Drain pending events before judging the console.
    page.eval("1").await;
    assert!(page.errors.is_empty(), "console errors: {:#?}", page.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_without_credentials_shows_the_login_form() {
    let Some(binary) = chromium() else {
        return;
    };
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let browser = Browser::start(&binary);
    let mut page = Page::open(&browser).await;
    page.call("Page.navigate", json!({"url": server.url("/")}))
        .await;
    page.wait_for(
        "document.getElementById('login').hidden === false",
        "the login form",
    )
    .await;
    let png = page
        .call("Page.captureScreenshot", json!({"format": "png"}))
        .await;
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        png["data"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("ispvm-http-login.png"),
        bytes,
    )
    .unwrap();
    // Sign in with the viewer token through the form itself.
    page.eval(&format!(
        "document.getElementById('token').value = '{}'; document.querySelector('#login form').submit()",
        tk.viewer.expose()
    ))
    .await;
    page.wait_for(
        "document.getElementById('headline') !== null && document.getElementById('headline').textContent === 'All good'",
        "the page after login",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('who').textContent")
            .await,
        json!("noc-viewer · viewer")
    );
    // The cookie is HttpOnly: invisible to scripts.
    assert_eq!(page.eval("document.cookie").await, json!(""));
    // A viewer gets no operator controls.
    assert_eq!(
        page.eval("document.querySelectorAll('button.feedback').length")
            .await,
        json!(0)
    );
    // A 401 for the session probe is expected before login; anything else is an error.
    let unexpected: Vec<&String> = page
        .errors
        .iter()
        .filter(|e| !e.contains("/api/v1/session") || !e.contains("401"))
        .collect();
    assert!(unexpected.is_empty(), "console errors: {unexpected:#?}");
}
