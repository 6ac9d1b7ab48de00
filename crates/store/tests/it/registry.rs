//! The registry's history and the property register, on both backends: moves keep the
//! record of where someone lived, owners count as Art. 278 says, and a building placed by
//! hand stays in its grid.

use chrono::NaiveDate;
use linli_domain::identity::Phone;
use linli_domain::ownership::Area;
use linli_domain::person::IdNumber;
use linli_store::moves::Move;
use linli_store::ownership::{NewHolder, UnitAreas};
use linli_store::residents::ResidentQuery;
use linli_store::{StoreError, read, transaction};
use linli_test_support::{dual_backend_test, small_demo};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn person(name: &str, id: &str) -> NewHolder {
    NewHolder::Person {
        name: name.into(),
        id_number: IdNumber::parse("id_number", id, day("2026-11-27")).unwrap(),
        phone: Some(Phone::parse("phone", "13912345678").unwrap()),
    }
}

async fn first_resident_and_other_household(db: &linli_test_support::TestDb, community: i64) -> (i64, i64, i64) {
    read!(db.store, |pool| sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT r.id, r.household_id, (SELECT MAX(h.id) FROM households h WHERE h.community_id = $1) \
         FROM residents r WHERE r.community_id = $1 ORDER BY r.id LIMIT 1"
    )
    .bind(community)
    .fetch_one(pool)
    .await
    .unwrap())
}

dual_backend_test!(moves_keep_every_stay_and_leave_the_counts_of_current_residents, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let today = linli_store::today();
    let community = demo.community_id;
    let (resident, home, other) = first_resident_and_other_household(&db, community).await;
    let residents_now = |db: &linli_test_support::TestDb| {
        let store = db.store.clone();
        async move { store.grid_summaries(community, today).await.unwrap().iter().map(|s| s.residents).sum::<i64>() }
    };
    let before = residents_now(&db).await;
    let actor = demo.accounts[0].account_id;

    db.store.move_resident(resident, Move::To { household_id: other }, day("2025-03-01"), actor).await.unwrap();
    let row = db.store.resident(resident).await.unwrap();
    assert_eq!(row.household_id, other);
    assert_eq!(row.moved_in_on.as_deref(), Some("2025-03-01"));
    assert_eq!(residents_now(&db).await, before, "a move within the community changes no total");

    // A date before the current stay began is refused, naming the field; nothing changes.
    let err = db.store.move_resident(resident, Move::Out, day("2025-01-01"), actor).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(e) if e.field == "date"));
    assert!(db.store.resident(resident).await.unwrap().moved_out_on.is_none());

    db.store.move_resident(resident, Move::Out, day("2026-02-01"), actor).await.unwrap();
    let stays = db.store.stays(resident).await.unwrap();
    assert_eq!(stays.len(), 2, "{stays:?}");
    assert_eq!((stays[0].household_id, stays[0].moved_out_on.as_deref()), (home, Some("2025-03-01")));
    assert_eq!(stays[0].reason.as_deref(), Some("moved"));
    assert_eq!(
        (stays[1].household_id, stays[1].moved_in_on.as_deref(), stays[1].moved_out_on.as_deref()),
        (other, Some("2025-03-01"), Some("2026-02-01"))
    );
    assert_eq!(residents_now(&db).await, before - 1, "who left is no longer counted");

    // Lists show current residents; the former list shows who left.
    let q = ResidentQuery { community_id: community, limit: 500, ..Default::default() };
    let (rows, total) = db.store.residents(&q).await.unwrap();
    assert!(rows.iter().all(|r| r.id != resident));
    assert_eq!(total, before - 1);
    let (former, n) = db.store.residents(&ResidentQuery { former: true, ..q }).await.unwrap();
    assert_eq!((n, former.iter().map(|r| r.id).collect::<Vec<_>>()), (1, vec![resident]));

    let again = db.store.move_resident(resident, Move::Out, day("2026-03-01"), actor).await.unwrap_err();
    assert!(matches!(again, StoreError::Invalid(e) if e.key == "error.move.already_left"));
});

dual_backend_test!(a_move_into_another_community_is_refused, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let (resident, _, _) = first_resident_and_other_household(&db, demo.community_id).await;
    let foreign = db.store.insert_community(demo.street_id, "330106004099", "外社区", "某路").await.unwrap();
    let grid = db.store.insert_grid(foreign, "330106004099001", "外网格", None).await.unwrap();
    let household: i64 = async {
        transaction!(db.store, |tx| {
            let b: i64 = linli_store::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO buildings (community_id, grid_id, name, address, lon, lat, floors, units) \
             VALUES ($1, $2, '1号楼', '某路1号', 121.0, 31.0, 6, 2) RETURNING id",
            )
            .bind(foreign)
            .bind(grid)
            .fetch_one(c)
            .await)?;
            linli_store::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO households (community_id, building_id, unit, room) VALUES ($1, $2, 1, '101') RETURNING id",
            )
            .bind(foreign)
            .bind(b)
            .fetch_one(c)
            .await)?
        })
    }
    .await
    .unwrap();
    let err = db.store.move_resident(resident, Move::To { household_id: household }, day("2026-01-01"), 1).await;
    assert!(matches!(err, Err(StoreError::Invalid(e)) if e.field == "household"));
    assert!(db.store.stays(resident).await.unwrap().len() == 1, "no history row was left behind");
});

dual_backend_test!(owners_count_one_per_unit_once_per_buyer_and_once_for_the_developer, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let seeded = db.store.electorate(c).await.unwrap();
    assert_eq!(seeded.units, 300);
    assert!(seeded.unsold_units > 0 && seeded.owners < seeded.units, "{seeded:?}");

    // Start from an empty register: every unit then counts as one owner of its own.
    let units: Vec<i64> = async {
        transaction!(db.store, |tx| {
            linli_store::exec!(tx, sqlx::query("DELETE FROM ownerships WHERE community_id = $1").bind(c))?;
            linli_store::on!(tx, |db| sqlx::query_scalar(
                "SELECT id FROM households WHERE community_id = $1 ORDER BY id LIMIT 6"
            )
            .bind(c)
            .fetch_all(db)
            .await)?
        })
    }
    .await
    .unwrap();
    let empty = db.store.electorate(c).await.unwrap();
    assert_eq!((empty.owners, empty.units_without_owner), (300, 300));
    let on = day("2026-05-01");
    let buyer = "11010519491231002X";
    db.store.transfer_unit(units[0], &[person("周买家", buyer)], on).await.unwrap();
    db.store.transfer_unit(units[1], &[person("周买家", buyer)], on).await.unwrap();
    assert_eq!(db.store.electorate(c).await.unwrap().owners, 299, "a buyer of two units counts once");
    let developer = NewHolder::Developer { name: "安居置业".into() };
    db.store.transfer_unit(units[2], std::slice::from_ref(&developer), on).await.unwrap();
    db.store.transfer_unit(units[3], &[developer], on).await.unwrap();
    let e = db.store.electorate(c).await.unwrap();
    assert_eq!((e.owners, e.unsold_units), (298, 2), "unsold units count once together");
    let (wu, zheng) = ("110105194912310038", "110105195001010020");
    db.store.transfer_unit(units[4], &[person("吴甲", wu), person("郑乙", zheng)], on).await.unwrap();
    assert_eq!(db.store.electorate(c).await.unwrap().owners, 298, "co-owners of one unit are one owner");
    db.store.transfer_unit(units[5], &[person("郑乙", zheng)], on).await.unwrap();
    let e = db.store.electorate(c).await.unwrap();
    assert_eq!((e.owners, e.units_without_owner), (297, 294), "a co-owner's second unit joins the first");

    // A resale: unit 1 goes to someone new, so the first buyer now has one unit.
    db.store.transfer_unit(units[1], &[person("钱新", "110105195001010039")], day("2026-06-01")).await.unwrap();
    assert_eq!(db.store.electorate(c).await.unwrap().owners, 298);

    // The history of unit 1 keeps its earlier holder, now ended.
    let owners = db.store.unit_owners(units[1]).await.unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!((owners[0].name.as_str(), owners[0].until.as_deref()), ("钱新", None));
    assert_eq!((owners[1].name.as_str(), owners[1].until.as_deref()), ("周买家", Some("2026-06-01")));
    assert!(owners[0].id_number_masked.as_deref().is_some_and(|m| m.contains('*')));

    // The same buyer is one owner row, whatever the number of units.
    let buyer_rows: i64 = read!(db.store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM owners WHERE community_id = $1 AND name = '周买家'"
    )
    .bind(c)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(buyer_rows, 1);

    // A transfer dated before the current holders' is refused and changes nothing.
    let err = db.store.transfer_unit(units[0], &[person("冯丙", "110105195001010020")], day("2026-01-01")).await;
    assert!(matches!(err, Err(StoreError::Invalid(e)) if e.field == "since"));
    assert_eq!(db.store.unit_owners(units[0]).await.unwrap().len(), 1);
});

dual_backend_test!(the_electorate_is_the_domain_count_over_the_stored_register, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    // An independent count in SQL: owners by number = units not held by the developer,
    // less the extra units of multi-unit buyers, plus one if the developer holds any.
    let (units, person_units, distinct_people, developer_units, area): (i64, i64, i64, i64, i64) = read!(
        db.store,
        |pool| {
            sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM households WHERE community_id = $1), \
               (SELECT COUNT(DISTINCT s.household_id) FROM ownerships s JOIN owners o ON o.id = s.owner_id \
                  WHERE s.community_id = $1 AND s.until IS NULL AND o.kind = 'person'), \
               (SELECT COUNT(DISTINCT s.owner_id) FROM ownerships s JOIN owners o ON o.id = s.owner_id \
                  WHERE s.community_id = $1 AND s.until IS NULL AND o.kind = 'person'), \
               (SELECT COUNT(*) FROM ownerships s JOIN owners o ON o.id = s.owner_id \
                  WHERE s.community_id = $1 AND s.until IS NULL AND o.kind = 'developer'), \
               (SELECT CAST(SUM(COALESCE(register_area_dm2, survey_area_dm2, contract_area_dm2)) AS BIGINT) FROM households WHERE community_id = $1)"
        )
        .bind(c)
        .fetch_one(pool)
        .await
        .unwrap()
        }
    );
    let e = db.store.electorate(c).await.unwrap();
    let unowned = units - person_units - developer_units;
    // The seed has no co-owned units, so each person owner is one group of units.
    assert_eq!(e.owners as i64, distinct_people + i64::from(developer_units > 0) + unowned);
    assert_eq!(e.units as i64, units);
    assert_eq!(e.unsold_units as i64, developer_units);
    assert_eq!(e.area.dm2(), area);
    assert!(distinct_people < person_units, "the seed has buyers of two units");
    assert!(e.units_without_area == 0, "contract areas fill the register's gaps");

    // Areas: setting the register area changes the counted total by the difference.
    let unit = db.store.units_of_building(first_building(&db, c).await).await.unwrap()[0].clone();
    let old = db.store.unit_areas(unit.household_id).await.unwrap();
    let counted_before = old.register.or(old.survey).or(old.contract).unwrap().dm2();
    db.store
        .set_unit_areas(unit.household_id, UnitAreas { register: Some(Area::from_dm2(12_345)), ..old })
        .await
        .unwrap();
    assert_eq!(db.store.electorate(c).await.unwrap().area.dm2(), area - counted_before + 12_345);
});

async fn first_building(db: &linli_test_support::TestDb, community: i64) -> i64 {
    read!(db.store, |pool| sqlx::query_scalar("SELECT MIN(id) FROM buildings WHERE community_id = $1")
        .bind(community)
        .fetch_one(pool)
        .await
        .unwrap())
}

dual_backend_test!(a_building_placed_by_hand_moves_its_residents_and_survives_a_boundary_import, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let building = db.store.building(first_building(&db, c).await).await.unwrap();
    let target = *demo.grid_ids.iter().find(|g| **g != building.grid_id).unwrap();
    let today = linli_store::today();
    let count = |s: &[linli_store::registry::GridSummary], g: i64| s.iter().find(|x| x.grid_id == g).unwrap().buildings;
    let before = db.store.grid_summaries(c, today).await.unwrap();
    db.store.place_building(building.id, target, true).await.unwrap();
    let after = db.store.grid_summaries(c, today).await.unwrap();
    assert_eq!(count(&after, target), count(&before, target) + 1);
    let q = ResidentQuery { community_id: c, grid_ids: Some(vec![target]), limit: 500, ..Default::default() };
    let (rows, _) = db.store.residents(&q).await.unwrap();
    assert!(rows.iter().any(|r| r.building == building.name), "the residents follow their building");

    // Re-importing the same boundaries would put it back by position; the pin keeps it.
    let grids = db.store.grids(c).await.unwrap();
    let shapes: Vec<(String, String, String)> =
        grids.iter().map(|g| (g.code.clone(), g.name.clone(), g.boundary.clone().unwrap())).collect();
    let original_code = grids.iter().find(|g| g.id == building.grid_id).unwrap().code.clone();
    db.store.apply_grid_shapes(c, &shapes, &[(building.id, original_code)]).await.unwrap();
    assert_eq!(db.store.building(building.id).await.unwrap().grid_id, target);
    assert!(db.store.building(building.id).await.unwrap().grid_pinned);

    // A grid of another community is refused.
    let foreign = db.store.insert_community(demo.street_id, "330106004098", "外社区", "某路").await.unwrap();
    let fg = db.store.insert_grid(foreign, "330106004098001", "外网格", None).await.unwrap();
    assert!(matches!(db.store.place_building(building.id, fg, true).await, Err(StoreError::NotFound)));
});
