//! The records of the review desk and of corrections: a primer's review and history, and a
//! report withdrawn or corrected, with the bodies that ask for them.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::PrimerInput;
use crate::domain::Finite;

/// A review of a primer, or its amendment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastReview {
    /// `return`, `endorse` or `amend`.
    pub action: crate::records::Action,
    /// The reviewer's comment, or the reason for the amendment.
    pub note: Option<String>,
    pub by: String,
    pub at: String,
    pub rev: i64,
}

/// The body of `POST /primers/{iso3}/review`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: ReviewDecision,
    /// What the delegation should change (required to return a primer), or a note on the
    /// endorsement: 1–2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
    /// The date the primer is endorsed on; default: today. Only with `endorse`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub endorsed_on: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewDecision {
    /// Back to the delegation as a draft, with a comment.
    Return,
    Endorse,
}

/// The body of `POST /primers/{iso3}/amend`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendInput {
    /// Why the endorsed primer is reopened (1–500 characters), kept in the log.
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,498}\S)?\s*$")]
    pub reason: String,
}

/// The longest review comment.
pub const MAX_COMMENT: usize = 2_000;

/// One step of a primer's history: `GET /primers/{iso3}/history`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrimerStep {
    pub rev: i64,
    pub at: String,
    pub actor: String,
    /// `create`, `update`, `submit`, `return`, `endorse` or `amend`.
    pub action: crate::records::Action,
    /// The comment of a return or endorsement, the reason for an amendment.
    pub note: Option<String>,
    /// The version this step belongs to (an amendment starts the next).
    pub version: i64,
    /// The primer as it was after this step.
    pub primer: PrimerInput,
}

/// When, why and by whom a report was taken back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Withdrawn {
    /// The revision that withdrew it (a replay of an earlier one still counts it).
    pub rev: i64,
    pub reason: String,
    pub by: String,
}

/// The body of `POST /actuals/{id}/withdraw`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Why it is taken back, in a few words (1–500 characters), kept in the audit log.
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,498}\S)?\s*$")]
    pub reason: String,
}

/// The body of `POST /actuals/{id}/correct`: the value the report should have given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectInput {
    pub value: Finite,
    /// Why it is corrected (1–500 characters), kept in the audit log.
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,498}\S)?\s*$")]
    pub reason: String,
}

/// The longest reason or comment.
pub const MAX_REASON: usize = 500;
