//! Productivity measures from the stored series (METRICS.md §3).
//!
//! One lazy polars chain, `panel`, turns the long series (`iso3, series, year, value`) into
//! one row per member and year (first to last year with data): the six Penn World Table inputs
//! and every measure, each an `fn … -> Expr` below. [`year_report`] reads one year across
//! members, with ranks and the APO21 aggregate; [`series`] one measure across years. A measure
//! is `null` wherever an input is missing or it would not be finite (a denominator or logarithm
//! argument ≤ 0): never 0, never an error. Synchronous CPU work: async callers `spawn_blocking`.

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::E;
use std::ops::RangeInclusive;

use polars::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::SeriesPoint;

/// The attribution shown next to every figure computed from the data.
pub const SOURCE: &str = "Penn World Table 9.1 (Feenstra, Inklaar and Timmer 2015), CC BY 4.0";
/// Base year of `lp_index` unless the request names another (PWT's reference year).
pub const DEFAULT_BASE_YEAR: i64 = 2011;
/// The pseudo-member of the aggregate line of [`series`].
pub const APO21: &str = "APO21";
/// Member names (APO's) by ISO3: who is in the panel.
pub type Names = BTreeMap<String, String>;

/// The Penn World Table series the measures read; other series are ignored.
pub const INPUTS: [&str; 6] = ["rgdpo", "rgdpna", "emp", "avh", "hc", "rtfpna"];
/// CPI goalposts `(lo, hi)`; the level's apply to ln lp_worker.
const LEVEL_GOALPOSTS: (f64, f64) = (2_000.0, 150_000.0);
const GROWTH_GOALPOSTS: (f64, f64) = (-0.02, 0.08);
const HC_GOALPOSTS: (f64, f64) = (1.0, 4.0);
const TFP_GOALPOSTS: (f64, f64) = (-0.03, 0.03);
/// Panel columns of the four CPI components, in the order they are summed.
const COMPONENTS: [&str; 4] = ["cpi_level", "cpi_growth", "cpi_human_capital", "cpi_tfp"];
/// The measures [`series`] can draw; each is also the panel's column.
pub const MEASURES: [&str; 6] = [
    "lp_worker",
    "lp_hour",
    "lp_growth",
    "lp_index",
    "tfp_growth",
    "cpi",
];
/// The measures APO21 has: the levels, as ratios of sums (see [`series`]).
pub const APO21_MEASURES: [&str; 2] = ["lp_worker", "lp_hour"];

/// `GET /productivity`: every measure of every member in one year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct YearReport {
    pub year: i64,
    /// Base year of `lp_index` (= 100).
    pub base_year: i64,
    /// Every member, keyed by ISO3, whether or not it has data.
    pub members: BTreeMap<String, MemberYear>,
    pub apo21: Apo21Year,
    pub source: String,
}

/// One member's measures in one year; each is `null` where an input is missing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberYear {
    pub name: String,
    /// rgdpo / emp: 2011 US$ at PPP per person engaged.
    pub lp_worker: Option<f64>,
    /// rgdpo / (emp · avh): 2011 US$ at PPP per hour worked.
    pub lp_hour: Option<f64>,
    /// 100 · ln of the ratio of rgdpna/emp to the previous year's (% per year).
    pub lp_growth: Option<f64>,
    /// 100 · (rgdpna/emp) / (rgdpna/emp in the base year).
    pub lp_index: Option<f64>,
    /// 100 · ln of the ratio of rtfpna to the previous year's (% per year).
    pub tfp_growth: Option<f64>,
    /// 1 = highest `lp_worker` among the members with one this year; ties share a rank.
    pub rank_lp_worker: Option<u32>,
    pub cpi: Cpi,
}

/// The composite productivity index, beside the components it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cpi {
    /// 100 · mean of the available components, when at least 3 of the 4 are.
    pub value: Option<f64>,
    /// Exactly 3 components were available.
    pub partial: bool,
    /// How many of the 4 components are available.
    pub available: u32,
    pub components: CpiComponents,
}

/// Each component scaled to [0, 1] between its goalposts, clamped.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CpiComponents {
    /// ln lp_worker between ln 2,000 and ln 150,000.
    pub level: Option<f64>,
    /// Five-year compound growth of rgdpna/emp between −2 % and 8 %.
    pub growth: Option<f64>,
    /// hc between 1 and 4.
    pub human_capital: Option<f64>,
    /// Five-year mean log growth of rtfpna between −3 % and 3 %.
    pub tfp: Option<f64>,
}

/// The APO21 levels in one year: ratios of sums over the members that have every input.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Apo21Year {
    /// Σ rgdpo / Σ emp over the members with both.
    pub lp_worker: Option<f64>,
    /// How many members `lp_worker` covers.
    pub members: u32,
    /// Σ rgdpo / Σ (emp · avh) over the members with all three.
    pub lp_hour: Option<f64>,
    /// How many members `lp_hour` covers.
    pub members_lp_hour: u32,
}

/// `GET /productivity/series`: one measure of one member (or of APO21) over the years.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesReport {
    pub iso3: String,
    pub measure: String,
    /// Base year of `lp_index`; only for that measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_year: Option<i64>,
    /// Every year from the first to the last with data, `null` where the measure is missing.
    pub points: Vec<YearValue>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct YearValue {
    pub year: i64,
    pub value: Option<f64>,
}

/// The latest year in which some member has one of the inputs.
pub fn latest_year(points: &[SeriesPoint], members: &Names) -> Option<i64> {
    relevant(points, members).map(|p| p.year).max()
}

/// Every measure of every member in `year`, with ranks and the APO21 levels.
pub fn year_report(
    points: &[SeriesPoint],
    members: &Names,
    year: i64,
    base_year: i64,
) -> PolarsResult<YearReport> {
    let years = data_years(points, members)
        .map_or(year..=year, |r| *r.start().min(&year)..=*r.end().max(&year));
    let in_year = |frame: LazyFrame| frame.filter(col("year").eq(lit(year)));
    // Collected once: both queries below read it.
    let panel = panel(points, members, years, base_year)?.collect()?.lazy();
    let apo21 = in_year(apo21(panel.clone())).collect()?;
    let df = in_year(panel)
        .with_column(rank_by_lp_worker().alias("rank_lp_worker"))
        .collect()?;
    let columns = MEASURES.into_iter().chain(COMPONENTS);
    let columns = columns.map(|c| Ok((c, floats(&df, c)?)));
    let columns: HashMap<_, _> = columns.collect::<PolarsResult<_>>()?;
    let ranks = floats(&df, "rank_lp_worker")?;
    let available = floats(&df, "cpi_available")?;

    let mut rows = BTreeMap::new();
    for (i, iso3) in df.column("iso3")?.str()?.iter().enumerate() {
        let Some((iso3, name)) = iso3.and_then(|c| members.get_key_value(c)) else {
            continue;
        };
        let v = |c: &str| columns[c][i];
        let available = available[i].map_or(0, |n| n as u32);
        let member = MemberYear {
            name: name.clone(),
            lp_worker: v("lp_worker"),
            lp_hour: v("lp_hour"),
            lp_growth: v("lp_growth"),
            lp_index: v("lp_index"),
            tfp_growth: v("tfp_growth"),
            rank_lp_worker: ranks[i].map(|r| r as u32),
            cpi: Cpi {
                value: v("cpi"),
                partial: v("cpi").is_some() && available == 3,
                available,
                components: CpiComponents {
                    level: v("cpi_level"),
                    growth: v("cpi_growth"),
                    human_capital: v("cpi_human_capital"),
                    tfp: v("cpi_tfp"),
                },
            },
        };
        rows.insert(iso3.clone(), member);
    }

    let first = |c| floats(&apo21, c).map(|v| v.into_iter().flatten().next());
    let count = |c| first(c).map(|n| n.map_or(0, |n| n as u32));
    Ok(YearReport {
        year,
        base_year,
        members: rows,
        apo21: Apo21Year {
            lp_worker: first("lp_worker")?,
            members: count("members")?,
            lp_hour: first("lp_hour")?,
            members_lp_hour: count("members_lp_hour")?,
        },
        source: SOURCE.to_owned(),
    })
}

/// One measure of `iso3` (a key of `members`, or [`APO21`]) in every year with data.
///
/// `measure` is one of [`MEASURES`]; the APO21 line has [`APO21_MEASURES`] only (no points for
/// the others): `lp_worker` = Σ rgdpo / Σ emp over the members with both in that year, and
/// `lp_hour` = Σ rgdpo / Σ (emp · avh) over the members with all three. A ratio of sums, so that
/// a member missing from the data neither drags the line down nor counts as zero.
pub fn series(
    points: &[SeriesPoint],
    members: &Names,
    iso3: &str,
    measure: &str,
    base_year: i64,
) -> PolarsResult<SeriesReport> {
    polars_ensure!(MEASURES.contains(&measure), ColumnNotFound: "no measure {measure}");
    let column = [col("year"), col(measure)];
    let frame = match data_years(points, members) {
        None => DataFrame::empty(),
        Some(_) if iso3 == APO21 && !APO21_MEASURES.contains(&measure) => DataFrame::empty(),
        Some(years) if iso3 == APO21 => apo21(panel(points, members, years, base_year)?)
            .select(column)
            .collect()?,
        Some(years) => panel(points, members, years, base_year)?
            .filter(col("iso3").eq(lit(iso3)))
            .select(column)
            .collect()?,
    };
    Ok(SeriesReport {
        iso3: iso3.to_owned(),
        measure: measure.to_owned(),
        base_year: (measure == "lp_index").then_some(base_year),
        points: year_values(&frame, measure)?,
        source: SOURCE.to_owned(),
    })
}

/// Members × `years`, sorted by member then year: the inputs, `lp_na` (rgdpna/emp), every
/// measure, the CPI components, how many of them are available (`cpi_available`), the CPI.
fn panel(
    points: &[SeriesPoint],
    members: &Names,
    years: RangeInclusive<i64>,
    base_year: i64,
) -> PolarsResult<LazyFrame> {
    let wide = long_frame(points, members)?
        .lazy()
        .group_by([col("iso3"), col("year")])
        .agg(INPUTS.map(input));
    let base = wide
        .clone()
        .filter(col("year").eq(lit(base_year)))
        .select([col("iso3"), lp_national().alias("lp_na_base")]);
    let keys = [col("iso3"), col("year")];
    let (level_lo, level_hi) = LEVEL_GOALPOSTS;
    Ok(grid(members, years)?
        .lazy()
        .join(wide, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .left_join(base, col("iso3"), col("iso3"))
        .sort(["iso3", "year"], SortMultipleOptions::default())
        .with_columns([
            lp_national().alias("lp_na"),
            ratio(col("rgdpo"), col("emp")).alias("lp_worker"),
            ratio(col("rgdpo"), col("emp") * col("avh")).alias("lp_hour"),
            log_growth(col("rtfpna")).alias("tfp_growth"),
            scaled(col("hc"), HC_GOALPOSTS).alias("cpi_human_capital"),
            scaled(five_year_log_growth(col("rtfpna")), TFP_GOALPOSTS).alias("cpi_tfp"),
        ])
        .with_columns([
            log_growth(col("lp_na")).alias("lp_growth"),
            (lit(100.0) * ratio(col("lp_na"), col("lp_na_base"))).alias("lp_index"),
            scaled(ln(col("lp_worker")), (level_lo.ln(), level_hi.ln())).alias("cpi_level"),
            scaled(five_year_compound_growth(col("lp_na")), GROWTH_GOALPOSTS).alias("cpi_growth"),
        ])
        .with_column(available_components().alias("cpi_available"))
        .with_column(composite_index().alias("cpi")))
}

/// Per year of a panel: the APO21 levels and how many members each covers.
fn apo21(panel: LazyFrame) -> LazyFrame {
    let worker = all_present(&["rgdpo", "emp"]);
    let hour = all_present(&["rgdpo", "emp", "avh"]);
    let count = |covered: Expr| covered.cast(DataType::UInt32).sum();
    panel
        .group_by([col("year")])
        .agg([
            ratio_of_sums(col("rgdpo"), col("emp"), worker.clone()).alias("lp_worker"),
            count(worker).alias("members"),
            ratio_of_sums(col("rgdpo"), col("emp") * col("avh"), hour.clone()).alias("lp_hour"),
            count(hour).alias("members_lp_hour"),
        ])
        .sort(["year"], SortMultipleOptions::default())
}

/// The value of series `name` in a group of (member, year) rows, as column `name`.
fn input(name: &str) -> Expr {
    let value = col("value").filter(col("series").eq(lit(name)));
    value.first().alias(name)
}

/// `x` where it is > 0, else null: what may divide or go under a logarithm.
fn positive(x: Expr) -> Expr {
    when(x.clone().gt(lit(0.0))).then(x).otherwise(lit(NULL))
}

/// num / den; null where either is missing or den ≤ 0.
fn ratio(num: Expr, den: Expr) -> Expr {
    num / positive(den)
}

/// Natural logarithm; null where x is missing or ≤ 0.
fn ln(x: Expr) -> Expr {
    positive(x).log(lit(E))
}

/// Labour productivity at constant national prices, rgdpna / emp (for growth and index).
fn lp_national() -> Expr {
    ratio(col("rgdpna"), col("emp"))
}

/// `x` of the same member `k` years earlier. The panel is sorted by member then year, so that
/// is the row `k` above, checked to be the same member and exactly `k` years back.
fn lag(x: Expr, k: i64) -> Expr {
    let same_member = col("iso3").shift(lit(k)).eq(col("iso3"));
    let k_years_back = col("year").shift(lit(k)).eq(col("year") - lit(k));
    when(same_member.and(k_years_back))
        .then(x.shift(lit(k)))
        .otherwise(lit(NULL))
}

/// 100 · ln(xₜ / xₜ₋₁): % per year, log growth.
fn log_growth(x: Expr) -> Expr {
    lit(100.0) * ln(ratio(x.clone(), lag(x, 1)))
}

/// (xₜ / xₜ₋₅)^(1/5) − 1.
fn five_year_compound_growth(x: Expr) -> Expr {
    positive(ratio(x.clone(), lag(x, 5))).pow(lit(1.0 / 5.0)) - lit(1.0)
}

/// (ln xₜ − ln xₜ₋₅) / 5.
fn five_year_log_growth(x: Expr) -> Expr {
    (ln(x.clone()) - ln(lag(x, 5))) / lit(5.0)
}

/// (x − lo) / (hi − lo), clamped to [0, 1]; null stays null.
fn scaled(x: Expr, (lo, hi): (f64, f64)) -> Expr {
    let s = (x - lit(lo)) / lit(hi - lo);
    when(s.clone().lt(lit(0.0)))
        .then(lit(0.0))
        .when(s.clone().gt(lit(1.0)))
        .then(lit(1.0))
        .otherwise(s)
}

fn sum_of(terms: impl IntoIterator<Item = Expr>) -> Expr {
    terms.into_iter().reduce(|a, b| a + b).expect("terms")
}

fn available_components() -> Expr {
    sum_of(COMPONENTS.map(|c| col(c).is_not_null().cast(DataType::UInt32)))
}

/// 100 · mean of the available components when at least 3 of the 4 are, else null.
fn composite_index() -> Expr {
    let sum = sum_of(COMPONENTS.map(|c| col(c).fill_null(lit(0.0))));
    let n = col("cpi_available");
    when(n.clone().gt_eq(lit(3)))
        .then(lit(100.0) * (sum / n.cast(DataType::Float64)))
        .otherwise(lit(NULL))
}

/// 1 = highest lp_worker; ties share the lowest rank; null stays null.
fn rank_by_lp_worker() -> Expr {
    let options = RankOptions {
        method: RankMethod::Min,
        descending: true,
    };
    col("lp_worker").rank(options, None)
}

fn all_present(columns: &[&str]) -> Expr {
    let present = columns.iter().map(|c| col(*c).is_not_null());
    present.reduce(|a, b| a.and(b)).expect("columns")
}

/// Σ num / Σ den over the rows where `covered`; null where no row is.
fn ratio_of_sums(num: Expr, den: Expr, covered: Expr) -> Expr {
    let sum = |x: Expr| when(covered.clone()).then(x).otherwise(lit(NULL)).sum();
    ratio(sum(num), sum(den))
}

/// The points that matter: inputs of members.
fn relevant<'a>(
    points: &'a [SeriesPoint],
    members: &'a Names,
) -> impl Iterator<Item = &'a SeriesPoint> {
    let wanted = |p: &&SeriesPoint| {
        INPUTS.contains(&p.series.as_str()) && members.contains_key(p.iso3.as_str())
    };
    points.iter().filter(wanted)
}

/// From the first to the last year with data.
fn data_years(points: &[SeriesPoint], members: &Names) -> Option<RangeInclusive<i64>> {
    let first = relevant(points, members).map(|p| p.year).min()?;
    Some(first..=latest_year(points, members)?)
}

fn long_frame(points: &[SeriesPoint], members: &Names) -> PolarsResult<DataFrame> {
    let kept: Vec<&SeriesPoint> = relevant(points, members).collect();
    df!(
        "iso3" => kept.iter().map(|p| p.iso3.as_str()).collect::<Vec<_>>(),
        "series" => kept.iter().map(|p| p.series.as_str()).collect::<Vec<_>>(),
        "year" => kept.iter().map(|p| p.year).collect::<Vec<_>>(),
        "value" => kept.iter().map(|p| p.value.get()).collect::<Vec<_>>(),
    )
}

/// Every member in every year, so that a missing year is a row of nulls, not a gap.
fn grid(members: &Names, years: RangeInclusive<i64>) -> PolarsResult<DataFrame> {
    let (iso3, year): (Vec<&str>, Vec<i64>) = members
        .keys()
        .flat_map(|m| years.clone().map(move |y| (m.as_str(), y)))
        .unzip();
    df!("iso3" => iso3, "year" => year)
}

/// A numeric column as floats, anything not finite as null.
fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let column = df.column(name)?.cast(&DataType::Float64)?;
    let finite = column.f64()?.iter().map(|v| v.filter(|x| x.is_finite()));
    Ok(finite.collect())
}

fn year_values(df: &DataFrame, name: &str) -> PolarsResult<Vec<YearValue>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let years = df.column("year")?.i64()?.iter();
    let points = years.zip(floats(df, name)?).filter_map(|(year, value)| {
        let year = year?;
        Some(YearValue { year, value })
    });
    Ok(points.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Finite, Iso3};

    /// `iso3 series first-year values…` (`-`: no value). AAA has every input in 2011–2016, and
    /// rgdpna/emp 100, 110, 110, 110, 140, 127.62815625 (= 100 · 1.05⁵: output falls in 2016).
    /// BBB has no avh and no rtfpna; CCC a 2015 rgdpo without emp; DDD (a member) no data.
    /// ZZZ is not a member and `pop` is not an input: both are ignored.
    const TABLE: &str = "
        AAA rgdpna 2011 200 220 220 220 280 255.2563125
        AAA emp    2011 2 2 2 2 2 2
        AAA avh    2011 2000 2000 2000 2000 2000 2000
        AAA rtfpna 2011 1 - - - 1.05 1.1
        AAA rgdpo  2016 200000
        AAA hc     2016 2.5
        AAA pop    2016 9
        BBB rgdpna 2011 100 - - - - 200
        BBB emp    2011 1 - - - - 1
        BBB rgdpo  2016 1000
        BBB hc     2016 5
        CCC rgdpo  2015 10 3000
        CCC emp    2016 1
        CCC hc     2016 1
        ZZZ rgdpo  2016 1e9
        ZZZ emp    2016 1";

    fn table() -> Vec<SeriesPoint> {
        let rows = TABLE
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>());
        let mut points = Vec::new();
        for w in rows.filter(|w| w.len() > 3) {
            let values = (w[2].parse::<i64>().unwrap()..).zip(&w[3..]);
            for (year, v) in values.filter(|(_, v)| **v != "-") {
                let (iso3, value) = (Iso3::parse(w[0]), Finite::new(v.parse().unwrap()));
                let (iso3, value, series) = (iso3.unwrap(), value.unwrap(), w[1].into());
                points.push(SeriesPoint {
                    iso3,
                    series,
                    year,
                    value,
                });
            }
        }
        points
    }

    fn members() -> Names {
        let names = "AAA Alpha BBB Beta CCC Gamma DDD Delta"
            .split(' ')
            .map(str::to_owned);
        let names: Vec<String> = names.collect();
        names
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect()
    }

    fn report(year: i64, base_year: i64) -> YearReport {
        year_report(&table(), &members(), year, base_year).unwrap()
    }

    #[track_caller]
    fn close(actual: Option<f64>, expected: f64) {
        let a = actual.unwrap_or_else(|| panic!("null, expected {expected}"));
        let ok = (a - expected).abs() <= 1e-12 * expected.abs().max(1.0);
        assert!(ok, "{a} ≠ {expected}");
    }

    #[test]
    fn levels_growth_index_ranks_and_apo21_match_hand_arithmetic() {
        let r = report(2016, 2011);
        let aaa = &r.members["AAA"];
        close(aaa.lp_worker, 100_000.0); // 200,000 / 2
        close(aaa.lp_hour, 50.0); // 200,000 / (2 · 2,000)
        close(aaa.lp_growth, -9.252141577405284); // 100 · ln(127.62815625 / 140): a fall
        close(aaa.tfp_growth, 4.652001563489291); // 100 · ln(1.1 / 1.05)
        close(aaa.lp_index, 127.62815625); // 100 · 127.62815625 / 100
        close(report(2016, 2016).members["AAA"].lp_index, 100.0);
        // lp_worker AAA 100,000 > CCC 3,000 > BBB 1,000; DDD none; ZZZ is no member.
        let ranks: Vec<_> = r.members.values().map(|m| m.rank_lp_worker).collect();
        assert_eq!(ranks, [Some(1), Some(3), Some(2), None]);
        // (200,000 + 1,000 + 3,000) / (2 + 1 + 1) = 51,000; lp_hour: AAA only, 50.
        close(r.apo21.lp_worker, 51_000.0);
        close(r.apo21.lp_hour, 50.0);
        assert_eq!((r.apo21.members, r.apo21.members_lp_hour), (3, 1));
    }

    #[test]
    fn missing_inputs_give_null_never_zero() {
        let r = report(2016, 2011);
        let (bbb, ccc, ddd) = (&r.members["BBB"], &r.members["CCC"], &r.members["DDD"]);
        let none = [
            bbb.lp_hour,
            bbb.tfp_growth,
            bbb.lp_growth,
            ccc.lp_index,
            ddd.lp_worker,
        ];
        assert_eq!(none, [None; 5], "no avh, rtfpna, 2015, 2011 base; no data");
        assert_eq!((ddd.rank_lp_worker, ddd.cpi.value), (None, None));
        assert_eq!(report(2015, 2011).members["CCC"].lp_worker, None);
        let empty = report(2030, 2011);
        let measured = empty.members.values().filter(|m| m.lp_worker.is_some());
        assert_eq!((measured.count(), empty.members.len()), (0, 4));
        assert_eq!((empty.apo21.lp_worker, empty.apo21.members), (None, 0));
    }

    #[test]
    fn cpi_needs_three_components_and_flags_three_as_partial() {
        let r = report(2016, 2011);
        // AAA: level (ln 100,000 − ln 2,000) / (ln 150,000 − ln 2,000) = 0.9060877303085241;
        // growth (1.2762815625^(1/5) − 1 + 0.02) / 0.1 = 0.7; hc (2.5 − 1) / 3 = 0.5; tfp
        // ((ln 1.1 − ln 1) / 5 + 0.03) / 0.06 = 0.8177005993477499; CPI = 100 · Σ / 4.
        let aaa = &r.members["AAA"].cpi;
        close(aaa.components.level, 0.9060877303085241);
        close(aaa.components.growth, 0.7);
        close(aaa.components.tfp, 0.8177005993477499);
        close(aaa.value, 73.09470824140686);
        assert!(!aaa.partial && aaa.available == 4);
        // BBB, clamped: level ln 1,000 < ln 2,000 → 0; growth 2^(1/5) − 1 = 0.1487 > 0.08 → 1;
        // hc 5 > 4 → 1; no TFP. CPI = 100 · (0 + 1 + 1) / 3 = 66.666…, partial.
        let (bbb, c) = (&r.members["BBB"].cpi, &r.members["BBB"].cpi.components);
        let four = (c.level, c.growth, c.human_capital, c.tfp);
        assert_eq!(four, (Some(0.0), Some(1.0), Some(1.0), None));
        close(bbb.value, 200.0 / 3.0);
        assert!(bbb.partial && bbb.available == 3);
        // CCC: level (ln 3,000 − ln 2,000) / ln 75 = 0.09391226969147595, hc 1 → 0; no more.
        let ccc = &r.members["CCC"].cpi;
        close(ccc.components.level, 0.09391226969147595);
        assert_eq!((ccc.value, ccc.partial, ccc.available), (None, false, 2));
    }

    #[test]
    fn scaling_clamps_at_the_goalposts() {
        let x = [Some(0.0), Some(1.0), Some(2.5), Some(4.0), Some(5.0), None];
        let s = scaled(col("x"), HC_GOALPOSTS).alias("s");
        let out = df!("x" => x).unwrap().lazy().select([s]).collect().unwrap();
        // (x − 1) / 3: −1/3 → 0, 0, 0.5, 1, 4/3 → 1, null.
        let expected = [Some(0.0), Some(0.0), Some(0.5), Some(1.0), Some(1.0), None];
        assert_eq!(floats(&out, "s").unwrap(), expected);
    }
}
