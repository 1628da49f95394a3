//! Who may do what (issue 17): the authorization matrix of every write, joins by code and by
//! card, sessions, CSRF, the edge (hosts, origins, headers, rate limits), the audit log's
//! identities, and live sockets closing when their credential ends.

use std::time::{Duration, Instant};

use apo_dashboard::access::Role;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Backend, TestApp, bearer_client, primer, spawn_app, spawn_with, ws_request};

crate::on_both_backends!(
    every_write_is_refused_to_whom_it_does_not_belong_and_a_refusal_changes_nothing,
    an_editor_submits_but_never_endorses_or_returns,
    joining_by_code_and_by_card_and_what_each_may_do,
    guessing_codes_is_rate_limited_and_writes_are_limited_per_credential,
    revoked_tokens_closed_and_expired_workshops_close_their_sockets_within_a_second,
    a_browser_session_needs_its_own_origin_and_the_host_must_be_ours,
    reads_need_a_credential_unless_public_read_and_metrics_is_not_public,
    the_audit_log_records_identities_and_filters_by_member_entity_and_revision,
);

/// A client that holds a browser session: its cookie, and the service's own origin on every
/// request (as a browser sends it).
fn session_client(app: &TestApp, cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    headers.insert("origin", app.base.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Joins with `code` as a browser would; the session cookie (`apo_session=…`) and the answer.
async fn join(app: &TestApp, code: &str) -> (Option<String>, u16, Value) {
    let resp = app
        .anon
        .post(app.url("/session/join"))
        .header("origin", &app.base)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let status = resp.status().as_u16();
    (cookie, status, resp.json().await.unwrap_or(Value::Null))
}

async fn token(app: &TestApp, role: Role, member: Option<&str>) -> String {
    app.access
        .create_token(role, member.map(str::to_owned), None, None, "tests")
        .await
        .expect("token")
        .0
}

/// What a refused request must leave as it was: the data, the revision, the audit log, the
/// tokens and the workshops.
async fn state(app: &TestApp) -> Value {
    json!({
        "data": app.everything().await,
        "tokens": serde_json::to_value(app.access.tokens()).unwrap(),
        "workshops": serde_json::to_value(app.access.workshops()).unwrap(),
    })
}

/// Moves a workshop's end to the past in the database, as time would, and bumps the access
/// revision as every change to the access tables does: the server's watcher finds it.
async fn expire(app: &TestApp, workshop: &str) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE workshops SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = $1")
        .bind(workshop.to_owned())
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE access_revision SET rev = rev + 1 WHERE id = 1")
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn open_workshop(app: &TestApp) -> Value {
    let r = app
        .post("/workshops", &json!({ "title": "Test workshop" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn card_of<'a>(opened: &'a Value, iso3: &str) -> &'a str {
    opened["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["iso3"] == iso3)
        .unwrap()["code"]
        .as_str()
        .unwrap()
}

async fn every_write_is_refused_to_whom_it_does_not_belong_and_a_refusal_changes_nothing(
    b: Backend,
) {
    let app = spawn_app(b).await;
    for iso3 in ["VNM", "JPN"] {
        assert_eq!(
            app.put(&format!("/primers/{iso3}"), &primer(iso3, "draft", 2))
                .await
                .status,
            200
        );
    }
    let viewer = bearer_client(&token(&app, Role::Viewer, None).await);
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let other_editor = bearer_client(&token(&app, Role::Editor, Some("JPN")).await);
    let secretariat = bearer_client(&app.token);
    let revoked_token = token(&app, Role::Secretariat, None).await;
    app.access.revoke_token(&revoked_token).await.unwrap();
    let revoked = bearer_client(&revoked_token);
    // A card whose workshop has closed: the phone still holds its session cookie.
    let first = open_workshop(&app).await;
    let (cookie, status, _) = join(&app, card_of(&first, "VNM")).await;
    assert_eq!(status, 200);
    let ended_card = session_client(&app, &cookie.unwrap());
    let first_id = first["workshop"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(&format!("/workshops/{first_id}/close"), &json!({}))
            .await
            .status,
        200
    );
    // A card whose workshop has expired (its end moved to the past, as time would).
    let second = open_workshop(&app).await;
    let (cookie, status, _) = join(&app, card_of(&second, "VNM")).await;
    assert_eq!(status, 200);
    let expired_card = session_client(&app, &cookie.unwrap());
    expire(&app, second["workshop"]["id"].as_str().unwrap()).await;
    app.access.reload_if_changed().await.unwrap();

    let report = json!({ "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 111.0 });
    let vnm_primer = primer("VNM", "draft", 3);
    let budget = json!({ "pillar": 1, "year": 2026, "planned": 10.0, "spent": 1.0 });
    let project = json!({
        "code": "26-SN-01-GE-COE-A", "title": "A centre of excellence", "pillar": 1,
        "status": "planned", "host_iso3": "VNM"
    });
    // (method, path, body, [anonymous, viewer, editor VNM, editor JPN, secretariat, revoked,
    // closed workshop's card, expired workshop's card]).
    type Case = (&'static str, String, Value, [u16; 8]);
    let (_, doomed) = app
        .access
        .create_token(
            Role::Viewer,
            None,
            Some("to be revoked".into()),
            None,
            "tests",
        )
        .await
        .unwrap();
    let some_token = doomed.id;
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/actuals".into(),
            report,
            [401, 403, 201, 403, 201, 401, 401, 401],
        ),
        (
            "PUT",
            "/primers/VNM".into(),
            vnm_primer,
            [401, 403, 200, 403, 200, 401, 401, 401],
        ),
        (
            "PUT",
            "/budgets".into(),
            budget,
            [401, 403, 403, 403, 200, 401, 401, 401],
        ),
        (
            "PUT",
            "/projects/26-SN-01-GE-COE-A".into(),
            project,
            [401, 403, 403, 403, 200, 401, 401, 401],
        ),
        (
            "POST",
            "/tokens".into(),
            json!({ "role": "viewer" }),
            [401, 403, 403, 403, 201, 401, 401, 401],
        ),
        (
            "POST",
            "/workshops".into(),
            json!({}),
            [401, 403, 403, 403, 201, 401, 401, 401],
        ),
        (
            "POST",
            "/workshops/{open}/cards?iso3=VNM".into(),
            json!({}),
            [401, 403, 403, 403, 200, 401, 401, 401],
        ),
        (
            "POST",
            "/workshops/{open}/close".into(),
            json!({}),
            [401, 403, 403, 403, 200, 401, 401, 401],
        ),
        (
            "DELETE",
            format!("/tokens/{some_token}"),
            json!({}),
            [401, 403, 403, 403, 200, 401, 401, 401],
        ),
    ];
    let who = [
        ("anonymous", &app.anon),
        ("viewer", &viewer),
        ("editor of VNM", &editor),
        ("editor of JPN", &other_editor),
        ("secretariat", &secretariat),
        ("revoked token", &revoked),
        ("card of a closed workshop", &ended_card),
        ("card of an expired workshop", &expired_card),
    ];
    for (method, path, body, expected) in cases {
        let open = app
            .access
            .current_workshop()
            .map(|w| w.id)
            .unwrap_or_default();
        let path = path.replace("{open}", &open);
        for ((name, client), want) in who.iter().zip(expected) {
            let before = state(&app).await;
            let r = app.send_as(client, method, &path, Some(&body)).await;
            assert_eq!(r.status, want, "{method} {path} as {name}: {}", r.body);
            if want >= 400 {
                assert_eq!(
                    state(&app).await,
                    before,
                    "{method} {path} as {name} changed something"
                );
                assert!(
                    r.body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "a refusal names its reason: {}",
                    r.body
                );
            }
        }
    }
    app.stop().await;
}

async fn an_editor_submits_but_never_endorses_or_returns(b: Backend) {
    let app = spawn_app(b).await;
    let editor = bearer_client(&token(&app, Role::Editor, Some("VNM")).await);
    let put = async |client: &reqwest::Client, status: &str| {
        app.send_as(
            client,
            "PUT",
            "/primers/VNM",
            Some(&primer("VNM", status, 2)),
        )
        .await
    };
    assert_eq!(put(&editor, "draft").await.status, 200, "an editor drafts");
    assert_eq!(put(&editor, "submitted").await.status, 200, "and submits");
    let before = state(&app).await;
    let r = put(&editor, "draft").await;
    assert_eq!(r.status, 403, "returning is the Secretariat's: {}", r.body);
    let r = put(&editor, "endorsed").await;
    assert_eq!(r.status, 403, "endorsing is the Secretariat's: {}", r.body);
    assert_eq!(state(&app).await, before);
    assert_eq!(
        put(&app.client, "draft").await.status,
        200,
        "the Secretariat returns it"
    );
    assert_eq!(put(&editor, "submitted").await.status, 200);
    let mut endorsed = primer("VNM", "endorsed", 2);
    endorsed["endorsed_on"] = json!("2026-12-01");
    let r = app.put("/primers/VNM", &endorsed).await;
    assert_eq!(r.status, 200, "the Secretariat endorses: {}", r.body);
    app.stop().await;
}

async fn joining_by_code_and_by_card_and_what_each_may_do(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 2))
            .await
            .status,
        200
    );
    let opened = open_workshop(&app).await;
    let code = opened["workshop"]["join_code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert_eq!(
        opened["cards"].as_array().unwrap().len(),
        21,
        "a card per member"
    );
    let public = app.get("/session").await.body["public_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(opened["join_url"], format!("{public}/join/{code}"));
    // Only one workshop at a time.
    assert_eq!(app.post("/workshops", &json!({})).await.status, 409);

    // The join code, typed in lower case with a space: a viewer.
    let typed = format!("{} {}", &code[..3], &code[3..]).to_lowercase();
    let (cookie, status, who) = join(&app, &typed).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["role"], "viewer");
    let viewer = session_client(&app, &cookie.unwrap());
    assert_eq!(
        app.send_as(&viewer, "GET", "/primers/VNM", None)
            .await
            .status,
        200
    );
    let report = json!({ "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 5.0 });
    assert_eq!(
        app.send_as(&viewer, "POST", "/actuals", Some(&report))
            .await
            .status,
        403
    );

    // A card: that member's editor, once.
    let card = card_of(&opened, "VNM");
    let (cookie, status, who) = join(&app, card).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        (who["role"].as_str(), who["member"].as_str()),
        (Some("editor"), Some("VNM"))
    );
    let phone = session_client(&app, &cookie.unwrap());
    let resp = phone
        .post(app.url("/actuals"))
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let entry = &app.get("/audit?limit=1").await.body[0];
    assert_eq!(entry["role"], "editor");
    assert_eq!(entry["scope"], "VNM");
    assert_eq!(entry["member"], "VNM");
    assert_eq!(entry["request_id"], request_id.as_str());
    assert!(
        entry["actor"].as_str().unwrap().contains("delegation card"),
        "{entry}"
    );
    let (again, status, body) = join(&app, card).await;
    assert_eq!((status, again), (410, None), "a card works once: {body}");
    // A card of a member scanned by the wrong phone cannot edit another member.
    let jpn = json!({ "iso3": "JPN", "kr_code": "JPN-KR1", "year": 2026, "value": 5.0 });
    assert_eq!(
        app.send_as(&phone, "POST", "/actuals", Some(&jpn))
            .await
            .status,
        403
    );

    // Scanning a card's QR code: a session and the member's page.
    let scanner = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let jpn_card = card_of(&opened, "JPN").replace('-', "");
    let resp = scanner
        .get(format!("{}/join/{jpn_card}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/delegate?member=JPN");
    let set = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );

    // Reissuing a member's card withdraws the old one, and the phone that used it.
    let id = opened["workshop"]["id"].as_str().unwrap();
    let reissued = app
        .post(&format!("/workshops/{id}/cards?iso3=VNM"), &json!({}))
        .await;
    assert_eq!(reissued.status, 200, "{}", reissued.body);
    assert_eq!(
        app.send_as(&phone, "POST", "/actuals", Some(&report))
            .await
            .status,
        401
    );
    let new_card = reissued.body[0]["code"].as_str().unwrap();
    assert_eq!(join(&app, new_card).await.1, 200);

    // Closing: the code and the cards stop working, the sessions end.
    assert_eq!(
        app.post(&format!("/workshops/{id}/close"), &json!({}))
            .await
            .status,
        200
    );
    assert_eq!(join(&app, code).await.1, 410);
    assert_eq!(
        app.send_as(&viewer, "GET", "/primers/VNM", None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.post(&format!("/workshops/{id}/close"), &json!({}))
            .await
            .status,
        409
    );
    // Signing out ends a session.
    let t = token(&app, Role::Secretariat, None).await;
    let resp = app
        .anon
        .post(app.url("/session"))
        .header("origin", &app.base)
        .json(&json!({ "token": t }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let desk = session_client(&app, &cookie);
    assert_eq!(app.send_as(&desk, "GET", "/audit", None).await.status, 200);
    assert_eq!(
        app.send_as(&desk, "DELETE", "/session", None).await.status,
        204
    );
    assert_eq!(app.send_as(&desk, "GET", "/audit", None).await.status, 401);
    app.stop().await;
}

async fn guessing_codes_is_rate_limited_and_writes_are_limited_per_credential(b: Backend) {
    let app = spawn_with(b, |c| {
        c.attempts_per_minute = 5;
        c.writes_per_second = 1;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(join(&app, "ACEF47").await.1);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429],
        "{statuses:?}"
    );
    let resp = app
        .anon
        .post(app.url("/session/join"))
        .json(&json!({ "code": "ACEF47" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    // Writes: a burst of two, then 429 for this credential only.
    let budget = json!({ "pillar": 1, "year": 2026, "planned": 10.0, "spent": 1.0 });
    let codes: Vec<u16> =
        futures_util::future::join_all((0..4).map(|_| app.put("/budgets", &budget)))
            .await
            .iter()
            .map(|r| r.status)
            .collect();
    assert!(codes.contains(&429), "{codes:?}");
    let other = bearer_client(&token(&app, Role::Secretariat, None).await);
    assert_eq!(
        app.send_as(&other, "PUT", "/budgets", Some(&budget))
            .await
            .status,
        200
    );
    app.stop().await;
}

/// Waits (at most a second) for the socket to close; its close code.
async fn closes_within_a_second(ws: &mut crate::live::Socket) -> Option<u16> {
    let started = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await;
    assert!(ended.is_ok(), "still open after {:?}", started.elapsed());
    // Nothing follows the close frame (a browser fails the socket with "data frame received
    // after close" otherwise), however busy the fan-out is.
    while let Some(m) = ws.next().await {
        if let Err(tokio_tungstenite::tungstenite::Error::Protocol(p)) = &m {
            panic!("after the close frame: {p}");
        }
        if m.is_err() {
            break;
        }
    }
    ended.unwrap()
}

/// Reports for VNM-KR1 every few milliseconds until dropped: the fan-out is busy while a
/// socket is closed.
fn keep_reporting(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let (client, url) = (app.client.clone(), app.url("/actuals"));
    tokio::spawn(async move {
        for i in 0.. {
            let report = json!({ "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": i });
            let _ = client.post(&url).json(&report).send().await;
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    })
}

async fn revoked_tokens_closed_and_expired_workshops_close_their_sockets_within_a_second(
    b: Backend,
) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.put("/primers/VNM", &primer("VNM", "draft", 1))
            .await
            .status,
        200
    );
    let busy = keep_reporting(&app);
    // A token revoked (here from another handle on the database, as the command line does).
    let t = token(&app, Role::Viewer, None).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_request(&app.live_url(""), Some(&t)))
        .await
        .unwrap();
    let cli = apo_dashboard::store::Store::open(&app.database_url)
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let elsewhere = apo_dashboard::access::Access::start(cli, stop.clone())
        .await
        .unwrap();
    // A token made by another process works at once here (an unknown id makes the server
    // look at the access revision), and made-up ones are refused however many come.
    let (made, _) = elsewhere
        .create_token(
            Role::Viewer,
            None,
            Some("made elsewhere".into()),
            None,
            "tests",
        )
        .await
        .unwrap();
    let r = app
        .send_as(&bearer_client(&made), "GET", "/members", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for i in 0..50 {
        let fake = format!("apo_{:08x}_{}", i, "0".repeat(64));
        let r = app
            .send_as(&bearer_client(&fake), "GET", "/members", None)
            .await;
        assert_eq!(r.status, 401);
    }
    elsewhere.revoke_token(&t).await.unwrap();
    assert_eq!(closes_within_a_second(&mut ws).await, Some(1008));
    stop.cancel();
    let refused = tokio_tungstenite::connect_async(ws_request(&app.live_url(""), Some(&t))).await;
    assert!(refused.is_err(), "a revoked token opens nothing");

    // A workshop closed: its phones' sockets close.
    let opened = open_workshop(&app).await;
    let (cookie, _, _) = join(&app, card_of(&opened, "VNM")).await;
    let mut req = ws_request(&app.live_url(""), None);
    req.headers_mut()
        .insert("cookie", cookie.unwrap().parse().unwrap());
    let (mut phone, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let id = opened["workshop"]["id"].as_str().unwrap();
    assert_eq!(
        app.post(&format!("/workshops/{id}/close"), &json!({}))
            .await
            .status,
        200
    );
    assert_eq!(closes_within_a_second(&mut phone).await, Some(1008));

    // A workshop that expires (its end moved to the past, as time would).
    let opened = open_workshop(&app).await;
    let code = opened["workshop"]["join_code"].as_str().unwrap().to_owned();
    let (cookie, _, _) = join(&app, &code).await;
    let mut req = ws_request(&app.live_url(""), None);
    req.headers_mut()
        .insert("cookie", cookie.unwrap().parse().unwrap());
    let (mut viewer, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    expire(&app, opened["workshop"]["id"].as_str().unwrap()).await;
    assert_eq!(closes_within_a_second(&mut viewer).await, Some(1008));
    assert_eq!(join(&app, &code).await.1, 410);
    busy.abort();
    app.stop().await;
}

async fn a_browser_session_needs_its_own_origin_and_the_host_must_be_ours(b: Backend) {
    let app = spawn_app(b).await;
    let opened = open_workshop(&app).await;
    let (cookie, _, _) = join(&app, card_of(&opened, "VNM")).await;
    let cookie = cookie.unwrap();
    app.put("/primers/VNM", &primer("VNM", "draft", 1)).await;
    let report = json!({ "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": 5.0 });
    let before = state(&app).await;
    let post = |origin: Option<&str>| {
        let mut req = app
            .anon
            .post(app.url("/actuals"))
            .header("cookie", &cookie)
            .json(&report);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 403, "no Origin");
    assert_eq!(
        post(Some("http://evil.example")).await.unwrap().status(),
        403,
        "another site"
    );
    let https = app.base.replace("http://", "https://");
    assert_eq!(
        post(Some(&https)).await.unwrap().status(),
        403,
        "another scheme"
    );
    assert_eq!(state(&app).await, before);
    assert_eq!(post(Some(&app.base)).await.unwrap().status(), 201);

    // The live socket compares scheme, host and port too.
    for origin in [https.as_str(), "http://evil.example"] {
        let mut req = app.live_request("");
        req.headers_mut().insert("origin", origin.parse().unwrap());
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 403, "{origin}")
            }
            other => panic!("{origin}: expected 403, got {other:?}"),
        }
    }
    // DNS rebinding: a page of evil.example resolving to this server names its own host.
    let port = app.base.rsplit(':').next().unwrap();
    for path in ["/api/v1/members", "/wall", "/api/v1/live"] {
        let resp = app
            .client
            .get(app.url(path))
            .header("host", format!("evil.example:{port}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{path}");
    }
    let resp = app
        .anon
        .get(format!("{}/healthz", app.base))
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "localhost is ours when listening on loopback"
    );
    // Security headers on pages and answers alike.
    for path in ["/wall", "/api/v1/session", "/healthz"] {
        let resp = app.anon.get(app.url(path)).send().await.unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
    app.stop().await;
}

async fn reads_need_a_credential_unless_public_read_and_metrics_is_not_public(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.send_as(&app.anon, "GET", "/members", None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let resp = app.anon.get(app.url("/members")).send().await.unwrap();
    assert!(resp.headers().contains_key("www-authenticate"));
    assert!(
        tokio_tungstenite::connect_async(app.live_url(""))
            .await
            .is_err()
    );
    assert_eq!(
        app.send_as(&app.anon, "GET", "/openapi.json", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.send_as(&app.anon, "GET", "/session", None).await.status,
        200
    );
    assert_eq!(
        app.send_as(&app.anon, "GET", "/healthz", None).await.status,
        200
    );
    let bad = bearer_client(
        "apo_00000000_0000000000000000000000000000000000000000000000000000000000000000",
    );
    assert_eq!(app.send_as(&bad, "GET", "/members", None).await.status, 401);
    // /metrics: the Secretariat's or a metrics token's.
    let metrics = bearer_client(&token(&app, Role::Metrics, None).await);
    let viewer = bearer_client(&token(&app, Role::Viewer, None).await);
    assert_eq!(
        app.send_as(&app.anon, "GET", "/metrics", None).await.status,
        401
    );
    assert_eq!(
        app.send_as(&viewer, "GET", "/metrics", None).await.status,
        403
    );
    assert_eq!(
        app.send_as(&metrics, "GET", "/metrics", None).await.status,
        200
    );
    assert_eq!(
        app.send_as(&app.client, "GET", "/metrics", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.send_as(&metrics, "GET", "/members", None).await.status,
        403,
        "metrics only"
    );
    assert_eq!(
        app.send_as(&viewer, "GET", "/audit", None).await.status,
        403,
        "the audit log is the Secretariat's"
    );
    app.stop().await;

    let app = spawn_with(b, |c| {
        c.public_read = true;
        c.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    assert_eq!(
        app.send_as(&app.anon, "GET", "/members", None).await.status,
        200
    );
    assert!(
        tokio_tungstenite::connect_async(app.live_url(""))
            .await
            .is_ok()
    );
    let before = state(&app).await;
    let budget = json!({ "pillar": 1, "year": 2026, "planned": 10.0, "spent": 1.0 });
    assert_eq!(
        app.send_as(&app.anon, "PUT", "/budgets", Some(&budget))
            .await
            .status,
        401
    );
    assert_eq!(
        state(&app).await,
        before,
        "public reads, never public writes"
    );
    assert_eq!(
        app.send_as(&app.anon, "GET", "/audit", None).await.status,
        401
    );
    // --metrics-addr: /metrics without a credential, and nothing else.
    let metrics = format!("http://{}", app.metrics_addr.unwrap());
    let resp = app
        .anon
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("apo_"));
    let resp = app
        .anon
        .get(format!("{metrics}/api/v1/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

async fn the_audit_log_records_identities_and_filters_by_member_entity_and_revision(b: Backend) {
    let app = spawn_app(b).await;
    for iso3 in ["VNM", "JPN", "THA"] {
        app.put(&format!("/primers/{iso3}"), &primer(iso3, "draft", 2))
            .await;
    }
    let editor_token = token(&app, Role::Editor, Some("VNM")).await;
    let editor = bearer_client(&editor_token);
    for v in [1.0, 2.0, 3.0] {
        let report = json!({ "iso3": "VNM", "kr_code": "VNM-KR1", "year": 2026, "value": v });
        assert_eq!(
            app.send_as(&editor, "POST", "/actuals", Some(&report))
                .await
                .status,
            201
        );
    }
    let budget = json!({ "pillar": 1, "year": 2026, "planned": 10.0, "spent": 1.0 });
    assert_eq!(app.put("/budgets", &budget).await.status, 200);
    let all = app.get("/audit").await.body;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 7);
    let vnm = app.get("/audit?member=VNM").await.body;
    assert_eq!(vnm.as_array().unwrap().len(), 4);
    let reports = app.get("/audit?member=VNM&entity=actual").await.body;
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert!(
        reports
            .iter()
            .all(|e| e["role"] == "editor" && e["scope"] == "VNM")
    );
    assert!(
        reports
            .iter()
            .all(|e| e["credential"] == editor_token[4..12])
    );
    let apo_wide = app.get("/audit?entity=budget").await.body;
    assert_eq!(apo_wide[0]["member"], Value::Null);
    assert_eq!(apo_wide[0]["actor"], "tester");
    assert_eq!(apo_wide[0]["role"], "secretariat");
    let revs = app.get("/audit?from_rev=2&to_rev=3").await.body;
    let revs: Vec<i64> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rev"].as_i64().unwrap())
        .collect();
    assert_eq!(revs, [3, 2]);
    let older_name = app.get("/audit?since_rev=1&to_rev=3").await.body;
    let older: Vec<i64> = older_name
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rev"].as_i64().unwrap())
        .collect();
    assert_eq!(older, [3, 2], "since_rev, the older name, still works");
    // Pages, newest first, that join up.
    let first = app.get("/audit?limit=4").await.body;
    let last_id = first[3]["id"].as_i64().unwrap();
    let second = app
        .get(&format!("/audit?limit=4&before_id={last_id}"))
        .await
        .body;
    let ids: Vec<i64> = first
        .as_array()
        .unwrap()
        .iter()
        .chain(second.as_array().unwrap())
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let want: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, want);
    assert_eq!(app.get("/audit?member=vietnam").await.status, 422);
    // Nothing edits or deletes it.
    for method in ["PUT", "DELETE", "POST"] {
        let r = app.send_json(method, "/audit", &json!({})).await;
        assert_eq!(r.status, 405, "{method} /audit: {}", r.body);
    }
    app.stop().await;
}
