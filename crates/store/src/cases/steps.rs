//! Every step of the loop, applied through [`linli_domain::case::Case::apply`] and written
//! with its timeline event, notices and photos in one transaction; routing to whoever must
//! act; merging duplicates.

use super::*;

impl Store {
    /// Who must act on a dispatched case: the grid's worker, the community's property
    /// company or social organisation, or nobody in particular (the community's staff).
    pub(super) async fn route(
        &self,
        community_id: i64,
        grid_id: Option<i64>,
        handler: &str,
        level: Level,
    ) -> StoreResult<(Option<i64>, Option<i64>)> {
        Ok(match (handler, level) {
            ("grid_worker", Level::Grid) => {
                let account: Option<i64> = read!(self, |db| {
                    sqlx::query_scalar(
                    "SELECT account_id FROM grid_workers WHERE grid_id = $1 ORDER BY duty = 'worker' DESC, account_id LIMIT 1"
                )
                .bind(grid_id)
                .fetch_optional(db)
                .await?
                });
                (account, None)
            }
            ("property_company" | "social_organisation", _) => {
                let kind = handler;
                let org: Option<i64> = read!(self, |db| sqlx::query_scalar(
                    "SELECT id FROM organisations WHERE community_id = $1 AND kind = $2 ORDER BY id LIMIT 1"
                )
                .bind(community_id)
                .bind(kind)
                .fetch_optional(db)
                .await?);
                (None, org)
            }
            _ => (None, None),
        })
    }

    /// Applies one step of the loop, as `actor`, with a note for the timeline. Refused
    /// steps write nothing. A step decided on a case that changed meanwhile is refused
    /// too (`error.case.changed`): the page is reloaded and the step tried again.
    pub async fn apply_case_step(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &str,
    ) -> StoreResult<CaseRow> {
        self.apply_step(case_id, actor, event, &StepNote::internal(note), StepExtras::default()).await
    }

    /// [`Store::apply_case_step`] as a person takes it: a note they may make public,
    /// photos of the step (the handler's feedback), written in the same transaction, and
    /// whom a dispatch goes to.
    pub async fn apply_case_step_with(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &StepNote<'_>,
        extras: StepExtras<'_>,
    ) -> StoreResult<CaseRow> {
        self.apply_step(case_id, actor, event, note, extras).await
    }

    /// Whether this step was already taken with this key (a retry): the same step again is
    /// `true`, another step with the key is refused, a new key is `false`.
    pub async fn step_taken(&self, case_id: i64, key: &str, event: &Event) -> StoreResult<bool> {
        let taken: Option<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT kind FROM case_events WHERE case_id = $1 AND idempotency_key = $2"
        )
        .bind(case_id)
        .bind(key)
        .fetch_optional(db)
        .await?);
        match taken {
            Some(kind) if kind == event.kind() => Ok(true),
            Some(_) => Err(StoreError::Invalid(FieldError::new("Idempotency-Key", "error.idempotency_key.reused"))),
            None => Ok(false),
        }
    }

    /// Whom this case may be dispatched to, and the category's default.
    pub async fn dispatch_options(&self, case: &CaseRow) -> StoreResult<DispatchOptions> {
        let category = self.case_category(case.category_id).await?;
        let default = Holder::of(self.route(case.community_id, case.grid_id, &category.handler, case.level).await?);
        let workers: Vec<(i64, String, String)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT DISTINCT a.id, a.display_name, g.name FROM grid_workers w JOIN accounts a ON a.id = w.account_id \
             JOIN grids g ON g.id = w.grid_id WHERE g.community_id = $1 AND NOT a.disabled \
             ORDER BY g.name, a.display_name"
        )
        .bind(case.community_id)
        .fetch_all(db)
        .await?
        });
        let mut choices: Vec<(Holder, String)> = Vec::new();
        for (id, name, grid) in workers {
            match choices.iter_mut().find(|(h, _)| *h == Holder::Person(id)) {
                Some((_, label)) => label.push_str(&format!("、{grid}")),
                None => choices.push((Holder::Person(id), format!("{name}（{grid}）"))),
            }
        }
        let parties = self.organisations(case.community_id).await?;
        for o in parties.into_iter().filter(|o| RECEIVING_PARTIES.contains(&o.kind.as_str())) {
            choices.push((Holder::Party(o.id), o.name));
        }
        Ok(DispatchOptions { default, choices })
    }

    /// Checks that a chosen holder may receive a case of this community.
    async fn check_holder(&self, community_id: i64, holder: Holder) -> StoreResult<Holder> {
        let known = match holder {
            Holder::Community => true,
            Holder::Person(id) => {
                let n: i64 = read!(self, |db| sqlx::query_scalar(
                    "SELECT COUNT(*) FROM grid_workers w JOIN grids g ON g.id = w.grid_id \
                     WHERE w.account_id = $1 AND g.community_id = $2"
                )
                .bind(id)
                .bind(community_id)
                .fetch_one(db)
                .await?);
                n > 0
            }
            Holder::Party(id) => self
                .organisations(community_id)
                .await?
                .iter()
                .any(|o| o.id == id && RECEIVING_PARTIES.contains(&o.kind.as_str())),
        };
        if !known {
            return Err(StoreError::Invalid(FieldError::new("dispatch_to", "error.choice")));
        }
        Ok(holder)
    }

    /// Merges a report into the open case it repeats: the report is refused with the
    /// reason, points at the case, and the case's timeline notes the merge; one transaction.
    pub async fn merge_case(&self, duplicate: i64, into: i64, actor: Option<i64>) -> StoreResult<CaseRow> {
        let target = self.case(into).await?;
        let dup = self.case(duplicate).await?;
        if into == duplicate
            || target.community_id != dup.community_id
            || matches!(target.state, State::Closed | State::Refused)
            || target.merged_into.is_some()
        {
            return Err(StoreError::Invalid(FieldError::new("into", "error.case.merge_target")));
        }
        let remark = Remark::DuplicateOf { case: into };
        let extras = StepExtras { merged_into: Some(into), ..StepExtras::default() };
        let refusal = Event::Refuse { reason: format!("#{into}") };
        self.apply_step(duplicate, actor, &refusal, &StepNote::remark(&remark), extras).await
    }

    /// Reports that may repeat this one: same category, open, not merged, within
    /// [`linli_domain::case::DUPLICATE_WINDOW_MS`] and in the same building or nearby.
    pub async fn possible_duplicates(&self, case_id: i64) -> StoreResult<Vec<CaseRow>> {
        type Spot = (i64, i64, Option<i64>, Option<f64>, Option<f64>);
        type Me = (i64, i64, i64, Option<i64>, Option<f64>, Option<f64>);
        let me: Option<Me> = read!(self, |db| sqlx::query_as(
            "SELECT community_id, category_id, reported_at, building_id, lon, lat FROM cases WHERE id = $1"
        )
        .bind(case_id)
        .fetch_optional(db)
        .await?);
        let Some((community, category, at, building, lon, lat)) = me else { return Err(StoreError::NotFound) };
        let window = linli_domain::case::DUPLICATE_WINDOW_MS;
        let near: Vec<Spot> = read!(self, |db| sqlx::query_as(
            "SELECT id, reported_at, building_id, lon, lat FROM cases WHERE community_id = $1 AND category_id = $2 \
             AND id <> $3 AND reported_at BETWEEN $4 AND $5 AND state NOT IN ('closed', 'refused') \
             AND merged_into IS NULL ORDER BY reported_at LIMIT 50"
        )
        .bind(community)
        .bind(category)
        .bind(case_id)
        .bind(at - window)
        .bind(at + window)
        .fetch_all(db)
        .await?);
        let here = lon.zip(lat);
        let mut out = Vec::new();
        for (id, other_at, other_building, olon, olat) in near {
            if linli_domain::case::possible_duplicate(at, other_at, building, other_building, here, olon.zip(olat)) {
                out.push(self.case(id).await?);
            }
        }
        Ok(out)
    }

    async fn apply_step(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &StepNote<'_>,
        extras: StepExtras<'_>,
    ) -> StoreResult<CaseRow> {
        let StepExtras { photos, merged_into, dispatch_to, idempotency_key } = extras;
        let now = now_ms();
        let row: Loop = read!(self, |db| sqlx::query_as(
            "SELECT community_id, grid_id, category_id, state, level, resume_to, suspended_at, registered_at, deadline, \
             reworks, extensions, reopened, self_resolved, rating, version FROM cases WHERE id = $1"
        )
        .bind(case_id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)?;
        let before = row.case();
        let late = row.deadline.is_some_and(|d| d < now);
        let after = before.apply(event, late).map_err(|e| StoreError::Invalid(FieldError::new("step", e.key)))?;
        if matches!(event, Event::VerifyPass | Event::Refuse { .. }) {
            let open: i64 = read!(self, |db| sqlx::query_scalar(
                "SELECT COUNT(*) FROM alarms WHERE case_id = $1 AND closed = FALSE"
            )
            .bind(case_id)
            .fetch_one(db)
            .await?);
            linli_domain::case::check_open_alarms(event, open).map_err(StoreError::Invalid)?;
        }
        let category = self.case_category(row.category_id).await?;
        // The calendar matters only to the steps that move the deadline.
        let calendar = match event {
            Event::Register | Event::Resume | Event::Extend => self.work_calendar().await?,
            _ => Calendar::default(),
        };
        let limit = category.limit();
        let mut registered_at = row.registered_at;
        let mut deadline = row.deadline;
        let mut suspended_at = row.suspended_at;
        let mut assignee: Option<(Option<i64>, Option<i64>)> = None;
        let mut set_dispatched = false;
        let mut set_accepted = false;
        let mut closed_at: Option<Option<i64>> = None;
        match event {
            Event::Register => {
                registered_at = Some(now);
                deadline = Some(utc_ms(calendar.deadline(china_time(now), limit, &[])));
            }
            Event::Dispatch => {
                assignee = Some(match dispatch_to {
                    Some(holder) => self.check_holder(row.community_id, holder).await?.columns(),
                    None => self.route(row.community_id, row.grid_id, &category.handler, after.level).await?,
                });
                set_dispatched = true;
            }
            // Back with the staff, held by no one in particular until dispatched again.
            Event::HandBack { .. } => assignee = Some((None, None)),
            Event::Accept => set_accepted = true,
            Event::VerifyPass => closed_at = Some(Some(now)),
            Event::Reopen => closed_at = Some(None),
            Event::Suspend => suspended_at = Some(now),
            Event::Resume => {
                if let (Some(from), Some(d)) = (suspended_at, deadline) {
                    let resumed = calendar.resumed(china_time(d), limit.kind, china_time(from), china_time(now));
                    deadline = Some(utc_ms(resumed));
                }
                suspended_at = None;
            }
            Event::Extend => {
                deadline = deadline.map(|d| utc_ms(calendar.deadline(china_time(d), limit, &[])));
            }
            Event::Escalate => assignee = Some((None, None)),
            _ => {}
        }
        // A refusal's reason is told to the reporter: it is public by nature.
        let public = note.public || matches!(event, Event::Refuse { .. });
        let remark = note.remark;
        let note = linli_domain::clean_text(note.text);
        let note = note.as_str();
        let rating = match event {
            Event::Rate { .. } => Some(note.to_owned()),
            _ => None,
        };
        // The timeline shows a rating's stars before its comment.
        let note = match event {
            Event::Rate { stars } => {
                format!("{}{}{note}", "★".repeat(usize::from(*stars)), if note.is_empty() { "" } else { " " })
            }
            _ => note.to_owned(),
        };
        let note = note.as_str();
        // What the reporter is told, in words: the deadline of a case taken on, a refusal's
        // reason, who received it, the handler's public note.
        let detail = match event {
            Event::Register => deadline.map(|d| china_time(d).format("%Y-%m-%d").to_string()).unwrap_or_default(),
            Event::Refuse { .. } | Event::HandBack { .. } => note.to_owned(),
            Event::Dispatch => self.holder_name(row.community_id, assignee.unwrap_or_default()).await?,
            Event::Feedback if public => note.to_owned(),
            _ => String::new(),
        };
        let changed = transaction!(self, |tx| {
            let n =
                crate::exec!(tx, sqlx::query(
                "UPDATE cases SET state = $2, level = $3, resume_to = $4, suspended_at = $5, registered_at = $6, \
                 deadline = $7, reworks = $8, extensions = $9, reopened = $10, self_resolved = $11, rating = $12, \
                 rating_comment = COALESCE($13, rating_comment), \
                 assignee_account_id = CASE WHEN $14 THEN $15 ELSE assignee_account_id END, \
                 assignee_organisation_id = CASE WHEN $14 THEN $16 ELSE assignee_organisation_id END, \
                 dispatched_at = CASE WHEN $17 THEN $20 ELSE dispatched_at END, \
                 accepted_at = CASE WHEN $18 THEN $20 ELSE accepted_at END, \
                 closed_at = CASE WHEN $19 THEN $21 ELSE closed_at END, \
                 handled_by = CASE WHEN $23 THEN $24 ELSE handled_by END, \
                 version = version + 1 WHERE id = $1 AND version = $22",
            )
            .bind(case_id)
            .bind(after.state.as_str())
            .bind(after.level.as_str())
            .bind(after.resume_to.map(State::as_str))
            .bind(suspended_at)
            .bind(registered_at)
            .bind(deadline)
            .bind(i64::from(after.reworks))
            .bind(i64::from(after.extensions))
            .bind(i64::from(after.reopened))
            .bind(after.self_resolved)
            .bind(after.rating.map(i64::from))
            .bind(&rating)
            .bind(assignee.is_some())
            .bind(assignee.and_then(|a| a.0))
            .bind(assignee.and_then(|a| a.1))
            .bind(set_dispatched)
            .bind(set_accepted)
            .bind(closed_at.is_some())
            .bind(now)
            .bind(closed_at.flatten())
            .bind(row.version)
            .bind(matches!(event, Event::Feedback))
            .bind(actor))?;
            if n == 0 {
                return Err(StoreError::Invalid(FieldError::new("step", "error.case.changed")));
            }
            let step = NewEvent {
                actor,
                to: after.state,
                note,
                remark,
                public,
                idempotency_key,
                ..NewEvent::new(case_id, now, event.kind(), before.state)
            };
            let event_id = insert_event(tx, &step).await?;
            crate::photos::insert_photos(tx, case_id, event_id, photos, now).await?;
            if let Some((kind, who)) = crate::notifications::notice_of(event) {
                let notice = Notice { kind, who, actor, dedupe: None, detail: &detail, remark };
                crate::notifications::notify(tx, case_id, &notice, now).await?;
            }
            if let Some(kind) = crate::notifications::reporter_notice_of(event) {
                let who = crate::notifications::REPORTER;
                let notice = Notice { kind, who, actor, dedupe: None, detail: &detail, remark };
                crate::notifications::notify(tx, case_id, &notice, now).await?;
            }
            if let Some(into) = merged_into {
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE cases SET merged_into = $1 WHERE id = $2").bind(into).bind(case_id)
                )?;
                crate::disputes::note(
                    tx,
                    into,
                    now,
                    actor,
                    "merged",
                    crate::disputes::Said::Remark(&Remark::Merged { case: case_id }),
                )
                .await?;
            }
        });
        changed?;
        self.case(case_id).await
    }

    /// Who holds a case, in words: the party (物业、社会组织), the person, or the community
    /// itself when no one in particular was given it.
    pub(super) async fn holder_name(
        &self,
        community_id: i64,
        (account, organisation): (Option<i64>, Option<i64>),
    ) -> StoreResult<String> {
        Ok(match (account, organisation) {
            (_, Some(org)) => self.organisation(org).await?.name,
            (Some(account), None) => self.display_names(&[account]).await?.remove(&account).unwrap_or_default(),
            (None, None) => self.community(community_id).await?.name,
        })
    }
}
