//! The owners' assembly in the store, on both backends: the notice freezes the roll and
//! the matters, one ballot per voter however many are sent at once, paper beside online,
//! the count, and the hash chain that shows a changed ballot.

use linli_domain::assembly::{Channel, Choice, Form, Marks, MatterKind};
use linli_store::assemblies::{Cast, CastOutcome, NewAssembly, NewMatter};
use linli_store::ownership::NewHolder;
use linli_store::{Store, StoreError, exec, read, transaction};
use linli_test_support::{dual_backend_test, in_days, set_voting_window, small_demo};

fn today() -> String {
    linli_store::today().to_string()
}

fn new_assembly(community_id: i64, allow_changes: bool) -> NewAssembly {
    NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id,
        title: "续聘物业服务企业".into(),
        form: Form::Written,
        opens_on: today(),
        closes_on: in_days(10),
        allow_changes,
        show_running: false,
        matters: vec![
            NewMatter { kind: MatterKind::PropertyCompany, title: "续聘安居物业".into(), body: String::new() },
            NewMatter { kind: MatterKind::RaiseFund, title: "续筹维修资金".into(), body: String::new() },
        ],
    }
}

fn cast(assembly_id: i64, elector_id: i64, channel: Channel, marks: Marks) -> Cast {
    Cast {
        assembly_id,
        elector_id,
        channel,
        marks,
        cast_by: None,
        on_paper: channel == Channel::Paper,
        today: today(),
        at: linli_store::now_ms(),
    }
}

fn both(a: Choice, b: Choice) -> Marks {
    Marks::Choices(vec![Some(a), Some(b)])
}

fn field_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> &'static str {
    match r {
        Err(StoreError::Invalid(e)) => e.field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn published(store: &Store, allow_changes: bool) -> (i64, i64) {
    let demo = linli_store::demo::load(store, &small_demo()).await.unwrap();
    let id = store.create_assembly(&new_assembly(demo.community_id, allow_changes), None).await.unwrap();
    store.publish_assembly(id, false).await.unwrap();
    (demo.community_id, id)
}

dual_backend_test!(the_notice_freezes_the_roll_as_the_register_counts_it, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let id = db.store.create_assembly(&new_assembly(c, false), None).await.unwrap();
    let draft = db.store.assembly(id).await.unwrap();
    assert!(draft.noticed_at.is_none() && draft.electorate().is_none());

    let frozen = db.store.publish_assembly(id, false).await.unwrap();
    let register = db.store.electorate(c).await.unwrap();
    assert_eq!((frozen.owners, frozen.area_dm2), (register.owners as i64, register.area.dm2()));
    let electors = db.store.assembly_electors(id).await.unwrap();
    assert_eq!(electors.len() as i64, frozen.owners);
    assert_eq!(electors.iter().map(|e| e.area_dm2).sum::<i64>(), frozen.area_dm2);
    assert!(electors.iter().any(|e| e.units > 1), "the developer's unsold units are one voter");

    assert_eq!(field_of(db.store.publish_assembly(id, false).await), "assembly", "a notice goes out once");

    // A unit sold during the window: the roll stays as it was at the notice, so the seller
    // still votes for it and the buyer is not on this assembly's roll.
    let unit: i64 = read!(db.store, |d| sqlx::query_scalar(
        "SELECT s.household_id FROM ownerships s JOIN owners o ON o.id = s.owner_id \
         WHERE s.community_id = $1 AND s.until IS NULL AND o.kind = 'person' ORDER BY s.household_id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap());
    let seller = db.store.unit_owners(unit).await.unwrap()[0].owner_id;
    let buyer = NewHolder::Person {
        name: "钱新".into(),
        id_number: linli_domain::person::IdNumber::parse("id_number", "110105195001010039", linli_store::today())
            .unwrap(),
        phone: None,
    };
    db.store.transfer_unit(unit, &[buyer], linli_store::today()).await.unwrap();
    let buyer_id = db.store.unit_owners(unit).await.unwrap().into_iter().find(|o| o.until.is_none()).unwrap().owner_id;
    assert!(db.store.elector_of_owner(id, seller).await.unwrap().is_some());
    assert!(db.store.elector_of_owner(id, buyer_id).await.unwrap().is_none());
    assert_eq!(db.store.assembly_electors(id).await.unwrap().len(), electors.len());
});

dual_backend_test!(an_assembly_without_matters_is_refused_and_nothing_is_written, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let mut new = new_assembly(demo.community_id, false);
    new.matters.clear();
    assert_eq!(field_of(db.store.create_assembly(&new, None).await), "matters");
    assert!(db.store.assemblies(demo.community_id).await.unwrap().is_empty());
});

dual_backend_test!(sixty_four_submissions_of_one_ballot_at_once_store_exactly_one, |db| {
    let (_, id) = published(&db.store, false).await;
    let elector = db.store.assembly_electors(id).await.unwrap()[0].id;
    let tries = (0..64).map(|i| {
        let store = db.store.clone();
        let choice = if i % 2 == 0 { Choice::Agree } else { Choice::Oppose };
        tokio::spawn(async move { store.cast_ballot(&cast(id, elector, Channel::Online, both(choice, choice))).await })
    });
    let mut counted = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(CastOutcome::Counted { .. }) => counted += 1,
            Err(StoreError::Invalid(e)) => assert_eq!((e.field, e.key), ("ballot", "error.assembly.cast_once")),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(counted, 1);
    let stored: i64 =
        read!(db.store, |d| sqlx::query_scalar("SELECT COUNT(*) FROM assembly_ballots WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap());
    assert_eq!(stored, 1);
    assert!(db.store.verify_ballot_chain(id).await.unwrap().is_ok());
});

dual_backend_test!(the_last_ballot_counts_where_changes_are_allowed_and_online_beats_paper, |db| {
    let (_, id) = published(&db.store, true).await;
    let electors = db.store.assembly_electors(id).await.unwrap();
    let (a, b) = (electors[0].id, electors[1].id);
    let first =
        db.store.cast_ballot(&cast(id, a, Channel::Online, both(Choice::Oppose, Choice::Oppose))).await.unwrap();
    let second = db.store.cast_ballot(&cast(id, a, Channel::Online, both(Choice::Agree, Choice::Agree))).await.unwrap();
    assert_ne!(first, second, "a new receipt for the new ballot");
    // Paper for a voter who voted online: kept in the chain, not counted.
    let paper = db.store.cast_ballot(&cast(id, a, Channel::Paper, both(Choice::Oppose, Choice::Oppose))).await.unwrap();
    assert_eq!(paper, CastOutcome::Superseded);
    // Paper first, then online: the online ballot counts.
    db.store.cast_ballot(&cast(id, b, Channel::Paper, both(Choice::Oppose, Choice::Oppose))).await.unwrap();
    db.store.cast_ballot(&cast(id, b, Channel::Online, both(Choice::Agree, Choice::Abstain))).await.unwrap();
    let t = db.store.assembly_tally(id).await.unwrap();
    assert_eq!((t.participation.owners, t.matters[0].agree.owners, t.matters[0].oppose.owners), (2, 2, 0));
    assert_eq!((t.channels.online, t.channels.paper), (2, 0));
    assert_eq!(db.store.verify_ballot_chain(id).await.unwrap().map(|h| h.len()), Ok(64), "five links, one chain");
});

dual_backend_test!(ballots_outside_the_roll_the_window_or_the_matters_are_refused, |db| {
    let (c, id) = published(&db.store, false).await;
    let elector = db.store.assembly_electors(id).await.unwrap()[0].id;
    let mut late = cast(id, elector, Channel::Online, both(Choice::Agree, Choice::Agree));
    late.today = in_days(11);
    assert_eq!(field_of(db.store.cast_ballot(&late).await), "ballot");
    let short = cast(id, elector, Channel::Online, Marks::Choices(vec![Some(Choice::Agree)]));
    assert_eq!(field_of(db.store.cast_ballot(&short).await), "marks");
    let other = db.store.create_assembly(&new_assembly(c, false), None).await.unwrap();
    let draft_ballot = cast(other, elector, Channel::Online, both(Choice::Agree, Choice::Agree));
    assert_eq!(field_of(db.store.cast_ballot(&draft_ballot).await), "ballot", "no ballot before the notice");
    db.store.publish_assembly(other, false).await.unwrap();
    let foreign = cast(other, elector, Channel::Online, both(Choice::Agree, Choice::Agree));
    assert_eq!(field_of(db.store.cast_ballot(&foreign).await), "ballot", "a voter of another assembly");
    // Paper ballots are keyed in after the window too.
    let mut paper = cast(id, elector, Channel::Paper, both(Choice::Agree, Choice::Oppose));
    paper.today = in_days(12);
    assert!(db.store.cast_ballot(&paper).await.is_ok());
    let links: i64 =
        read!(db.store, |d| sqlx::query_scalar("SELECT COUNT(*) FROM assembly_ballot_links WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap());
    assert_eq!(links, 1, "refused ballots leave nothing in the chain");
});

dual_backend_test!(the_count_matches_an_independent_count_and_a_changed_ballot_breaks_the_chain, |db| {
    let (_, id) = published(&db.store, false).await;
    let electors = db.store.assembly_electors(id).await.unwrap();
    let frozen = db.store.assembly(id).await.unwrap().electorate().unwrap();
    // Nine in ten vote: 4 of 5 agree on the first matter, 3 of 5 on the second.
    let (mut yes_area, mut yes_owners, mut voted_area, mut voted_owners) = (0, 0, 0, 0);
    for (i, e) in electors.iter().enumerate().filter(|(i, _)| i % 10 != 9) {
        let first = if i % 5 == 0 { Choice::Oppose } else { Choice::Agree };
        let second = if i % 5 < 2 { Choice::Oppose } else { Choice::Agree };
        db.store.cast_ballot(&cast(id, e.id, Channel::Online, both(first, second))).await.unwrap();
        voted_area += e.area_dm2;
        voted_owners += 1;
        if first == Choice::Agree {
            yes_area += e.area_dm2;
            yes_owners += 1;
        }
    }
    let t = db.store.assembly_tally(id).await.unwrap();
    assert_eq!((t.participation.area_dm2, t.participation.owners), (voted_area, voted_owners));
    assert_eq!((t.matters[0].agree.area_dm2, t.matters[0].agree.owners), (yes_area, yes_owners));
    assert_eq!(t.electorate, frozen);
    assert!(t.quorum);
    assert!(t.matters[0].passed, "{t:?}");
    assert!(!t.matters[1].passed, "3 in 5 is less than the 3/4 a fund raise needs: {t:?}");

    let head = db.store.verify_ballot_chain(id).await.unwrap().unwrap();
    assert_eq!(head, db.store.assembly(id).await.unwrap().chain_head);
    // Someone with database access turns one ballot round.
    transaction!(db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE assembly_ballots SET marks = 'agree,agree' WHERE assembly_id = $1 AND elector_id = $2")
                .bind(id)
                .bind(electors[0].id)
        )?
    })
    .unwrap();
    assert!(db.store.verify_ballot_chain(id).await.unwrap().is_err(), "the changed ballot no longer matches its link");
    // And the chain itself cannot be rewritten.
    let rewrite = transaction!(db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE assembly_ballot_links SET marks = 'agree,agree' WHERE assembly_id = $1").bind(id)
        )?
    });
    assert!(rewrite.is_err());
});

dual_backend_test!(the_count_closes_after_the_window_keeps_the_chains_hash_and_takes_no_more_ballots, |db| {
    let (_, id) = published(&db.store, false).await;
    let electors = db.store.assembly_electors(id).await.unwrap();
    let receipt = match db
        .store
        .cast_ballot(&cast(id, electors[0].id, Channel::Online, both(Choice::Agree, Choice::Oppose)))
        .await
        .unwrap()
    {
        CastOutcome::Counted { receipt } => receipt,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(db.store.count_assembly(id, &today(), &in_days(7)).await),
        "assembly",
        "not while voting is open"
    );
    let after = in_days(11);
    let hash = db.store.count_assembly(id, &after, &in_days(7)).await.unwrap();
    let counted = db.store.assembly(id).await.unwrap();
    assert_eq!((counted.tally_hash.as_deref(), counted.counted_at.is_some()), (Some(hash.as_str()), true));
    assert_eq!(db.store.verify_ballot_chain(id).await.unwrap(), Ok(hash));
    assert_eq!(field_of(db.store.count_assembly(id, &after, &in_days(7)).await), "assembly", "a count closes once");
    let mut late = cast(id, electors[1].id, Channel::Paper, both(Choice::Agree, Choice::Agree));
    late.today = after;
    assert_eq!(field_of(db.store.cast_ballot(&late).await), "ballot", "no paper after the count");
    let found = db.store.ballot_by_receipt(id, &receipt.to_lowercase()).await.unwrap().unwrap();
    assert_eq!(found.marks, "agree,oppose");
    assert!(db.store.ballot_by_receipt(id, "ZZZZZZZZZZ").await.unwrap().is_none());
});

mod paper_and_proxies {
    use super::*;
    use linli_domain::assembly::DoubleEntry;
    use linli_store::assemblies::paper::{PaperEntry, PaperOutcome};
    use linli_store::assemblies::proxies::NewProxy;
    use linli_store::photos::NewPhoto;

    fn photo() -> Option<NewPhoto> {
        Some(NewPhoto { bytes: vec![0xFF, 0xD8, 1], thumbnail: vec![0xFF, 0xD8] })
    }

    fn entry(assembly_id: i64, elector_id: i64, by: i64, marks: Marks, photo: Option<NewPhoto>) -> PaperEntry {
        PaperEntry {
            assembly_id,
            elector_id,
            marks,
            by_proxy: false,
            photo,
            entered_by: by,
            today: today(),
            at: linli_store::now_ms(),
        }
    }

    async fn two_accounts(store: &Store) -> (i64, i64) {
        let ids: Vec<i64> = read!(store, |d| sqlx::query_scalar("SELECT id FROM accounts ORDER BY id LIMIT 2")
            .fetch_all(d)
            .await
            .unwrap());
        (ids[0], ids[1])
    }

    async fn entries(store: &Store, id: i64) -> i64 {
        read!(store, |d| sqlx::query_scalar("SELECT COUNT(*) FROM assembly_paper_entries WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap())
    }

    dual_backend_test!(a_paper_ballot_counts_when_two_people_key_in_the_same_and_a_mismatch_is_flagged, |db| {
        let (_, id) = published(&db.store, false).await;
        let (alice, bob) = two_accounts(&db.store).await;
        let electors = db.store.assembly_electors(id).await.unwrap();
        let (a, b) = (electors[0].id, electors[1].id);
        let status = |roll: &[linli_store::assemblies::paper::RollEntry], e: i64| {
            let r = roll.iter().find(|r| r.elector_id == e).unwrap();
            (r.paper, r.ballot)
        };

        // The first entry needs the paper's photo: refused naming it, nothing written.
        let r = db.store.enter_paper(&entry(id, a, alice, both(Choice::Agree, Choice::Oppose), None)).await;
        assert_eq!(field_of(r), "photo");
        assert_eq!(entries(&db.store, id).await, 0);
        // A voter of another assembly, or none at all, is refused.
        let r = db.store.enter_paper(&entry(id, 999_999, alice, both(Choice::Agree, Choice::Oppose), photo())).await;
        assert_eq!(field_of(r), "ballot");

        let first = db.store.enter_paper(&entry(id, a, alice, both(Choice::Agree, Choice::Oppose), photo())).await;
        assert_eq!(first.unwrap(), PaperOutcome::AwaitingSecond);
        // The same person keying it again is still one entry, not two.
        let again = db.store.enter_paper(&entry(id, a, alice, both(Choice::Agree, Choice::Oppose), None)).await;
        assert_eq!(again.unwrap(), PaperOutcome::AwaitingSecond);
        assert_eq!(entries(&db.store, id).await, 1);
        assert_eq!(status(&db.store.assembly_roll(id).await.unwrap(), a), (DoubleEntry::Once, None));

        // A second person reads it otherwise: flagged, nothing counted.
        let differ = db.store.enter_paper(&entry(id, a, bob, both(Choice::Agree, Choice::Agree), None)).await;
        assert_eq!(differ.unwrap(), PaperOutcome::Mismatch);
        assert_eq!(status(&db.store.assembly_roll(id).await.unwrap(), a), (DoubleEntry::Mismatch, None));
        assert_eq!(db.store.assembly_tally(id).await.unwrap().participation.owners, 0);

        // Bob checks the photo and keys it again: the readings agree and the ballot counts.
        let agreed = db.store.enter_paper(&entry(id, a, bob, both(Choice::Agree, Choice::Oppose), None)).await;
        assert!(matches!(agreed.unwrap(), PaperOutcome::Cast(CastOutcome::Counted { .. })));
        assert_eq!(status(&db.store.assembly_roll(id).await.unwrap(), a), (DoubleEntry::Agreed, Some(Channel::Paper)));
        let t = db.store.assembly_tally(id).await.unwrap();
        assert_eq!((t.channels.paper, t.matters[0].agree.owners, t.matters[1].oppose.owners), (1, 1, 1));

        // An owner who voted online and on paper: the online ballot counts.
        db.store.cast_ballot(&cast(id, b, Channel::Online, both(Choice::Oppose, Choice::Oppose))).await.unwrap();
        db.store.enter_paper(&entry(id, b, alice, both(Choice::Agree, Choice::Agree), photo())).await.unwrap();
        let kept = db.store.enter_paper(&entry(id, b, bob, both(Choice::Agree, Choice::Agree), None)).await.unwrap();
        assert_eq!(kept, PaperOutcome::Cast(CastOutcome::Superseded));
        let t = db.store.assembly_tally(id).await.unwrap();
        assert_eq!((t.channels.online, t.channels.paper, t.matters[0].oppose.owners), (1, 1, 1));
        assert!(db.store.verify_ballot_chain(id).await.unwrap().is_ok());
    });

    dual_backend_test!(a_proxy_casts_the_owners_ballot_until_revoked_and_the_owners_own_ballot_prevails, |db| {
        let (c, id) = published(&db.store, true).await;
        let (desk, _) = two_accounts(&db.store).await;
        let electors = db.store.assembly_electors(id).await.unwrap();
        let (a, b) = (electors[0].id, electors[1].id);
        // The proxy is a resident with an account here, found by their ID number.
        let (proxy_account, sealed): (i64, String) = read!(db.store, |d| sqlx::query_as(
            "SELECT a.id, r.id_number_enc FROM accounts a JOIN residents r ON r.id = a.resident_id \
             WHERE r.community_id = $1 AND r.id_number_enc IS NOT NULL ORDER BY a.id LIMIT 1"
        )
        .bind(c)
        .fetch_one(d)
        .await
        .unwrap());
        let number = db.store.key().open(linli_store::registry::FIELD_ID_NUMBER, &sealed).unwrap();
        let id_number = linli_domain::person::IdNumber::parse("id_number", &number, linli_store::today()).unwrap();
        let proxy = |elector_id| NewProxy {
            assembly_id: id,
            elector_id,
            name: "李四".into(),
            id_number: id_number.clone(),
            authorisation: photo().unwrap(),
            registered_by: desk,
        };

        let p = db.store.register_proxy(&proxy(a)).await.unwrap();
        assert_eq!(field_of(db.store.register_proxy(&proxy(a)).await), "proxy", "one proxy in force per voter");
        let mine = db.store.proxied_by(id, proxy_account).await.unwrap();
        assert_eq!(mine.iter().map(|p| p.elector_id).collect::<Vec<_>>(), vec![a]);
        assert!(!mine[0].id_number_masked.contains(&number[6..14]), "the birth date is masked");
        // Without a proxy in force, nobody casts a proxy ballot.
        let r = db.store.cast_ballot(&cast(id, b, Channel::Proxy, both(Choice::Agree, Choice::Agree))).await;
        assert_eq!(field_of(r), "proxy");

        // Revoked before anyone voted: the proxy can no longer vote.
        db.store.revoke_proxy(id, p, desk).await.unwrap();
        assert!(db.store.proxied_by(id, proxy_account).await.unwrap().is_empty());
        let r = db.store.cast_ballot(&cast(id, a, Channel::Proxy, both(Choice::Agree, Choice::Agree))).await;
        assert_eq!(field_of(r), "proxy");

        // Registered again, the proxy votes; then it can no longer be revoked.
        let p = db.store.register_proxy(&proxy(a)).await.unwrap();
        let voted = db.store.cast_ballot(&cast(id, a, Channel::Proxy, both(Choice::Agree, Choice::Agree))).await;
        assert!(matches!(voted.unwrap(), CastOutcome::Counted { .. }));
        assert_eq!(field_of(db.store.revoke_proxy(id, p, desk).await), "proxy");
        // The owner votes too: their own ballot counts, and the proxy cannot override it.
        db.store.cast_ballot(&cast(id, a, Channel::Online, both(Choice::Oppose, Choice::Oppose))).await.unwrap();
        let r = db.store.cast_ballot(&cast(id, a, Channel::Proxy, both(Choice::Agree, Choice::Agree))).await;
        assert_eq!(field_of(r), "ballot");
        let t = db.store.assembly_tally(id).await.unwrap();
        assert_eq!((t.channels.online, t.channels.proxy, t.matters[0].oppose.owners), (1, 0, 1));
        // A voter whose ballot is in gets no proxy.
        assert_eq!(field_of(db.store.register_proxy(&proxy(a)).await), "proxy");
        // A proxy's paper ballot needs a proxy in force.
        let mut on_paper = entry(id, b, desk, both(Choice::Agree, Choice::Agree), photo());
        on_paper.by_proxy = true;
        assert_eq!(field_of(db.store.enter_paper(&on_paper).await), "proxy");
    });
}

dual_backend_test!(the_demo_has_a_counted_assembly_with_every_channel_an_election_and_one_open_for_voting, |db| {
    let spec = linli_store::demo::DemoSpec { assemblies: true, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let all = db.store.assemblies(demo.community_id).await.unwrap();
    let today = today();
    let counted: Vec<_> = all.iter().filter(|a| a.counted_at.is_some() && a.seats.is_none()).collect();
    let open: Vec<_> = all.iter().filter(|a| a.is_open_on(&today)).collect();
    assert_eq!((counted.len(), open.len()), (1, 1));
    assert_eq!(db.store.documents(open[0].id).await.unwrap().len(), 1, "the open vote's site plan");
    let waiting = db.store.pending_verifications(demo.community_id).await.unwrap();
    assert_eq!(waiting.len(), 1, "an owner waits to be verified");
    assert!(waiting[0].owner_id.is_some() && waiting[0].resident_id.is_some());

    // A year of the property company's scorecards: a survey every quarter, records in force.
    let company: i64 = read!(db.store, |d| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE community_id = $1 AND kind = 'property_company' ORDER BY id LIMIT 1"
    )
    .bind(demo.community_id)
    .fetch_one(d)
    .await
    .unwrap());
    let quarter = linli_domain::scorecard::quarter_of(linli_store::today());
    let card = db.store.scorecard(company, &quarter, Default::default()).await.unwrap();
    assert!(card.inputs.survey.is_some() && card.inputs.good > 0 && card.inputs.bad > 0, "{:?}", card.inputs);

    // The committee election: five elected, an alternate, one who did not pass.
    let election = all.iter().find(|a| a.seats == Some(5)).expect("an election");
    assert!(election.finalised_at.is_some());
    let candidates = db.store.candidates(election.id).await.unwrap();
    let tally = db.store.assembly_tally(election.id).await.unwrap();
    assert!(tally.quorum);
    let result = linli_store::assemblies::elections::election_result(5, &candidates, &tally);
    use linli_domain::election::Outcome;
    let count = |o: Outcome| result.with(o).count();
    assert_eq!(
        (count(Outcome::Elected), count(Outcome::Alternate), count(Outcome::NotPassed), result.vacancies),
        (5, 1, 1, 0)
    );

    let done = counted[0];
    assert_eq!(db.store.verify_ballot_chain(done.id).await.unwrap().ok(), done.tally_hash, "the published hash holds");
    let t = db.store.assembly_tally(done.id).await.unwrap();
    assert!(t.channels.online > 0 && t.channels.paper > 0 && t.channels.proxy > 0, "{:?}", t.channels);
    assert!(t.quorum && t.matters.iter().all(|m| m.passed), "the re-hiring passed");
    let roll = db.store.assembly_roll(done.id).await.unwrap();
    assert!(roll.iter().all(|r| r.paper != linli_domain::assembly::DoubleEntry::Mismatch), "every pair settled");
    assert!(!db.store.assembly_proxies(done.id).await.unwrap().is_empty());

    // The open one: participation under way and short of 2/3, the demo resident still to vote,
    // and some paper on the desk waiting for its second entry.
    let live = open[0];
    let t = db.store.assembly_tally(live.id).await.unwrap();
    let whole = live.electorate().unwrap();
    assert!(t.participation.owners > 0 && !t.participation.is_quorum_of(whole));
    let resident = demo.account(linli_domain::Role::Resident).unwrap().account_id;
    let owner = db.store.owners_of_account(demo.community_id, resident).await.unwrap()[0];
    let voter = db.store.elector_of_owner(live.id, owner).await.unwrap().unwrap();
    assert!(db.store.ballot_of(live.id, voter.id).await.unwrap().is_none());
    let voted = db.store.elector_of_owner(done.id, owner).await.unwrap().unwrap();
    assert!(db.store.ballot_of(done.id, voted.id).await.unwrap().is_some(), "a receipt to check");
    let waiting = db.store.assembly_roll(live.id).await.unwrap();
    assert!(waiting.iter().any(|r| r.paper == linli_domain::assembly::DoubleEntry::Once));
});

dual_backend_test!(objections_are_answered_before_the_final_result_and_owners_are_told, |db| {
    let (_, id) = published(&db.store, false).await;
    let electors = db.store.assembly_electors(id).await.unwrap();
    let account: i64 =
        read!(db.store, |d| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(d).await.unwrap());
    db.store.cast_ballot(&cast(id, electors[0].id, Channel::Online, both(Choice::Agree, Choice::Agree))).await.unwrap();
    // Before the count there is nothing to object to.
    assert_eq!(field_of(db.store.object(id, electors[0].id, account, "未计入", &today()).await), "assembly");
    set_voting_window(&db.store, id, -9, -1).await;
    db.store.count_assembly(id, &today(), &in_days(7)).await.unwrap();

    let objection = db.store.object(id, electors[1].id, account, "我的纸质票未计入", &today()).await.unwrap();
    assert_eq!(field_of(db.store.finalise_assembly(id, &in_days(3)).await), "assembly", "not during the period");
    assert_eq!(
        field_of(db.store.finalise_assembly(id, &in_days(8)).await),
        "assembly",
        "not with an objection unanswered"
    );
    assert_eq!(
        field_of(db.store.object(id, electors[1].id, account, "又一条", &in_days(8)).await),
        "objection",
        "period over"
    );
    db.store.answer_objection(id, objection, account, "经核对原件，该票未签名，按无效票处理").await.unwrap();
    assert!(
        matches!(db.store.answer_objection(id, objection, account, "再答").await, Err(StoreError::NotFound)),
        "once"
    );
    db.store.finalise_assembly(id, &in_days(8)).await.unwrap();
    assert!(db.store.assembly(id).await.unwrap().finalised_at.is_some());
    assert_eq!(field_of(db.store.finalise_assembly(id, &in_days(9)).await), "assembly", "published once");
    let told: i64 = read!(db.store, |d| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE assembly_id = $1 AND kind = 'assembly_final'"
    )
    .bind(id)
    .fetch_one(d)
    .await
    .unwrap());
    assert!(told > 0, "the final result reaches the owners and staff");
    let record = db.store.ballot_record(id).await.unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].elector_id, electors[0].id);
});

/// The owners of record of the first `n` voters of the register (each voter's first holder).
async fn first_owners(store: &Store, community_id: i64, n: usize) -> Vec<i64> {
    use linli_domain::ownership::{Holder, voters};
    voters(&store.holdings(community_id).await.unwrap())
        .iter()
        .filter_map(|v| match v.holders.first() {
            Some(Holder::Owner(o)) => Some(*o),
            _ => None,
        })
        .take(n)
        .collect()
}

dual_backend_test!(a_petition_meets_its_double_bar_once_and_is_answered_by_one_meeting, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let account = demo.account(linli_domain::Role::Resident).unwrap().account_id;
    let roll = db.store.electorate(c).await.unwrap();
    // A fifth of the owners, rounded up, is where the headcount bar lies.
    let fifth = (roll.owners as usize).div_ceil(5);
    let owners = first_owners(&db.store, c, fifth + 5).await;

    assert_eq!(
        field_of(
            db.store.start_petition(c, "更换物业服务企业", "物业服务长期不达标，提议召开临时会议", account, &[]).await
        ),
        "petition",
        "someone who owns nothing here cannot petition"
    );
    let id = db
        .store
        .start_petition(c, "更换物业服务企业", "物业服务长期不达标，提议召开临时会议", account, &owners[..1])
        .await
        .unwrap();
    let petition = db.store.petition(id).await.unwrap();
    let s = db.store.petition_standing(&petition).await.unwrap();
    assert_eq!((s.signed.owners, s.whole.owners, s.met), (1, roll.owners as i64, false));

    // Signing twice changes nothing.
    db.store.sign_petition(id, account, &owners[..1]).await.unwrap();
    assert_eq!(db.store.petition_signatures(id).await.unwrap().len(), 1);

    // One short of a fifth of the owners: not met, whatever the area.
    let s = db.store.sign_petition(id, account, &owners[..fifth - 1]).await.unwrap();
    assert_eq!(s.signed.owners, fifth as i64 - 1);
    assert!(!s.met && db.store.petition(id).await.unwrap().met_at.is_none());
    let told = |store: &Store| {
        let store = store.clone();
        async move {
            read!(store, |d| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM notifications WHERE petition_id = $1 AND kind = 'petition_met'"
            )
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap())
        }
    };
    assert_eq!(told(&db.store).await, 0);

    // Enough owners holding enough area: met, and the convener and the signer are told once.
    let s = db.store.sign_petition(id, account, &owners).await.unwrap();
    assert!(s.met, "{s:?}");
    assert!(db.store.petition(id).await.unwrap().met_at.is_some());
    let first = told(&db.store).await;
    let staff = demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let committee = demo.account(linli_domain::Role::OwnersCommitteeMember).unwrap().account_id;
    for who in [staff, committee, account] {
        let n: i64 = read!(db.store, |d| sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE petition_id = $1 AND account_id = $2"
        )
        .bind(id)
        .bind(who)
        .fetch_one(d)
        .await
        .unwrap());
        assert_eq!(n, 1, "account {who} is told once");
    }
    db.store.withdraw_signature(id, &owners[..1]).await.unwrap();
    db.store.sign_petition(id, account, &owners[..1]).await.unwrap();
    assert_eq!(told(&db.store).await, first, "meeting the bar again tells no one twice");

    // A signer who sells stops counting: the bar is read over the register as it stands.
    let before = db.store.petition_standing(&db.store.petition(id).await.unwrap()).await.unwrap();
    let unit: i64 = read!(db.store, |d| sqlx::query_scalar(
        "SELECT household_id FROM ownerships WHERE owner_id = $1 AND until IS NULL ORDER BY household_id LIMIT 1"
    )
    .bind(owners[2])
    .fetch_one(d)
    .await
    .unwrap());
    let buyer = NewHolder::Person {
        name: "钱新".into(),
        id_number: linli_domain::person::IdNumber::parse("id_number", "110105195001010039", linli_store::today())
            .unwrap(),
        phone: None,
    };
    db.store.transfer_unit(unit, &[buyer], linli_store::today()).await.unwrap();
    let after = db.store.petition_standing(&db.store.petition(id).await.unwrap()).await.unwrap();
    assert!(after.signed.area_dm2 < before.signed.area_dm2, "the sold unit's area no longer counts");

    // One meeting answers the petition; a second is refused and nothing is written.
    let mut answer = new_assembly(c, false);
    answer.petition_id = Some(id);
    let assembly = db.store.create_assembly(&answer, None).await.unwrap();
    assert_eq!(db.store.petition(id).await.unwrap().assembly_id, Some(assembly));
    let before = db.store.assemblies(c).await.unwrap().len();
    assert_eq!(field_of(db.store.create_assembly(&answer, None).await), "petition");
    assert_eq!(db.store.assemblies(c).await.unwrap().len(), before, "the refused meeting left no row");
    assert_eq!(field_of(db.store.sign_petition(id, account, &owners[..1]).await), "petition");
    assert_eq!(field_of(db.store.withdraw_signature(id, &owners[..1]).await), "petition");

    // A petition whose bar is not met answers no meeting.
    let other = db
        .store
        .start_petition(c, "增设充电桩", "地下车库需要增设电动车充电设施，提议讨论", account, &owners[..1])
        .await
        .unwrap();
    let mut early = new_assembly(c, false);
    early.petition_id = Some(other);
    assert_eq!(field_of(db.store.create_assembly(&early, None).await), "petition");
});

dual_backend_test!(a_committee_election_fills_the_seats_from_those_who_pass_and_keeps_alternates, |db| {
    use linli_domain::election::{Nomination, Outcome};
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let mut new = new_assembly(c, false);
    new.title = "第二届业主委员会换届选举".into();
    new.matters.clear();
    new.seats = Some(5);
    let id = db.store.create_assembly(&new, None).await.unwrap();
    let assembly = db.store.assembly(id).await.unwrap();
    assert_eq!(field_of(db.store.publish_assembly(id, false).await), "candidate", "no candidates, no notice");

    let owners = first_owners(&db.store, c, 8).await;
    for o in &owners {
        db.store.add_candidate(&assembly, *o, Nomination::SelfNominated, "").await.unwrap();
    }
    assert_eq!(field_of(db.store.add_candidate(&assembly, owners[0], Nomination::Party, "").await), "candidate");
    // Taking the second candidate off moves the others up: positions stay 1..n.
    let second = db.store.candidates(id).await.unwrap()[1].id;
    db.store.remove_candidate(id, second).await.unwrap();
    let candidates = db.store.candidates(id).await.unwrap();
    assert_eq!(candidates.iter().map(|k| k.position).collect::<Vec<_>>(), (1..=7).collect::<Vec<i64>>());
    assert!(!candidates.iter().any(|k| k.owner_id == owners[1]));
    db.store.publish_assembly(id, false).await.unwrap();
    assert_eq!(
        field_of(db.store.add_candidate(&assembly, owners[1], Nomination::Joint, "").await),
        "assembly",
        "candidates are frozen with the notice"
    );

    // Three groups of owners: agreeing to 1-5, to 1-4 and 6, and to 1-3, 5 and 6.
    let agree_to = |set: &[usize]| {
        Marks::Choices((1..=7).map(|k| Some(if set.contains(&k) { Choice::Agree } else { Choice::Oppose })).collect())
    };
    let electors = db.store.assembly_electors(id).await.unwrap();
    let too_many = agree_to(&[1, 2, 3, 4, 5, 6]);
    assert_eq!(
        field_of(db.store.cast_ballot(&cast(id, electors[0].id, Channel::Online, too_many.clone())).await),
        "marks"
    );
    assert_eq!(field_of(db.store.cast_ballot(&cast(id, electors[0].id, Channel::Paper, too_many)).await), "marks");
    for (i, e) in electors.iter().enumerate() {
        let set: &[usize] = match i % 20 {
            0..=7 => &[1, 2, 3, 4, 5],
            8..=14 => &[1, 2, 3, 4, 6],
            _ => &[1, 2, 3, 5, 6],
        };
        db.store.cast_ballot(&cast(id, e.id, Channel::Online, agree_to(set))).await.unwrap();
    }
    let tally = db.store.assembly_tally(id).await.unwrap();
    let result = linli_store::assemblies::elections::election_result(5, &candidates, &tally);
    let named = |o: Outcome| -> Vec<i64> {
        let mut v: Vec<i64> =
            result.with(o).map(|s| candidates.iter().position(|k| k.id == s.candidate).unwrap() as i64 + 1).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(named(Outcome::Elected), vec![1, 2, 3, 4, 5]);
    assert_eq!(named(Outcome::Alternate), vec![6], "passes, after the seats: an alternate");
    assert_eq!(named(Outcome::NotPassed), vec![7]);
    assert_eq!(result.vacancies, 0);
});

dual_backend_test!(an_elected_committee_owes_its_duties_and_is_reminded_once_per_deadline, |db| {
    use linli_domain::election::Nomination;
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let staff = demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let mut new = new_assembly(c, false);
    new.matters.clear();
    new.seats = Some(5);
    let id = db.store.create_assembly(&new, None).await.unwrap();
    let assembly = db.store.assembly(id).await.unwrap();
    for o in first_owners(&db.store, c, 6).await {
        db.store.add_candidate(&assembly, o, Nomination::Joint, "").await.unwrap();
    }
    db.store.publish_assembly(id, false).await.unwrap();
    let yes = Marks::Choices((1..=6).map(|k| Some(if k < 6 { Choice::Agree } else { Choice::Oppose })).collect());
    for e in db.store.assembly_electors(id).await.unwrap() {
        db.store.cast_ballot(&cast(id, e.id, Channel::Online, yes.clone())).await.unwrap();
    }
    set_voting_window(&db.store, id, -10, -1).await;
    db.store.count_assembly(id, &today(), &in_days(-1)).await.unwrap();
    assert!(db.store.committees(c).await.unwrap().is_empty(), "no committee before the final result");
    db.store.finalise_assembly(id, &today()).await.unwrap();

    let committee = db.store.committees(c).await.unwrap().remove(0);
    assert_eq!(committee.elected_on, today());
    let members = db.store.committee_members(committee.id).await.unwrap();
    assert_eq!(members.iter().filter(|m| m.standing == "member").count(), 5);
    let ids: Vec<i64> = members.iter().map(|m| m.candidate_id).collect();
    let record = db.store.committee_record(&committee).await.unwrap();
    let days = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .signed_duration_since(chrono::NaiveDate::default())
            .num_days()
    };
    let open = linli_domain::committee::open_duties(Default::default(), &record, days(&today()));
    use linli_domain::committee::Duty;
    assert_eq!(
        open.iter().map(|d| (d.duty, d.due - days(&today()))).collect::<Vec<_>>(),
        vec![(Duty::FirstMeeting, 7), (Duty::Filing, 30)]
    );

    // Nothing is due soon yet: no reminder. Ten days on the first meeting is overdue.
    assert_eq!(db.store.remind_committees(&today(), linli_store::now_ms()).await.unwrap(), 0);
    let later = in_days(10);
    assert_eq!(db.store.remind_committees(&later, linli_store::now_ms()).await.unwrap(), 1);
    assert_eq!(db.store.remind_committees(&later, linli_store::now_ms()).await.unwrap(), 0, "once per deadline");
    let told: i64 = read!(db.store, |d| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE committee_id = $1 AND kind = 'committee_first_meeting' AND account_id = $2"
    )
    .bind(committee.id)
    .bind(staff)
    .fetch_one(d)
    .await
    .unwrap()
    });
    assert_eq!(told, 1);

    // The first meeting elects two different members as chair and vice chair.
    assert_eq!(
        field_of(db.store.record_first_meeting(committee.id, &today(), ids[0], ids[0], "推选主任", staff).await),
        "vice_chair"
    );
    assert_eq!(
        field_of(db.store.record_meeting(committee.id, &today(), "例会", staff).await),
        "held_on",
        "the first meeting first"
    );
    db.store.record_first_meeting(committee.id, &today(), ids[0], ids[1], "推选主任、副主任", staff).await.unwrap();
    db.store.record_filing(committee.id, &today(), staff).await.unwrap();
    assert_eq!(field_of(db.store.record_filing(committee.id, &today(), staff).await), "filed_on");

    // A decision stands with more than half of ALL five members: two signatures are not enough.
    assert_eq!(
        field_of(
            db.store.record_decision(committee.id, "公开公共收益账目", "每季度公开", &today(), &ids[..2], staff).await
        ),
        "signers"
    );
    assert_eq!(
        field_of(
            db.store
                .record_decision(
                    committee.id,
                    "公开公共收益账目",
                    "每季度公开",
                    &today(),
                    &[ids[0], ids[0], ids[1]],
                    staff
                )
                .await
        ),
        "signers",
        "a member signs once"
    );
    assert!(db.store.committee_decisions(committee.id).await.unwrap().is_empty(), "nothing written");
    let decision = db
        .store
        .record_decision(committee.id, "公开公共收益账目", "每季度公开", &today(), &ids[..3], staff)
        .await
        .unwrap();
    let committee = db.store.committee(committee.id).await.unwrap();
    let open = linli_domain::committee::open_duties(
        Default::default(),
        &db.store.committee_record(&committee).await.unwrap(),
        days(&today()),
    );
    assert_eq!(open.iter().map(|d| d.duty).collect::<Vec<_>>(), vec![Duty::PublishDecision, Duty::Meeting]);
    db.store.publish_decision(committee.id, decision).await.unwrap();
    assert_eq!(field_of(db.store.publish_decision(committee.id, decision).await), "decision");
    let open = linli_domain::committee::open_duties(
        Default::default(),
        &db.store.committee_record(&committee).await.unwrap(),
        days(&today()),
    );
    assert_eq!(open.iter().map(|d| (d.duty, d.due - days(&today()))).collect::<Vec<_>>(), vec![(Duty::Meeting, 61)]);
});
