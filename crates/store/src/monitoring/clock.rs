//! The clock's round: rules that fire on silence, and the cases alarms want, each opened
//! in one transaction.

use super::ingest::evaluate;
use super::*;
use linli_domain::case::Remark;
use linli_i18n::{Lang, Tr};

impl Store {
    /// One round of the clock at `now`: rules that fire on silence (absence, offline by
    /// silence, a duration that has run) are evaluated for every device whose profile has
    /// one. Tests pass their own `now`.
    pub async fn monitor_tick(&self, now: i64) -> StoreResult<Ingested> {
        let profiles: HashMap<i64, Profile> = self
            .device_profiles()
            .await?
            .into_iter()
            .filter(|p| p.rules.iter().any(Rule::needs_clock))
            .map(|p| (p.id, p))
            .collect();
        let mut out = Ingested::default();
        let mut after = 0_i64;
        loop {
            let devices: Vec<Target> = read!(self, |db| sqlx::query_as(
                "SELECT id, community_id, building_id, profile_id, online, last_seen FROM devices \
                 WHERE id > $1 ORDER BY id LIMIT $2"
            )
            .bind(after)
            .bind(TICK_CHUNK)
            .fetch_all(db)
            .await?);
            let Some(last) = devices.last() else { break };
            after = last.id;
            let watched: Vec<Target> = devices.into_iter().filter(|t| profiles.contains_key(&t.profile_id)).collect();
            if watched.is_empty() {
                continue;
            }
            out = transaction!(self, |tx| {
                for target in &watched {
                    if let Some(profile) = profiles.get(&target.profile_id) {
                        let inputs = [Input::Tick { now, online: target.online, last_seen: target.last_seen }];
                        evaluate(tx, target, profile, &inputs, now, &mut out).await?;
                    }
                }
                out
            })?;
        }
        out.cases = self.open_alarm_cases().await?;
        Ok(out)
    }

    /// Opens the case of every alarm that wants one and has none: routed to the grid of
    /// the device's building, in the category its rule names, registered and dispatched by
    /// the system in one transaction with the alarm's link. An alarm of the same type in the same building whose case is still open
    /// joins that case instead (grouping per building). Safe to repeat: the case's
    /// idempotency key is the alarm's.
    pub async fn open_alarm_cases(&self) -> StoreResult<Vec<i64>> {
        type Wanting = (i64, i64, Option<i64>, String, i64);
        let wanting: Vec<Wanting> = read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, building_id, alarm, device_id FROM alarms \
             WHERE wants_case = TRUE AND case_id IS NULL AND closed = FALSE ORDER BY id LIMIT 200"
        )
        .fetch_all(db)
        .await?);
        let mut opened = Vec::new();
        for (alarm_id, community_id, building_id, alarm, device_id) in wanting {
            let sibling: Option<i64> = match building_id {
                Some(building) => read!(self, |db| sqlx::query_scalar(
                    "SELECT a.case_id FROM alarms a JOIN cases c ON c.id = a.case_id WHERE a.building_id = $1 \
                     AND a.alarm = $2 AND a.closed = FALSE AND a.id <> $3 AND c.state NOT IN ('closed', 'refused') \
                     ORDER BY a.id LIMIT 1"
                )
                .bind(building)
                .bind(&alarm)
                .bind(alarm_id)
                .fetch_optional(db)
                .await?),
                None => None,
            };
            let device = self.device(device_id).await?;
            let case_id = match sibling {
                // The alarm joins the open case and its timeline notes it, in one transaction.
                Some(case_id) => {
                    let now = now_ms();
                    transaction!(self, |tx| {
                        if crate::cases::link_alarm(tx, alarm_id, case_id).await? == 1 {
                            let remark = Remark::AlarmJoined { device: device.name.clone(), alarm: alarm.clone() };
                            crate::disputes::note(
                                tx,
                                case_id,
                                now,
                                None,
                                "alarm",
                                crate::disputes::Said::Remark(&remark),
                            )
                            .await?;
                        }
                    })?;
                    opened.push(case_id);
                    continue;
                }
                None => {
                    let profile = self
                        .device_profiles()
                        .await?
                        .into_iter()
                        .find(|p| p.code == device.profile_code)
                        .ok_or(StoreError::NotFound)?;
                    let category_code = linli_domain::monitoring::alarm_category(&profile.rules, &alarm);
                    let category = self
                        .case_categories()
                        .await?
                        .into_iter()
                        .find(|c| c.code == category_code)
                        .ok_or(StoreError::Config(format!("alarm category {category_code} is missing")))?;
                    let grid_id: Option<i64> = match building_id {
                        Some(b) => read!(self, |db| sqlx::query_scalar("SELECT grid_id FROM buildings WHERE id = $1")
                            .bind(b)
                            .fetch_optional(db)
                            .await?),
                        None => None,
                    };
                    let place = [device.building_name.clone().unwrap_or_default(), device.room.clone()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let new = crate::cases::NewCase {
                        community_id,
                        grid_id,
                        category_id: category.id,
                        source: linli_domain::case::Source::Alarm,
                        description: alarm_case_description(&profile.name_zh, &device.name, &alarm, &place),
                        building_id,
                        address: place,
                        reporter_name: "系统 / system".into(),
                        idempotency_key: Some(format!("alarm:{alarm_id}")),
                        ..Default::default()
                    };
                    self.open_alarm_case(alarm_id, &new).await?
                }
            };
            opened.push(case_id);
        }
        Ok(opened)
    }
}

/// What an alarm's case says, in the community's language (Chinese): the device, its
/// kind, the alarm and where (“设备报警：烟感探测器「3号楼烟感」烟雾报警（3号楼 101）”).
fn alarm_case_description(profile: &str, device: &str, alarm: &str, place: &str) -> String {
    let t = Tr::new(Lang::Zh);
    let alarm = t.label_or_code("alarm.type", alarm);
    t.fill(
        "case.alarm_description",
        &[("profile", &profile), ("device", &device), ("alarm", &alarm), ("place", &place)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarms_case_names_the_device_the_alarm_in_words_and_the_place() {
        let text = alarm_case_description("烟感探测器", "3号楼烟感", "smoke", "3号楼 101");
        assert_eq!(text, "设备报警：烟感探测器「3号楼烟感」烟雾报警（3号楼 101）");
        assert!(
            alarm_case_description("x", "y", "new_kind", "z").contains("new_kind"),
            "an unknown alarm keeps its code"
        );
    }
}
