//! The router over a real TCP listener on 127.0.0.1:0, with the in-memory backend: one test per
//! auth rule and status code of the contract.

mod support;

use std::time::Duration;

use futures::StreamExt;
use ispvm_http::{HttpOptions, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

fn bearer(token: &ispvm_http::ApiToken) -> String {
    format!("Bearer {}", token.expose())
}

async fn body_json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

fn api(tenant: &str, rest: &str) -> String {
    format!("/api/v1/tenants/{tenant}{rest}")
}

#[tokio::test]
async fn health_and_readiness() {
    let server = start(HttpOptions::default()).await;
    let c = client();
    let r = c.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body_json(r).await, json!({"status": "ok"}));
    let r = c.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.backend.set_ready(false);
    let r = c.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body_json(r).await,
        json!({"error": "not ready: 1 tenant(s) not evaluated yet"})
    );
}

#[tokio::test]
async fn missing_malformed_or_unknown_token_is_401_without_echoing_it() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let url = server.url(&api(DEMO, "/analysis"));
    let secret = "ispvm_0123456789abcdef0123456789abcdef_not_a_real_token";
    for auth in [
        None,
        Some(format!("Bearer {secret}")),
        Some(format!("Basic {secret}")),
        Some("Bearer".to_string()),
    ] {
        let mut req = c.get(&url);
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"ispvm\"");
        let text = r.text().await.unwrap();
        assert!(!text.contains(secret));
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({"error": "missing or invalid credentials: send Authorization: Bearer <token>"})
        );
    }
    let r = c.get(server.url("/api/v1/tenants")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_tenant_is_404_exactly_like_a_tenant_that_does_not_exist() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let existing = c
        .get(server.url(&api(OTHER, "/analysis")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    let missing = c
        .get(server.url(&api("no-such-isp", "/analysis")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(existing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        existing.text().await.unwrap(),
        missing.text().await.unwrap()
    );
    let r = c
        .get(server.url("/api/v1/tenants"))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(r).await, json!({"tenants": [DEMO]}));
    let r = c
        .get(server.url(&api("Bad_Tenant", "/analysis")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(r).await,
        json!({"error": "tenant ids match [a-z0-9][a-z0-9-]{0,62}"})
    );
}

#[tokio::test]
async fn viewer_reads_but_state_changes_need_an_operator() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let forbidden = [
        (
            reqwest::Method::POST,
            api(DEMO, &format!("/incidents/{INCIDENT}/feedback")),
            json!({"true_cause": "agg2"}),
        ),
        (
            reqwest::Method::POST,
            api(DEMO, "/sim/faults"),
            json!({"fault": "power_off", "target": "agg2"}),
        ),
        (
            reqwest::Method::DELETE,
            api(DEMO, "/sim/faults/fault-1"),
            json!(null),
        ),
        (
            reqwest::Method::POST,
            api(DEMO, "/maintenance"),
            json!({"entities": ["agg2"], "end": "2099-01-01T00:00:00Z"}),
        ),
        (
            reqwest::Method::POST,
            api(DEMO, "/silences"),
            json!({"entities": ["agg2"], "end": "2099-01-01T00:00:00Z"}),
        ),
        (
            reqwest::Method::DELETE,
            api(DEMO, "/maintenance/m-1"),
            json!(null),
        ),
    ];
    for (method, path, body) in forbidden {
        let r = c
            .request(method.clone(), server.url(&path))
            .header("authorization", bearer(&tk.viewer))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            body_json(r).await,
            json!({"error": "this action needs the operator role"})
        );
    }
    assert!(server.backend.feedback_calls().is_empty());
}

#[tokio::test]
async fn feedback_status_codes() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let post = |path: String, body: Value| {
        c.post(server.url(&path))
            .header("authorization", bearer(&tk.operator))
            .json(&body)
    };
    let ok = post(
        api(DEMO, &format!("/incidents/{INCIDENT}/feedback")),
        json!({"true_cause": "agg2"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(ok.text().await.unwrap(), "");
    let calls = server.backend.feedback_calls();
    assert_eq!(calls.len(), 1);
    let Call::Feedback {
        tenant,
        incident,
        cause,
        actor,
    } = &calls[0];
    assert_eq!(
        (tenant.as_str(), incident.as_str(), cause.as_str()),
        (DEMO, INCIDENT, "agg2")
    );
    assert_eq!(actor.name, "noc-operator");
    assert_eq!(actor.role, Role::Operator);

    let r = post(
        api(DEMO, "/incidents/inc-unknown/feedback"),
        json!({"true_cause": "agg2"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await, json!({"error": "incident not found"}));

    let r = post(
        api(DEMO, &format!("/incidents/{INCIDENT}/feedback")),
        json!({"true_cause": "core1"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_json(r).await,
        json!({"error": "core1 is not a root cause of this incident"})
    );

    let r = post(
        api(DEMO, &format!("/incidents/{INCIDENT}/feedback")),
        json!({"cause": "agg2"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body_json(r).await["error"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );

    let r = c
        .post(server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback"))))
        .header("authorization", bearer(&tk.operator))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback"))))
        .header("authorization", bearer(&tk.operator))
        .body(r#"{"true_cause":"agg2"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body_json(r).await["error"].is_string());
}

#[tokio::test]
async fn bodies_over_1_mib_get_413_before_authentication_and_routing() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let big = vec![b'x'; 1024 * 1024 + 1];
    for path in [
        api(DEMO, &format!("/incidents/{INCIDENT}/feedback")),
        "/no/such/route".to_string(),
        "/healthz".to_string(),
    ] {
        // No credentials at all: still 413, not 401 or 404.
        let r = c
            .post(server.url(&path))
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(
            body_json(r).await,
            json!({"error": "request body is larger than 1048576 bytes"})
        );
    }
    // Without Content-Length (chunked): counted while reading, same answer.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..17).map(|_| Ok(vec![b'y'; 64 * 1024])).collect();
    let r = c
        .post(server.url(&api(DEMO, "/sim/faults")))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Exactly 1 MiB passes the limit (and then fails authentication).
    let r = c
        .post(server.url(&api(DEMO, "/sim/faults")))
        .body(vec![b'x'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn percent_encoded_ids_may_contain_slashes() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    server.backend.push(outage(DEMO, "2026-03-14T09:05:00Z"));
    let c = client();
    let get = |path: String| {
        c.get(server.url(&path))
            .header("authorization", bearer(&tk.viewer))
            .send()
    };
    for path in ["/entities/agg2%2Fether1", "/entities/agg2/ether1"] {
        let r = get(api(DEMO, path)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = body_json(r).await;
        assert_eq!(body["id"], "agg2/ether1");
        assert_eq!(body["status"], "unreachable");
        assert_eq!(body["suppressed"], true);
        assert_eq!(body["explained_by"], json!(["agg2"]));
        assert_eq!(body["reasons"], json!(["any of [agg2]: agg2 missing"]));
        assert_eq!(body["incidents"], json!([INCIDENT]));
    }
    let r = get(api(DEMO, "/entities/agg2")).await.unwrap();
    let body = body_json(r).await;
    assert_eq!(body["evidence"].as_array().unwrap().len(), 2);
    assert_eq!(body["evidence"][0]["signal"], "reachability");
    let r = get(api(DEMO, "/entities/nope")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await, json!({"error": "entity not found"}));

    let r = get(api(DEMO, "/incidents/inc%2F2026%2Fagg2"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = body_json(r).await;
    assert_eq!(body["id"], SLASHED_INCIDENT);
    assert_eq!(body["state"], "closed");
    let r = c
        .post(server.url(&api(DEMO, "/incidents/inc%2F2026%2Fagg2/feedback")))
        .header("authorization", bearer(&tk.operator))
        .json(&json!({"true_cause": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = get(api(DEMO, "/incidents/inc-unknown")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await, json!({"error": "incident not found"}));
}

#[tokio::test]
async fn incidents_by_state_and_the_analysis_document() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let get = |path: String| {
        c.get(server.url(&path))
            .header("authorization", bearer(&tk.viewer))
            .send()
    };
    for (query, ids) in [
        ("", vec![INCIDENT]),
        ("?state=open", vec![INCIDENT]),
        ("?state=closed", vec![SLASHED_INCIDENT]),
        ("?state=all", vec![INCIDENT, SLASHED_INCIDENT]),
    ] {
        let body = body_json(get(api(DEMO, &format!("/incidents{query}"))).await.unwrap()).await;
        let got: Vec<&str> = body["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids, "{query}");
    }
    let r = get(api(DEMO, "/incidents?state=bogus")).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_json(r).await["error"]
            .as_str()
            .unwrap()
            .contains("unknown variant")
    );

    let doc = outage(DEMO, "2026-03-14T09:05:00Z");
    server.backend.push(doc.clone());
    let r = get(api(DEMO, "/analysis")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(body_json(r).await, serde_json::to_value(&doc).unwrap());
    server.backend.clear_analysis(DEMO);
    let r = get(api(DEMO, "/analysis")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
}

#[tokio::test]
async fn fault_api_status_codes() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    let post = |tenant: &str, token: &ispvm_http::ApiToken, body: Value| {
        c.post(server.url(&api(tenant, "/sim/faults")))
            .header("authorization", bearer(token))
            .json(&body)
            .send()
    };
    let r = post(
        DEMO,
        &tk.operator,
        json!({"fault": "power_off", "target": "agg2"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = body_json(r).await["id"].as_str().unwrap().to_string();
    let list = c
        .get(server.url(&api(DEMO, "/sim/faults")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    let list = body_json(list).await;
    assert_eq!(list["faults"][0]["id"], id.as_str());
    assert_eq!(list["faults"][0]["fault"], "power_off");

    let r = post(
        DEMO,
        &tk.operator,
        json!({"fault": "meteor", "target": "agg2"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body_json(r).await["error"]
            .as_str()
            .unwrap()
            .contains("unknown variant `meteor`")
    );
    let r = post(
        DEMO,
        &tk.operator,
        json!({"fault": "api_down", "target": "nowhere"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_json(r).await,
        json!({"error": "unknown target nowhere"})
    );
    let r = post(
        DEMO,
        &tk.operator,
        json!({"fault": "link_down", "target": "agg2"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_json(r).await,
        json!({"error": "link_down does not apply to agg2"})
    );
    let r = post(
        OTHER,
        &tk.other,
        json!({"fault": "power_off", "target": "agg2"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body_json(r).await,
        json!({"error": "this tenant has no simulated world"})
    );

    let delete = |id: &str| {
        c.delete(server.url(&api(DEMO, &format!("/sim/faults/{id}"))))
            .header("authorization", bearer(&tk.operator))
            .send()
    };
    let r = delete(&id).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = delete(&id).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await, json!({"error": "fault not found"}));
}

#[tokio::test]
async fn maintenance_windows_silences_and_the_audit_log() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    for (kind, path) in [("maintenance", "/maintenance"), ("silence", "/silences")] {
        let r = c
            .post(server.url(&api(DEMO, path)))
            .header("authorization", bearer(&tk.operator))
            .json(
                &json!({"entities": ["agg2"], "end": "2099-01-01T00:00:00Z", "reason": "swap PSU"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let window = body_json(r).await;
        assert_eq!(window["kind"], kind);
        assert_eq!(window["entities"], json!(["agg2"]));
        assert_eq!(window["created_by"], "noc-operator");
        let id = window["id"].as_str().unwrap().to_string();
        let list = c
            .get(server.url(&api(DEMO, path)))
            .header("authorization", bearer(&tk.viewer))
            .send()
            .await
            .unwrap();
        let list = body_json(list).await;
        assert_eq!(list["windows"].as_array().unwrap().len(), 1);
        let r = c
            .delete(server.url(&api(DEMO, &format!("{path}/{id}"))))
            .header("authorization", bearer(&tk.operator))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(body_json(r).await["ended_early_at"].is_string());
        let r = c
            .delete(server.url(&api(DEMO, &format!("{path}/{id}"))))
            .header("authorization", bearer(&tk.operator))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = c
            .post(server.url(&api(DEMO, path)))
            .header("authorization", bearer(&tk.operator))
            .json(&json!({"entities": ["ghost"], "end": "2099-01-01T00:00:00Z"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body_json(r).await, json!({"error": "unknown entity ghost"}));
    }
    let r = c
        .get(server.url(&api(DEMO, "/audit?limit=10")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains(tk.operator.expose()));
    let audit: Value = serde_json::from_str(&text).unwrap();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "silence_ended",
            "silence_created",
            "maintenance_ended",
            "maintenance_created"
        ]
    );
    assert_eq!(audit["entries"][0]["actor"], "noc-operator");
}

#[tokio::test]
async fn unknown_route_and_wrong_method_answer_json() {
    let server = start(HttpOptions::default()).await;
    let c = client();
    let r = c.get(server.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await, json!({"error": "route not found"}));
    // axum's own rejections answer JSON too: a path that is not UTF-8 once decoded.
    let r = c
        .get(server.url("/api/v1/tenants/demo-isp/incidents/%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let anonymous = start(HttpOptions::new().with_anonymous(t(DEMO), Role::Viewer)).await;
    let r = c
        .get(anonymous.url("/api/v1/tenants/demo-isp/incidents/%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(
        body_json(r).await["error"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    let r = c.delete(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body_json(r).await, json!({"error": "method not allowed"}));
}

#[tokio::test]
async fn anonymous_mode_acts_as_operator_of_one_tenant_only() {
    let tk = tokens();
    let options = HttpOptions::new()
        .with_tokens(tk.store.clone())
        .with_anonymous(t(DEMO), Role::Operator);
    let server = start(options).await;
    let c = client();
    let r = c.get(server.url("/api/v1/tenants")).send().await.unwrap();
    assert_eq!(body_json(r).await, json!({"tenants": [DEMO]}));
    let r = c.get(server.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(
        body_json(r).await,
        json!({"tenant": DEMO, "role": "operator", "name": "anonymous", "via": "anonymous"})
    );
    let r = c
        .post(server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback"))))
        .json(&json!({"true_cause": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .get(server.url(&api(OTHER, "/analysis")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A bad token is still refused.
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("authorization", "Bearer wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A page elsewhere cannot make the browser change state here.
    let r = c
        .post(server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback"))))
        .header("origin", "http://evil.example")
        .json(&json!({"true_cause": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        body_json(r).await,
        json!({"error": "cross-origin request refused"})
    );
}

fn session_cookie(response: &reqwest::Response) -> (String, String) {
    let set = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let value = set.split(';').next().unwrap().to_string();
    (value, set)
}

#[tokio::test]
async fn browser_login_cookie_csrf_and_logout() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let c = client();
    // A bad token: back to the page, no cookie.
    let r = c
        .post(server.url("/login"))
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/?login=failed");
    assert!(r.headers().get("set-cookie").is_none());

    let r = c
        .post(server.url("/login"))
        .form(&[("token", tk.operator.expose())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let (cookie, set) = session_cookie(&r);
    assert!(set.starts_with("ispvm_session="));
    assert!(set.contains("; HttpOnly"));
    assert!(set.contains("; SameSite=Strict"));
    assert!(set.contains("; Path=/"));
    assert!(!set.contains("Secure"));
    assert!(!set.contains(tk.operator.expose()));

    let r = c
        .get(server.url("/api/v1/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let session = body_json(r).await;
    assert_eq!(session["via"], "session");
    assert_eq!(session["name"], "noc-operator");
    let csrf = session["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(csrf.len(), 64);

    let feedback = server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback")));
    // Reads need no CSRF token.
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A state change with the cookie but without (or with a wrong) CSRF token: 403.
    for sent in [None, Some("0".repeat(64))] {
        let mut req = c
            .post(&feedback)
            .header("cookie", &cookie)
            .json(&json!({"true_cause": "agg2"}));
        if let Some(s) = &sent {
            req = req.header("x-csrf-token", s);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            body_json(r).await,
            json!({"error": "missing or wrong CSRF token (header X-CSRF-Token)"})
        );
    }
    let r = c
        .post(&feedback)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"true_cause": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(server.backend.feedback_calls().len(), 1);
    // Bearer requests need no CSRF token.
    let r = c
        .post(&feedback)
        .header("authorization", bearer(&tk.operator))
        .json(&json!({"true_cause": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Logout needs the CSRF token too, then the cookie is dead.
    let r = c
        .post(server.url("/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(server.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (cleared, set) = session_cookie(&r);
    assert_eq!(cleared, "ispvm_session=");
    assert!(set.contains("Max-Age=0"));
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let audit = c
        .get(server.url(&api(DEMO, "/audit")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    let audit = body_json(audit).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["logout", "feedback", "feedback", "login"]);
}

#[tokio::test]
async fn secure_cookie_with_tls_and_sessions_die_with_their_token() {
    let tk = tokens();
    let server = start(
        HttpOptions::new()
            .with_tokens(tk.store.clone())
            .with_secure_cookies(true),
    )
    .await;
    let c = client();
    let r = c
        .post(server.url("/login"))
        .form(&[("token", tk.viewer.expose())])
        .send()
        .await
        .unwrap();
    let (cookie, set) = session_cookie(&r);
    assert!(set.ends_with("; Secure"), "{set}");
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tk.store.revoke(&t(DEMO), "noc-viewer").unwrap();
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(server.url(&api(DEMO, "/analysis")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_from_another_origin_is_refused() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let r = client()
        .post(server.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[("token", tk.viewer.expose())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn token_rotation_keeps_the_old_token_until_the_grace_period_ends() {
    let tk = tokens();
    let server = start(
        HttpOptions::new()
            .with_tokens(tk.store.clone())
            .with_rotation_grace(Duration::from_secs(3600)),
    )
    .await;
    let c = client();
    let r = c
        .post(server.url(&api(DEMO, "/tokens/rotate")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = body_json(r).await;
    let new = body["token"].as_str().unwrap().to_string();
    assert!(new.starts_with("ispvm_"));
    let until: chrono::DateTime<chrono::Utc> = body["previous_valid_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let delta = until - chrono::Utc::now();
    assert!(delta > chrono::Duration::minutes(59) && delta <= chrono::Duration::minutes(60));
    for token in [new.as_str(), tk.viewer.expose()] {
        let r = c
            .get(server.url(&api(DEMO, "/analysis")))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // After the deadline only the new token works (checked on the store with a later clock).
    let later = until + chrono::Duration::seconds(1);
    assert!(tk.store.authenticate(tk.viewer.expose(), later).is_none());
    assert_eq!(
        tk.store.authenticate(&new, later).unwrap().name,
        "noc-viewer"
    );
}

#[tokio::test]
async fn debug_of_options_shows_no_token() {
    let tk = tokens();
    let options = HttpOptions::new().with_tokens(tk.store.clone());
    let text = format!("{options:?}");
    for token in [&tk.viewer, &tk.operator, &tk.other] {
        assert!(!text.contains(token.expose()));
        assert!(!text.contains(&token.hash().to_string()[7..]));
    }
}

#[tokio::test]
async fn map_svg_draws_every_entity_with_its_status() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    server.backend.push(outage(DEMO, "2026-03-14T09:05:00Z"));
    let r = client()
        .get(server.url(&api(DEMO, "/map.svg")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    for (id, status) in [
        ("core1", "up"),
        ("agg2", "down"),
        ("acc3", "unreachable"),
        ("agg2/ether1", "unreachable"),
        ("agg1-agg2", "down"),
    ] {
        assert_eq!(
            svg.matches(&format!("data-entity=\"{id}\"")).count(),
            1,
            "{id}"
        );
        let node = svg
            .split("<g class=\"")
            .find(|part| part.contains(&format!("data-entity=\"{id}\"")))
            .unwrap_or_else(|| panic!("{id} has no node"));
        assert!(
            node.starts_with(&format!("node status-{status}")),
            "{id} not drawn {status}: {}",
            &node[..80.min(node.len())]
        );
    }
    let edge = svg
        .split("<path class=\"")
        .find(|part| part.contains("data-from=\"agg2\" data-to=\"acc3\""))
        .expect("an edge agg2 -> acc3");
    assert!(edge.starts_with("edge status-down"), "{edge}");
}

#[tokio::test]
async fn graceful_shutdown_ends_open_event_streams() {
    let server = start(HttpOptions::new().with_anonymous(t(DEMO), Role::Viewer)).await;
    let r = client()
        .get(server.url(&api(DEMO, "/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut stream = r.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"event: analysis\n"));
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("serve returns after the shutdown signal")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(7));
}

/// Everything the crate (and axum, hyper) logs at any level while tokens, cookies and CSRF
/// tokens fly around: none of them may appear.
#[test]
fn no_token_or_cookie_in_logs() {
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tk = tokens();
    let secrets = runtime.block_on(async {
        let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
        let c = client();
        let bad = "ispvm_badbadbadbadbadbadbadbadbadbadbadbad";
        let _ = c
            .get(server.url(&api(DEMO, "/analysis")))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        let r = c
            .post(server.url("/login"))
            .form(&[("token", tk.operator.expose())])
            .send()
            .await
            .unwrap();
        let (cookie, _) = session_cookie(&r);
        let session = c
            .get(server.url("/api/v1/session"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let csrf = body_json(session).await["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        let _ = c
            .post(server.url(&api(DEMO, &format!("/incidents/{INCIDENT}/feedback"))))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"true_cause": "agg2"}))
            .send()
            .await
            .unwrap();
        let r = c
            .post(server.url(&api(DEMO, "/tokens/rotate")))
            .header("authorization", bearer(&tk.viewer))
            .send()
            .await
            .unwrap();
        let rotated = body_json(r).await["token"].as_str().unwrap().to_string();
        server.shutdown().await.unwrap();
        vec![
            bad.to_string(),
            tk.operator.expose().to_string(),
            tk.viewer.expose().to_string(),
            rotated,
            cookie.trim_start_matches("ispvm_session=").to_string(),
            csrf,
        ]
    });
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "the test must see some log output");
    for secret in secrets {
        assert!(!logs.contains(&secret), "a secret leaked into the logs");
    }
}

#[tokio::test]
async fn lint_lists_the_style_guide_findings_of_the_tenant_topology() {
    let tk = tokens();
    let server = start(HttpOptions::new().with_tokens(tk.store.clone())).await;
    let r = client()
        .get(server.url(&api(DEMO, "/lint")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc = body_json(r).await;
    assert_eq!(doc["schema"], "ispvm.lint/v1");
    assert_eq!(doc["tenant"], DEMO);
    // The test topology's five devices have neither site nor role.
    assert_eq!(
        doc["summary"],
        serde_json::json!({"errors": 0, "warnings": 10, "hints": 0, "exit": 1})
    );
    let findings = doc["findings"].as_array().unwrap();
    let codes: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["subject"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            "L201 acc3",
            "L201 agg1",
            "L201 agg2",
            "L201 bras2",
            "L201 core1",
            "L202 acc3",
            "L202 agg1",
            "L202 agg2",
            "L202 bras2",
            "L202 core1"
        ]
    );
    assert_eq!(
        findings[0],
        serde_json::json!({
            "severity": "warning",
            "code": "L201",
            "subject": "acc3",
            "message": "device without a site",
            "fix": "set \"site\" to its PoP or data centre (e.g. \"pop-north\")"
        })
    );
    // Another tenant's topology is not the viewer's business.
    let r = client()
        .get(server.url(&api("other-isp", "/lint")))
        .header("authorization", bearer(&tk.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client()
        .get(server.url(&api(DEMO, "/lint")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
