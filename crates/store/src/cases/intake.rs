//! Taking a report: idempotent by its key, a self-resolved report closed at once, a
//! threat of violence sent straight to the community.

use super::*;

impl Store {
    /// Takes a report. With an idempotency key already used in the community, nothing is
    /// written and the first case is returned. A self-resolved report is registered and
    /// closed at once, and its timeline says so.
    ///
    /// A key comes back only with the report it was first sent with: the same key with
    /// another report is refused (`error.idempotency_key.reused`), never answered with the
    /// first case. Callers make keys their own (`account:{id}:…`, an Open311 key's id), so
    /// one caller's key cannot reach another's case.
    pub async fn report_case(&self, new: &NewCase) -> StoreResult<Intake> {
        let cleaned;
        let new = if [&new.description, &new.address, &new.reporter_name]
            .iter()
            .any(|t| linli_domain::clean_text(t) != **t)
        {
            cleaned = NewCase {
                description: linli_domain::clean_text(&new.description),
                address: linli_domain::clean_text(&new.address),
                reporter_name: linli_domain::clean_text(&new.reporter_name),
                ..new.clone()
            };
            &cleaned
        } else {
            new
        };
        if let Some(key) = &new.idempotency_key
            && let Some(id) = self.case_by_key(new, key).await?
        {
            return Ok(Intake { case_id: id, created: false });
        }
        let now = now_ms();
        // Only a case closed at once needs its deadline now (registration sets the others').
        let deadline = if new.self_resolved {
            let category = self.case_category(new.category_id).await?;
            let calendar = self.work_calendar().await?;
            Some(utc_ms(calendar.deadline(china_time(now), category.limit(), &[])))
        } else {
            None
        };
        let (state, closed_at) = if new.self_resolved { (State::Closed, Some(now)) } else { (State::Reported, None) };
        let inserted = self.insert_case(new, state, now, closed_at, deadline).await;
        match inserted {
            Ok(case_id) => Ok(Intake { case_id, created: true }),
            // Two submissions raced with the same key: the other one won.
            Err(StoreError::Taken { .. }) => {
                let key = new.idempotency_key.as_deref().unwrap_or_default();
                let id = self.case_by_key(new, key).await?.ok_or(StoreError::NotFound)?;
                Ok(Intake { case_id: id, created: false })
            }
            Err(e) => Err(e),
        }
    }

    /// Opens the case an alarm wants, registered and dispatched by the system at once, and
    /// links the alarm to it, all in one transaction: a crash at any point leaves either
    /// nothing (the next round of the clock opens it) or the whole case. The case's key is
    /// the alarm's (`alarm:{id}`), so two instances' clocks cannot open it twice; a case
    /// an earlier version left under that key is linked as it is.
    pub(crate) async fn open_alarm_case(&self, alarm_id: i64, new: &NewCase) -> StoreResult<i64> {
        if let Some(key) = &new.idempotency_key
            && let Some(id) = self.case_by_key(new, key).await?
        {
            self.link_alarm(alarm_id, id).await?;
            return Ok(id);
        }
        let now = now_ms();
        let category = self.case_category(new.category_id).await?;
        let calendar = self.work_calendar().await?;
        let deadline = utc_ms(calendar.deadline(china_time(now), category.limit(), &[]));
        // The loop's own steps: reported, registered, dispatched.
        let reported = Case::reported(Level::Grid);
        let registered = reported.apply(&Event::Register, false).map_err(|e| invalid_step(e.key))?;
        let dispatched = registered.apply(&Event::Dispatch, false).map_err(|e| invalid_step(e.key))?;
        let holder = self.route(new.community_id, new.grid_id, &category.handler, dispatched.level).await?;
        let holder_name = self.holder_name(new.community_id, holder).await?;
        let sealed = self.seal_case(new)?;
        transaction!(self, |tx| {
            let id = write_case(tx, new, &sealed, State::Reported, now, None, None).await?;
            crate::exec!(
                tx,
                sqlx::query(
                    "UPDATE cases SET state = $2, level = $3, registered_at = $4, deadline = $5, dispatched_at = $4, \
                     assignee_account_id = $6, assignee_organisation_id = $7, version = version + 2 WHERE id = $1"
                )
                .bind(id)
                .bind(dispatched.state.as_str())
                .bind(dispatched.level.as_str())
                .bind(now)
                .bind(deadline)
                .bind(holder.0)
                .bind(holder.1)
            )?;
            insert_event(tx, &NewEvent { to: registered.state, ..NewEvent::new(id, now, "register", reported.state) })
                .await?;
            fail::fail_point!("alarm_case.registered", |_| Err(StoreError::Config("injected crash".into())));
            insert_event(
                tx,
                &NewEvent { to: dispatched.state, ..NewEvent::new(id, now, "dispatch", registered.state) },
            )
            .await?;
            if let Some((kind, who)) = crate::notifications::notice_of(&Event::Dispatch) {
                let notice = Notice { kind, who, actor: None, dedupe: None, detail: &holder_name, remark: None };
                crate::notifications::notify(tx, id, &notice, now).await?;
            }
            fail::fail_point!("alarm_case.dispatched", |_| Err(StoreError::Config("injected crash".into())));
            link_alarm(tx, alarm_id, id).await?;
            fail::fail_point!("alarm_case.linked", |_| Err(StoreError::Config("injected crash".into())));
            id
        })
    }

    async fn link_alarm(&self, alarm_id: i64, case_id: i64) -> StoreResult<()> {
        transaction!(self, |tx| link_alarm(tx, alarm_id, case_id).await?).map(|_| ())
    }

    /// Writes a new case and its first timeline event. A used idempotency key comes back
    /// as [`StoreError::Taken`].
    async fn insert_case(
        &self,
        new: &NewCase,
        state: State,
        now: i64,
        closed_at: Option<i64>,
        deadline: Option<i64>,
    ) -> StoreResult<i64> {
        let sealed = self.seal_case(new)?;
        transaction!(self, |tx| write_case(tx, new, &sealed, state, now, closed_at, deadline).await?)
    }

    /// What a new case keeps sealed, sealed before its transaction opens.
    pub(crate) fn seal_case(&self, new: &NewCase) -> StoreResult<SealedCase> {
        let contact = match new.contact.trim() {
            "" => None,
            c => Some(self.key().seal("case.contact", c)?),
        };
        let parties = match &new.dispute {
            Some(d) => {
                d.parties.iter().map(|p| Ok((p.side.as_str(), self.seal_party(p)?))).collect::<StoreResult<Vec<_>>>()?
            }
            None => Vec::new(),
        };
        Ok(SealedCase { contact, parties })
    }

    /// The case first reported with this key, if it was this report.
    async fn case_by_key(&self, new: &NewCase, key: &str) -> StoreResult<Option<i64>> {
        let found: Option<(i64, Option<String>)> = read!(self, |db| sqlx::query_as(
            "SELECT id, request_digest FROM cases WHERE community_id = $1 AND idempotency_key = $2"
        )
        .bind(new.community_id)
        .bind(key)
        .fetch_optional(db)
        .await?);
        match found {
            Some((_, Some(digest))) if digest != new.digest() => {
                Err(StoreError::Invalid(FieldError::new("Idempotency-Key", "error.idempotency_key.reused")))
            }
            found => Ok(found.map(|(id, _)| id)),
        }
    }
}

/// A new case's sealed fields: the reporter's contact and the dispute's parties.
pub(crate) struct SealedCase {
    contact: Option<String>,
    parties: Vec<(&'static str, (String, Option<String>))>,
}

/// Writes a new case in `state`, its first timeline event, its photos, its dispute and
/// the first notices, inside the caller's transaction. A threat of violence goes straight
/// to the community.
pub(crate) async fn write_case(
    tx: &mut crate::Tx,
    new: &NewCase,
    sealed: &SealedCase,
    state: State,
    now: i64,
    closed_at: Option<i64>,
    deadline: Option<i64>,
) -> StoreResult<i64> {
    let SealedCase { contact, parties } = sealed;
    // A client application can look its request up by this token (Open311 `tokens/{token}`).
    let public_token = new.open311_key_id.map(|_| uuid::Uuid::new_v4().simple().to_string());
    let level = match &new.dispute {
        Some(d) if state == State::Reported => d.risk.level_at_intake(),
        _ => Level::Grid,
    };
    // A threat of violence goes straight to the community.
    let escalated = level != Level::Grid;
    let id: i64 = crate::on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, household_id, \
         lon, lat, address, reporter_account_id, reporter_name, anonymous, state, level, reported_at, \
         registered_at, closed_at, deadline, self_resolved, idempotency_key, open311_key_id, contact_sealed, \
         media_url, public_token, request_digest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $25, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23, $24, $26) RETURNING id",
    )
    .bind(new.community_id)
    .bind(new.grid_id)
    .bind(new.category_id)
    .bind(new.source.as_str())
    .bind(&new.description)
    .bind(new.building_id)
    .bind(new.household_id)
    .bind(new.lon)
    .bind(new.lat)
    .bind(&new.address)
    .bind(new.reporter_account_id)
    .bind(&new.reporter_name)
    .bind(new.anonymous)
    .bind(state.as_str())
    .bind(now)
    .bind(closed_at)
    .bind(closed_at)
    .bind(deadline)
    .bind(new.self_resolved)
    .bind(&new.idempotency_key)
    .bind(new.open311_key_id)
    .bind(contact)
    .bind(&new.media_url)
    .bind(&public_token)
    .bind(level.as_str())
    .bind(new.idempotency_key.as_ref().map(|_| new.digest()))
    .fetch_one(c)
    .await)
    .map_err(StoreError::on_unique("idempotency_key"))?;
    let kind = if new.self_resolved { "self_resolve" } else { "report" };
    let first = NewEvent { actor: new.reporter_account_id, to: state, ..NewEvent::new(id, now, kind, State::Reported) };
    let event = insert_event(tx, &first).await?;
    crate::photos::insert_photos(tx, id, event, &new.photos, now).await?;
    // An alarm's case is registered and dispatched by the system at once: the grid
    // worker has no registering to do, and is told only if it is dispatched to him.
    if state == State::Reported && new.source != Source::Alarm {
        let (kind, who) = if escalated {
            ("escalated", crate::notifications::STAFF)
        } else {
            ("new_case", crate::notifications::FIRST_RESPONDERS)
        };
        let notice = Notice { kind, who, actor: new.reporter_account_id, dedupe: None, detail: "", remark: None };
        crate::notifications::notify(tx, id, &notice, now).await?;
    }
    if let Some(d) = &new.dispute {
        crate::exec!(
            tx,
            sqlx::query("INSERT INTO disputes (case_id, risk, updated_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(d.risk.as_str())
                .bind(now)
        )?;
        for (side, (name, phone)) in parties {
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO dispute_parties (case_id, side, name_sealed, phone_sealed, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(*side)
                .bind(name)
                .bind(phone)
                .bind(now)
            )?;
        }
        if escalated {
            let remark = Remark::ViolenceEscalation;
            let escalation = NewEvent { remark: Some(&remark), ..NewEvent::new(id, now, "escalate", State::Reported) };
            insert_event(tx, &escalation).await?;
        }
    }
    Ok(id)
}

/// Links an alarm to its case, unless it has one already.
pub(crate) async fn link_alarm(tx: &mut crate::Tx, alarm_id: i64, case_id: i64) -> StoreResult<u64> {
    Ok(crate::exec!(
        tx,
        sqlx::query("UPDATE alarms SET case_id = $1 WHERE id = $2 AND case_id IS NULL").bind(case_id).bind(alarm_id)
    )?)
}

fn invalid_step(key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new("step", key))
}
