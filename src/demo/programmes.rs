//! The demo's programmes beside its workbook: the COE registry, BCN applications under the
//! BCN notifications (each filed on its own day, so the closing date it falls under follows
//! from the notification as it would have then, and decided as the file says), and COE
//! proposals. They go through the same rules as the API's, in one write.

use serde::Deserialize;
use time::Date;

use crate::domain::{Iso3, ProjectCode};
use crate::error::{Detail, Error, Result};
use crate::model::{
    BcnDecision, BcnInput, BcnVerdict, CoeId, CoeInput, CoeProposalInput, Count, Modality,
};
use crate::store::Store;

const COES: &str = include_str!("../../data/demo/programmes/coes.csv");
const BCN: &str = include_str!("../../data/demo/programmes/bcn_applications.csv");
const PROPOSALS: &str = include_str!("../../data/demo/programmes/coe_proposals.csv");

#[derive(Deserialize)]
struct BcnRow {
    project: ProjectCode,
    sender: Iso3,
    host: Iso3,
    topic: String,
    modality: Modality,
    participants: i64,
    start_date: Date,
    end_date: Date,
    level: String,
    filed_on: Date,
    status: String,
    reason: String,
}

#[derive(Deserialize)]
struct ProposalRow {
    coe: Option<CoeId>,
    iso3: Iso3,
    project: ProjectCode,
    title: String,
    filed_on: Date,
}

fn rows<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("data/demo/programmes/{name}: {e}").into())
}

/// Why a demo row was refused (the demo data is wrong: a test loads it on every backend).
fn refused(what: &str, problems: Vec<(String, String)>) -> Error {
    Error::invalid(
        problems
            .into_iter()
            .map(|(f, m)| Detail::field(f, format!("{what}: {m}")))
            .collect(),
    )
}

/// Loads the programmes, once the workbook (with the notifications) is in.
pub async fn load(store: &Store) -> Result<()> {
    let mut w = store
        .begin(&crate::records::Actor::service(super::ACTOR))
        .await?;
    for mut c in rows::<CoeInput>("coes.csv", COES)? {
        let problems = c.check();
        if !problems.is_empty() {
            return Err(refused(c.id.as_str(), problems));
        }
        w.put_coe(&c).await?;
    }
    for r in rows::<BcnRow>("bcn_applications.csv", BCN)? {
        let mut input = BcnInput {
            project: r.project,
            sender: r.sender,
            host: r.host,
            topic: r.topic,
            modality: r.modality,
            participants: Count(r.participants),
            start_date: r.start_date,
            end_date: r.end_date,
            level: r.level,
        };
        let problems = input.check();
        if !problems.is_empty() {
            return Err(refused(&input.topic, problems));
        }
        let a = w.file_application(&input, r.filed_on).await?;
        let status = match r.status.as_str() {
            "approved" => BcnVerdict::Approved,
            "declined" => BcnVerdict::Declined,
            _ => continue,
        };
        let mut decision = BcnDecision {
            status,
            reason: r.reason,
        };
        let problems = decision.check();
        if !problems.is_empty() {
            return Err(refused(&input.topic, problems));
        }
        w.decide_application(a.id, &decision).await?;
    }
    for r in rows::<ProposalRow>("coe_proposals.csv", PROPOSALS)? {
        let mut input = CoeProposalInput {
            coe: r.coe,
            iso3: r.iso3,
            project: r.project,
            title: r.title,
        };
        let problems = input.check();
        if !problems.is_empty() {
            return Err(refused(&input.title, problems));
        }
        w.file_proposal(&input, r.filed_on).await?;
    }
    w.commit().await?;
    Ok(())
}
