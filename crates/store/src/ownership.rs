//! Owners of record (产权人) of the exclusive units, the units' areas, and the owners'
//! assembly they make up. Owners are found again by the blind index of their ID number,
//! so the same buyer of a second unit is the same owner; the developer is one owner per
//! community. A transfer ends the current holders' rows and adds the new ones: the
//! history of who held a unit stays.

use crate::registry::{BUMP_REGISTRY_VERSION, FIELD_ID_NUMBER, FIELD_PHONE};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use linli_domain::identity::Phone;
use linli_domain::ownership::{Area, Electorate, Holder, Holding, counted_area, electorate};
use linli_domain::person::IdNumber;
use serde::Serialize;
use std::collections::HashMap;

/// The join condition of an owner `o` and an account `a` that stands for them: the
/// account verified as the owner ([`crate::verification`]), or the account of the
/// resident the owner is.
pub const ACCOUNT_OF_OWNER: &str = "(a.id = o.account_id OR a.resident_id = o.resident_id)";

/// The kind of the owner row that stands for the developer (its unsold units).
pub const DEVELOPER: &str = "developer";

/// Who takes over a unit.
#[derive(Debug, Clone)]
pub enum NewHolder {
    Person {
        name: String,
        id_number: IdNumber,
        phone: Option<Phone>,
    },
    /// The developer (unsold, or bought back).
    Developer {
        name: String,
    },
}

/// The registered areas of a unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitAreas {
    pub register: Option<Area>,
    pub survey: Option<Area>,
    pub contract: Option<Area>,
}

/// A holder of a unit as shown: personal data masked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UnitOwner {
    pub owner_id: i64,
    /// `person` or `developer`.
    pub kind: String,
    pub name: String,
    pub id_number_masked: Option<String>,
    pub phone_masked: Option<String>,
    /// The resident this owner is, when the owner lives in the community.
    pub resident_id: Option<i64>,
    pub since: String,
    /// Empty while the owner holds the unit.
    pub until: Option<String>,
}

/// A unit (a household's room) with its area and current holders.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRecord {
    pub household_id: i64,
    pub building_id: i64,
    pub unit: i64,
    pub room: String,
    pub residents: i64,
    /// The counted area in m² with two decimals, and where it comes from.
    pub area: Option<String>,
    pub area_source: Option<&'static str>,
    pub owners: Vec<UnitOwner>,
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    household_id: i64,
    building_id: i64,
    unit: i64,
    room: String,
    residents: i64,
    register_area_dm2: Option<i64>,
    survey_area_dm2: Option<i64>,
    contract_area_dm2: Option<i64>,
}

impl UnitRow {
    fn areas(&self) -> UnitAreas {
        UnitAreas {
            register: self.register_area_dm2.map(Area::from_dm2),
            survey: self.survey_area_dm2.map(Area::from_dm2),
            contract: self.contract_area_dm2.map(Area::from_dm2),
        }
    }
}

#[derive(sqlx::FromRow)]
struct OwnerOfUnit {
    household_id: i64,
    #[sqlx(flatten)]
    owner: UnitOwner,
}

const OWNER_COLUMNS: &str =
    "o.id AS owner_id, o.kind, o.name, o.id_number_masked, o.phone_masked, o.resident_id, s.since, s.until";

impl Store {
    /// Records the registered areas of a unit (any of them may be empty).
    pub async fn set_unit_areas(&self, household_id: i64, areas: UnitAreas) -> StoreResult<()> {
        transaction!(self, |tx| {
            let community: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                "UPDATE households SET register_area_dm2 = $2, survey_area_dm2 = $3, contract_area_dm2 = $4 \
                 WHERE id = $1 RETURNING community_id",
            )
            .bind(household_id)
            .bind(areas.register.map(Area::dm2))
            .bind(areas.survey.map(Area::dm2))
            .bind(areas.contract.map(Area::dm2))
            .fetch_optional(c)
            .await)?;
            let community = community.ok_or(StoreError::NotFound)?;
            crate::exec!(tx, sqlx::query(BUMP_REGISTRY_VERSION).bind(community))?;
        })
    }

    /// Transfers a unit on `on` to new holders (co-owners together), ending the current
    /// holders' rows. A holder already known by ID number is the same owner.
    pub async fn transfer_unit(
        &self,
        household_id: i64,
        holders: &[NewHolder],
        on: chrono::NaiveDate,
    ) -> StoreResult<()> {
        if holders.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("owner_name", "error.required")));
        }
        let on = on.format("%Y-%m-%d").to_string();
        let key = self.key();
        transaction!(self, |tx| {
            let community: i64 =
                crate::on!(tx, |c| sqlx::query_scalar("SELECT community_id FROM households WHERE id = $1")
                    .bind(household_id)
                    .fetch_optional(c)
                    .await)?
                .ok_or(StoreError::NotFound)?;
            let latest: Option<String> = crate::on!(tx, |c| sqlx::query_scalar(
                "SELECT MAX(since) FROM ownerships WHERE household_id = $1 AND until IS NULL"
            )
            .bind(household_id)
            .fetch_one(c)
            .await)?;
            if latest.as_deref().is_some_and(|l| l > on.as_str()) {
                return Err(StoreError::Invalid(FieldError::new("since", "error.transfer.before_current")));
            }
            crate::exec!(
                tx,
                sqlx::query("UPDATE ownerships SET until = $2 WHERE household_id = $1 AND until IS NULL")
                    .bind(household_id)
                    .bind(&on)
            )?;
            let mut seen = Vec::new();
            for h in holders {
                let owner_id: i64 = match h {
                    NewHolder::Developer { name } => {
                        let existing: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                            "SELECT id FROM owners WHERE community_id = $1 AND kind = 'developer'"
                        )
                        .bind(community)
                        .fetch_optional(c)
                        .await)?;
                        match existing {
                            Some(id) => id,
                            None => crate::on!(tx, |c| {
                                sqlx::query_scalar(
                                    "INSERT INTO owners (community_id, kind, name) VALUES ($1, 'developer', $2) RETURNING id",
                                )
                                .bind(community)
                                .bind(name)
                                .fetch_one(c)
                                .await
                            })?,
                        }
                    }
                    NewHolder::Person { name, id_number, phone } => {
                        let index = key.blind_index(FIELD_ID_NUMBER, id_number.as_str());
                        let existing: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                            "SELECT id FROM owners WHERE community_id = $1 AND id_number_index = $2",
                        )
                        .bind(community)
                        .bind(&index)
                        .fetch_optional(c)
                        .await)?;
                        let resident: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                            "SELECT id FROM residents WHERE community_id = $1 AND id_number_index = $2",
                        )
                        .bind(community)
                        .bind(&index)
                        .fetch_optional(c)
                        .await)?;
                        let phone_enc = phone.as_ref().map(|p| key.seal(FIELD_PHONE, p.as_str())).transpose()?;
                        match existing {
                            Some(id) => {
                                // The register's latest name and phone for this owner.
                                crate::on!(tx, |c| {
                                    sqlx::query(
                                    "UPDATE owners SET name = $2, phone_enc = COALESCE($3, phone_enc), \
                                     phone_masked = COALESCE($4, phone_masked), resident_id = COALESCE($5, resident_id) WHERE id = $1",
                                )
                                .bind(id)
                                .bind(name)
                                .bind(&phone_enc)
                                .bind(phone.as_ref().map(Phone::masked))
                                .bind(resident)
                                .execute(c)
                                .await
                                .map(|r| r.rows_affected())
                                })?;
                                id
                            }
                            None => crate::on!(tx, |c| sqlx::query_scalar(
                                "INSERT INTO owners (community_id, kind, name, id_number_enc, id_number_index, \
                                     id_number_masked, phone_enc, phone_masked, resident_id) \
                                     VALUES ($1, 'person', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                            )
                            .bind(community)
                            .bind(name)
                            .bind(key.seal(FIELD_ID_NUMBER, id_number.as_str())?)
                            .bind(&index)
                            .bind(id_number.masked())
                            .bind(&phone_enc)
                            .bind(phone.as_ref().map(Phone::masked))
                            .bind(resident)
                            .fetch_one(c)
                            .await)?,
                        }
                    }
                };
                if seen.contains(&owner_id) {
                    return Err(StoreError::Invalid(FieldError::new("owner_id_number", "error.import.duplicate")));
                }
                seen.push(owner_id);
                crate::on!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO ownerships (community_id, household_id, owner_id, since, recorded_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(community)
                .bind(household_id)
                .bind(owner_id)
                .bind(&on)
                .bind(now_ms())
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
            }
            crate::exec!(tx, sqlx::query(BUMP_REGISTRY_VERSION).bind(community))?;
        })
    }

    /// Every holder a unit has had, current ones first.
    pub async fn unit_owners(&self, household_id: i64) -> StoreResult<Vec<UnitOwner>> {
        let sql = format!(
            "SELECT {OWNER_COLUMNS} FROM ownerships s JOIN owners o ON o.id = s.owner_id \
             WHERE s.household_id = $1 ORDER BY (s.until IS NULL) DESC, s.since DESC, s.id"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(household_id).fetch_all(db).await?))
    }

    /// The units of a building with their counted area and current holders.
    pub async fn units_of_building(&self, building_id: i64) -> StoreResult<Vec<UnitRecord>> {
        let owners_sql = format!(
            "SELECT s.household_id, {OWNER_COLUMNS} FROM ownerships s JOIN owners o ON o.id = s.owner_id \
             JOIN households h ON h.id = s.household_id WHERE h.building_id = $1 AND s.until IS NULL ORDER BY s.id"
        );
        let (units, owners): (Vec<UnitRow>, Vec<OwnerOfUnit>) = read!(self, |db| {
            let units = sqlx::query_as(
                "SELECT h.id AS household_id, h.building_id, h.unit, h.room, \
                   (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id AND r.moved_out_on IS NULL) AS residents, \
                   h.register_area_dm2, h.survey_area_dm2, h.contract_area_dm2 \
                 FROM households h WHERE h.building_id = $1 ORDER BY h.unit, LENGTH(h.room), h.room",
            )
            .bind(building_id)
            .fetch_all(db)
            .await?;
            let owners = sqlx::query_as(&owners_sql).bind(building_id).fetch_all(db).await?;
            (units, owners)
        });
        let mut by_unit: HashMap<i64, Vec<UnitOwner>> = HashMap::new();
        for o in owners {
            by_unit.entry(o.household_id).or_default().push(o.owner);
        }
        Ok(units
            .into_iter()
            .map(|u| {
                let areas = u.areas();
                let counted = counted_area(areas.register, areas.survey, areas.contract);
                UnitRecord {
                    household_id: u.household_id,
                    building_id: u.building_id,
                    unit: u.unit,
                    room: u.room.clone(),
                    residents: u.residents,
                    area: counted.map(|(a, _)| a.to_string()),
                    area_source: counted.map(|(_, s)| s.as_str()),
                    owners: by_unit.remove(&u.household_id).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The registered areas of one unit.
    pub async fn unit_areas(&self, household_id: i64) -> StoreResult<UnitAreas> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = read!(self, |db| sqlx::query_as(
            "SELECT register_area_dm2, survey_area_dm2, contract_area_dm2 FROM households WHERE id = $1"
        )
        .bind(household_id)
        .fetch_optional(db)
        .await?);
        let (r, s, c) = row.ok_or(StoreError::NotFound)?;
        Ok(UnitAreas {
            register: r.map(Area::from_dm2),
            survey: s.map(Area::from_dm2),
            contract: c.map(Area::from_dm2),
        })
    }

    /// The owners' assembly of a community as the law counts it: units, owners by
    /// number, total exclusive area (the denominators of every Art. 278 vote).
    pub async fn electorate(&self, community_id: i64) -> StoreResult<Electorate> {
        Ok(electorate(&self.holdings(community_id).await?))
    }

    /// Each unit of a community with its counted area and current holders.
    pub async fn holdings(&self, community_id: i64) -> StoreResult<Vec<Holding>> {
        type UnitAreasRow = (i64, Option<i64>, Option<i64>, Option<i64>);
        let (units, holders): (Vec<UnitAreasRow>, Vec<(i64, i64, String)>) = read!(self, |db| {
            let units = sqlx::query_as(
                "SELECT id, register_area_dm2, survey_area_dm2, contract_area_dm2 FROM households \
                     WHERE community_id = $1 ORDER BY id",
            )
            .bind(community_id)
            .fetch_all(db)
            .await?;
            let holders = sqlx::query_as(
                "SELECT s.household_id, o.id, o.kind FROM ownerships s JOIN owners o ON o.id = s.owner_id \
                     WHERE s.community_id = $1 AND s.until IS NULL",
            )
            .bind(community_id)
            .fetch_all(db)
            .await?;
            (units, holders)
        });
        let mut by_unit: HashMap<i64, Vec<Holder>> = HashMap::new();
        for (unit, owner, kind) in holders {
            by_unit.entry(unit).or_default().push(if kind == DEVELOPER {
                Holder::Developer
            } else {
                Holder::Owner(owner)
            });
        }
        let holdings: Vec<Holding> = units
            .into_iter()
            .map(|(id, r, s, c)| Holding {
                unit_id: id,
                area: counted_area(r.map(Area::from_dm2), s.map(Area::from_dm2), c.map(Area::from_dm2)).map(|(a, _)| a),
                holders: by_unit.remove(&id).unwrap_or_default(),
            })
            .collect();
        Ok(holdings)
    }

    /// Each unit of a community in words (`3号楼 1单元 1202`), by unit id.
    pub async fn unit_labels(&self, community_id: i64) -> StoreResult<HashMap<i64, String>> {
        let rows: Vec<(i64, String, i64, String)> = read!(self, |db| sqlx::query_as(
            "SELECT h.id, b.name, h.unit, h.room FROM households h JOIN buildings b ON b.id = h.building_id \
             WHERE h.community_id = $1"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?);
        Ok(rows.into_iter().map(|(id, building, unit, room)| (id, format!("{building} {unit}单元 {room}"))).collect())
    }
}
