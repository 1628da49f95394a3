//! The live wire protocol (DESIGN.md, "Live"): every frame in both directions, as one serde
//! type each, and the one place that turns them into text.
//!
//! The browser's types are generated from these: they are schemas of the OpenAPI document
//! (`/api/v1/openapi.json`, registered in [`crate::http`]), from which the frontend generates
//! its TypeScript. [`examples`] gives one frame of every kind; a test keeps the committed copy
//! of them (`frontend/src/generated/frames.json`) current, and the frontend's tests read them
//! back through its own code, so neither side can change the protocol alone.
//!
//! Every server frame that carries a revision starts `{"type":"<kind>","rev":<n>` (the tag
//! first, then `rev`): [`peek`] reads a frame's kind and revision from that start without
//! parsing the rest, which a load generator reading tens of thousands of frames a second needs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::analytics::document::{Dashboard, Op};
use crate::records::Entity;

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerFrame {
    /// The whole document at `rev`: the first frame, and after any gap the server cannot
    /// bridge with patches.
    Snapshot(Snapshot),
    /// What changed from `base` to `rev`: applied to the document at `base`, the ops give
    /// exactly the document at `rev`.
    Patch(Patch),
    /// At least every 15 s: the current revision, how many watch, and whether the server
    /// reaches its database (`store`); sent at once when that changes.
    Heartbeat(Heartbeat),
    /// The answer to a client frame the server refuses.
    Error(ErrorFrame),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Snapshot {
    pub rev: i64,
    #[schema(value_type = Dashboard)]
    pub data: RawDocument,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Patch {
    pub rev: i64,
    /// The revision the ops apply to.
    pub base: i64,
    pub ops: Vec<Op>,
    /// The edits that caused it, oldest first (their ticker lines, if any, are inserted into
    /// `recent` by the ops).
    pub events: Vec<Event>,
}

/// One edit a patch carries: what it changed, by the audit log's entity and key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub rev: i64,
    pub entity: Entity,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Heartbeat {
    pub rev: i64,
    /// Live sockets open on this server.
    pub viewers: usize,
    /// Whether this server reaches its database. While it is `down`, the document is the one
    /// held in memory since then: the data may be stale (changes made through other servers
    /// are not seen, and writes are refused with 503) until it is `up` again, when whatever
    /// was missed follows as patches. Absent from a server that does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreStatus>,
}

/// The database as the server last found it: `{"state":"up"}` or
/// `{"state":"down","since":"2026-03-02T09:31:00Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoreStatus {
    pub state: StoreReach,
    /// While `down`: when the database was found out of reach (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StoreReach {
    /// The database answers.
    Up,
    /// The database cannot be reached.
    Down,
}

impl From<crate::store::StoreState> for StoreStatus {
    fn from(s: crate::store::StoreState) -> Self {
        match s.down_since() {
            None => Self {
                state: StoreReach::Up,
                since: None,
            },
            Some(since) => Self {
                state: StoreReach::Down,
                since: Some(crate::store::health::rfc3339(since)),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorFrame {
    pub code: ErrorCode,
    /// What was wrong, for a person.
    pub message: String,
    /// The field of the client frame at fault, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a client frame (not JSON, unknown type, missing or unknown fields).
    Malformed,
    /// A client frame with a value out of range (e.g. a period outside the cycle).
    Invalid,
    /// A `resume` or `period` frame beyond the socket's rate (`serve
    /// --live-resumes-per-minute`); the message says when to try again. A client that keeps
    /// sending them is closed with 1008.
    RateLimited,
}

/// A frame the client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ClientFrame {
    /// Replay the patches after `since` (or send a snapshot when they are no longer held).
    Resume { since: i64 },
    /// Switch to another cycle year: its snapshot follows.
    Period { period: i64 },
}

/// A serialized dashboard document, embedded in a snapshot as it is: serialized once per
/// revision and shared by every snapshot and `GET /dashboard` of that revision.
#[derive(Debug, Clone)]
pub struct RawDocument(Arc<RawValue>);

impl RawDocument {
    pub fn new(doc: &Dashboard) -> Self {
        Self(Arc::from(
            serde_json::value::to_raw_value(doc).expect("the document serializes"),
        ))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.get().as_bytes()
    }

    /// The text as shared bytes, without a copy (e.g. for an HTTP body).
    pub fn to_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::from_owner(self.clone())
    }
}

impl AsRef<[u8]> for RawDocument {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Equal when they hold the same JSON value (keys in any order): a document read back from
/// a frame is written again in its own order.
impl PartialEq for RawDocument {
    fn eq(&self, other: &Self) -> bool {
        let value = |r: &Self| serde_json::from_str::<serde_json::Value>(r.0.get()).ok();
        self.0.get() == other.0.get() || value(self) == value(other)
    }
}

impl Serialize for RawDocument {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawDocument {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Inside a tagged enum the text is no longer at hand: read a value, write it again.
        let value = serde_json::Value::deserialize(d)?;
        let raw = serde_json::value::to_raw_value(&value).map_err(serde::de::Error::custom)?;
        Ok(Self(Arc::from(raw)))
    }
}

impl ServerFrame {
    /// The text of the frame.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("server frames serialize")
    }

    /// The text of `ServerFrame::Patch(patch)`, from a patch shared with others (the
    /// aggregator's update), without copying it into a frame first.
    pub fn encode_patch(patch: &Patch) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "lowercase")]
        enum Borrowed<'a> {
            Patch(&'a Patch),
        }
        serde_json::to_vec(&Borrowed::Patch(patch)).expect("server frames serialize")
    }

    /// Its `type`.
    pub fn kind(&self) -> FrameKind {
        match self {
            Self::Snapshot(_) => FrameKind::Snapshot,
            Self::Patch(_) => FrameKind::Patch,
            Self::Heartbeat(_) => FrameKind::Heartbeat,
            Self::Error(_) => FrameKind::Error,
        }
    }

    /// The revision it carries (an error frame carries none).
    pub fn rev(&self) -> Option<i64> {
        match self {
            Self::Snapshot(s) => Some(s.rev),
            Self::Patch(p) => Some(p.rev),
            Self::Heartbeat(h) => Some(h.rev),
            Self::Error(_) => None,
        }
    }
}

/// The kinds of server frame, as their `type` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Snapshot,
    Patch,
    Heartbeat,
    Error,
}

impl FrameKind {
    pub const ALL: [FrameKind; 4] = [
        FrameKind::Snapshot,
        FrameKind::Patch,
        FrameKind::Heartbeat,
        FrameKind::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Patch => "patch",
            Self::Heartbeat => "heartbeat",
            Self::Error => "error",
        }
    }
}

impl ClientFrame {
    /// Reads a client's text frame; the error says what is wrong with it, as the error frame
    /// the server answers with.
    pub fn decode(text: &str) -> Result<Self, ErrorFrame> {
        let malformed = |message: String| ErrorFrame {
            code: ErrorCode::Malformed,
            message,
            field: None,
        };
        let frame = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        // serde also reads a tagged enum from an array (`["resume",1]`); a frame is an object.
        if text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with('{')
        {
            Ok(frame)
        } else {
            Err(malformed(
                "a client frame is a JSON object, e.g. {\"type\":\"resume\",\"since\":1}".into(),
            ))
        }
    }
}

/// The kind and revision of a server frame's text, read from its start only (see the module
/// documentation); `None` for an error frame, or text that is not a server frame.
pub fn peek(text: &[u8]) -> Option<(FrameKind, i64)> {
    let rest = text.strip_prefix(br#"{"type":""#)?;
    let kind = FrameKind::ALL.into_iter().find(|k| {
        rest.strip_prefix(k.as_str().as_bytes())
            .is_some_and(|r| r.starts_with(br#"","rev":"#))
    })?;
    let digits = &rest[kind.as_str().len() + br#"","rev":"#.len()..];
    let end = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if end == 0 {
        return None;
    }
    digits[..end]
        .iter()
        .try_fold(0i64, |n, c| {
            n.checked_mul(10)?.checked_add(i64::from(c - b'0'))
        })
        .map(|rev| (kind, rev))
}

/// One frame of every kind, each direction, as the server really makes them: a snapshot of a
/// small document, the patch of one report to it, and what the document is after that patch
/// (for the client to check its patching against). Written to
/// `frontend/src/generated/frames.json` for the frontend's tests.
pub fn examples() -> Examples {
    use crate::analytics::current::CurrentDashboard;
    use crate::records::{Change, Edit};

    let at: crate::records::Text = "2026-03-02T09:30:00.000000Z".into();
    let mut facts = example_facts();
    facts.link();
    let mut doc = CurrentDashboard::new(facts, 2026, at.to_string()).expect("computes");
    let snapshot_rev = doc.document().rev;
    let snapshot = Snapshot {
        rev: snapshot_rev,
        data: RawDocument::new(doc.document()),
    };
    let report = Change {
        rev: snapshot_rev + 1,
        at: at.clone(),
        actor: "delegate@npo.vn".into(),
        edits: vec![Edit::Report(crate::records::ActualFact {
            iso3: "VNM".into(),
            code: "VNM-KR1".into(),
            year: 2026,
            value: 395.0,
            reported_at: at.clone(),
            rev: snapshot_rev + 1,
            kr: crate::records::UNLINKED,
            derived: false,
        })],
    };
    let ops = doc.apply(&[&report], at.to_string()).expect("applies");
    let patch = Patch {
        rev: report.rev,
        base: snapshot_rev,
        ops,
        events: events(&report),
    };
    let after = RawDocument::new(doc.document());
    let server = vec![
        ServerFrame::Snapshot(snapshot),
        ServerFrame::Patch(patch),
        ServerFrame::Heartbeat(Heartbeat {
            rev: report.rev,
            viewers: 21,
            store: Some(StoreStatus {
                state: StoreReach::Down,
                since: Some("2026-03-02T09:31:00Z".into()),
            }),
        }),
        ServerFrame::Error(ErrorFrame {
            code: ErrorCode::Invalid,
            message: "year 2031 is outside the 2026–2028 cycle".into(),
            field: Some("period".into()),
        }),
    ];
    let client = vec![
        ClientFrame::Resume {
            since: snapshot_rev,
        },
        ClientFrame::Period { period: 2027 },
    ];
    Examples {
        server,
        client,
        after_patch: after,
    }
}

/// See [`examples`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Examples {
    pub server: Vec<ServerFrame>,
    pub client: Vec<ClientFrame>,
    /// The snapshot's document with the patch applied.
    pub after_patch: RawDocument,
}

/// A patch's events: its change's edits, by entity and key.
pub fn events(change: &crate::records::Change) -> Vec<Event> {
    change
        .edits
        .iter()
        .map(|e| Event {
            rev: change.rev,
            entity: e.entity(),
            key: e.key(),
        })
        .collect()
}

/// Two members, one with a drafted primer of two key results (one reported on ten times, all
/// on the ticker): enough for every part of the document to hold something, and for the patch
/// to insert into the ticker and trim it.
fn example_facts() -> crate::records::Facts {
    use crate::domain::PrimerStatus;
    use crate::records::{ActualFact, Facts, KrFact, Logged, MemberFact, PrimerFact, UNLINKED};

    let kr = |code: &str, pillar, title: &str, unit: &str, target| KrFact {
        iso3: "VNM".into(),
        code: code.into(),
        pillar,
        focus_area: "Digital transformation".into(),
        title: title.into(),
        unit: unit.into(),
        increase: true,
        baseline: Some(100.0),
        weight: 1.0,
        targets: [(2026, target)].into(),
        source: None,
        source_stamp: None,
    };
    // A full ticker: the patch inserts its line and trims the list.
    let earlier: Vec<ActualFact> = (1..=crate::records::RECENT as i64)
        .map(|rev| ActualFact {
            iso3: "VNM".into(),
            code: "VNM-KR2".into(),
            year: 2026,
            value: rev as f64 + 2.0,
            reported_at: format!("2026-02-{:02}T08:00:00.000000Z", 10 + rev).into(),
            rev,
            kr: UNLINKED,
            derived: false,
        })
        .collect();
    let recent = earlier
        .iter()
        .rev()
        .map(|a| Logged {
            rev: a.rev,
            at: a.reported_at.clone(),
            actor: "delegate@npo.vn".into(),
            edit: crate::records::Edit::Report(a.clone()),
        })
        .collect();
    Facts {
        rev: crate::records::RECENT as i64,
        members: vec![
            MemberFact {
                iso3: "LAO".into(),
                name: "Lao PDR".into(),
            },
            MemberFact {
                iso3: "VNM".into(),
                name: "Viet Nam".into(),
            },
        ],
        primers: [(
            "VNM".to_owned(),
            PrimerFact {
                status: PrimerStatus::Draft,
                focus_areas: vec!["Digital transformation".into()],
            },
        )]
        .into(),
        key_results: vec![
            kr("VNM-KR1", 3, "SMEs trained in digital tools", "SMEs", 500.0),
            kr(
                "VNM-KR2",
                4,
                "Sector productivity indexes published",
                "indexes",
                20.0,
            ),
        ],
        recent,
        actuals: earlier,
        ..Facts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_frame_has_an_example_that_round_trips() {
        let ex = examples();
        let kinds: Vec<FrameKind> = ex.server.iter().map(ServerFrame::kind).collect();
        assert_eq!(
            kinds,
            FrameKind::ALL,
            "one example of each server frame, in order"
        );
        for f in &ex.server {
            let text = f.encode();
            if let ServerFrame::Patch(p) = f {
                assert_eq!(
                    ServerFrame::encode_patch(p),
                    text,
                    "a shared patch encodes the same"
                );
            }
            let back: ServerFrame = serde_json::from_slice(&text).unwrap();
            assert_eq!(&back, f);
            assert_eq!(
                peek(&text),
                f.rev().map(|rev| (f.kind(), rev)),
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
        for f in &ex.client {
            let text = serde_json::to_string(f).unwrap();
            assert_eq!(&ClientFrame::decode(&text).unwrap(), f);
        }
        // The patch inserts the new ticker line rather than sending the list again.
        let ServerFrame::Patch(p) = &ex.server[1] else {
            panic!()
        };
        assert!(
            p.ops.iter().any(|o| matches!(o, Op::Insert { .. }))
                && p.ops.iter().any(|o| matches!(o, Op::Trim { .. })),
            "{:?}",
            p.ops
        );
        assert!(!p.ops.iter().any(|o| o.path().len() == 1
            && o.path()[0] == crate::analytics::document::Segment::from("recent")
            && matches!(o, Op::Set { .. })));
    }

    #[test]
    fn the_example_patch_applied_to_the_example_snapshot_gives_the_document_after_it() {
        let ex = examples();
        let (ServerFrame::Snapshot(s), ServerFrame::Patch(p)) = (&ex.server[0], &ex.server[1])
        else {
            panic!("snapshot, then patch")
        };
        assert_eq!(p.base, s.rev);
        let mut doc: serde_json::Value = serde_json::from_slice(s.data.as_bytes()).unwrap();
        crate::analytics::document::apply(&mut doc, &p.ops);
        let after: serde_json::Value = serde_json::from_slice(ex.after_patch.as_bytes()).unwrap();
        assert_eq!(doc, after);
        assert_eq!(
            after["recent"][0]["summary"],
            "Viet Nam · SMEs trained in digital tools: 395 SMEs in 2026, 73 % of target"
        );
    }

    #[test]
    fn peek_reads_kind_and_revision_from_the_start_only() {
        assert_eq!(
            peek(br#"{"type":"patch","rev":12345,"base":1,"ops":[]}"#),
            Some((FrameKind::Patch, 12345))
        );
        assert_eq!(
            peek(br#"{"type":"snapshot","rev":7,"data":{"#),
            Some((FrameKind::Snapshot, 7)),
            "a snapshot cut short still peeks"
        );
        for bad in [
            &br#"{"rev":1,"type":"patch"}"#[..],
            br#"{"type":"patchy","rev":1}"#,
            br#"{"type":"patch","rev":-1}"#,
            br#"{"type":"error","code":"invalid"}"#,
            br#"{"type":"patch","rev":99999999999999999999}"#,
            b"",
        ] {
            assert_eq!(peek(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn client_frames_with_unknown_fields_or_types_are_malformed() {
        for bad in [
            r#"{"type":"resume","since":1,"extra":2}"#,
            r#"{"type":"rewind","since":1}"#,
            r#"{"type":"resume","since":"1"}"#,
            "not json",
        ] {
            let e = ClientFrame::decode(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::Malformed, "{bad}");
            assert!(!e.message.is_empty());
        }
    }
}
