//! The demo community 和谐家园 (and, for benchmarks, as many more as asked for),
//! generated deterministically from a seed: the same seed always gives the same names,
//! buildings, households and residents.

mod activities;
mod announcements;
mod assemblies;
mod cases;
mod consultations;
mod devices;
mod disputes;
mod joint;
pub use cases::bulk as bulk_cases;
mod names;
mod proposals;
mod publicity;
mod services;
mod surveys;
mod volunteers;

use crate::accounts::{NewAccount, NewAssignment};
use crate::{Store, StoreResult, read, transaction};
use linli_domain::Role;
use linli_domain::admin::OrganisationKind;
use linli_domain::identity::{DisplayName, NewPassword, Phone, Username};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The password of every demo account. The demo is for trying Linli out, never for
/// production data.
pub const DEMO_PASSWORD: &str = "linli2026";

/// How much to generate.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub seed: u64,
    pub communities: u32,
    pub households_per_community: u32,
    pub grids_per_community: u32,
    pub buildings_per_community: u32,
    /// Days of case history for the first community, and cases a day.
    pub case_days: u32,
    pub cases_per_day: u32,
    /// Live alarms in the demo (a water leak with its case, a meter offline, a thrown object).
    pub live_alarms: bool,
    /// Owners' assemblies in the first community: one counted, one open for voting.
    pub assemblies: bool,
}

impl Default for DemoSpec {
    fn default() -> Self {
        DemoSpec {
            seed: 2026,
            communities: 1,
            households_per_community: 2000,
            grids_per_community: 6,
            buildings_per_community: 40,
            case_days: 42,
            cases_per_day: 8,
            live_alarms: true,
            assemblies: true,
        }
    }
}

/// A demo account, for the start-up banner and the tests.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: Role,
    pub login: String,
    pub display_name: String,
    pub account_id: i64,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub communities: u32,
    pub grids: u32,
    pub buildings: u32,
    pub households: u64,
    pub residents: u64,
    pub accounts: Vec<DemoAccount>,
    /// Ids of the first community (和谐家园) and its first two grids, for tests.
    pub community_id: i64,
    /// The registry record of the demo resident (in grid 1).
    pub resident_id: i64,
    pub street_id: i64,
    pub grid_ids: Vec<i64>,
    /// An open case the demo resident reported (in grid 1), if case history was generated.
    pub case_id: i64,
}

impl DemoReport {
    pub fn account(&self, role: Role) -> Option<&DemoAccount> {
        self.accounts.iter().find(|a| a.role == role)
    }
}

const DISTRICT: (&str, &str) = ("310117", "安和区");
const STREETS: &[&str] = &[
    "清河街道",
    "长宁街道",
    "新华街道",
    "春江街道",
    "望湖街道",
    "金沙街道",
    "东湖街道",
    "南苑街道",
    "北岸街道",
    "西溪街道",
];
const COMMUNITIES_PER_STREET: u32 = 10;

/// Whether the database holds no community yet (the demo loads only then).
pub async fn is_empty(store: &Store) -> StoreResult<bool> {
    let n: i64 = read!(store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM communities").fetch_one(db).await?);
    Ok(n == 0)
}

/// Generates the demo into an empty database.
pub async fn load(store: &Store, spec: &DemoSpec) -> StoreResult<DemoReport> {
    let mut report = DemoReport::default();
    let district = store.insert_district(DISTRICT.0, DISTRICT.1).await?;
    let mut street_ids = Vec::new();
    for c in 0..spec.communities.max(1) {
        let street_no = c / COMMUNITIES_PER_STREET;
        if street_ids.len() as u32 <= street_no {
            let name = STREETS
                .get(street_no as usize)
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| format!("第{}街道", street_no + 1));
            let code = format!("{}{:03}", DISTRICT.0, street_no + 4);
            street_ids.push((store.insert_street(district, &code, &name).await?, code));
        }
        let (street_id, street_code) = &street_ids[street_no as usize];
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed.wrapping_add(u64::from(c)));
        let community = generate_community(store, spec, c, *street_id, street_code, &mut rng, &mut report).await?;
        if c == 0 {
            report.community_id = community.id;
            report.street_id = *street_id;
            report.grid_ids = community.grid_ids.clone();
            report.accounts = demo_accounts(store, *street_id, &community).await?;
            if let Some(resident) = report.account(Role::Resident) {
                report.resident_id = store.resident_of_account(resident.account_id).await?.unwrap_or_default();
            }
            let account = |role: Role| report.account(role).map(|a| (a.account_id, a.display_name.clone()));
            let committee = account(Role::OwnersCommitteeMember);
            let director = account(Role::CommunityDirector);
            if let (Some(staff), Some(resident), Some(property), Some(social)) = (
                account(Role::CommunityStaff),
                account(Role::Resident),
                account(Role::PropertyStaff),
                account(Role::SocialOrgStaff),
            ) {
                let grid_workers: Vec<(i64, i64)> = read!(store, |db| sqlx::query_as(
                    "SELECT grid_id, account_id FROM grid_workers WHERE community_id = $1 AND duty = 'worker'"
                )
                .bind(community.id)
                .fetch_all(db)
                .await?);
                let cast = cases::Cast {
                    staff: staff.0,
                    resident: resident.0,
                    resident_name: resident.1,
                    grid_workers,
                    property: (community.property_company, property.0),
                    social: (community.social_org, social.0),
                };
                let case =
                    cases::seed(store, community.id, spec.case_days, spec.cases_per_day, &cast, &mut rng).await?;
                report.case_id = case.unwrap_or_default();
                if spec.case_days > 0 {
                    disputes::seed(store, community.id, staff.clone(), &cast.grid_workers, &mut rng).await?;
                }
                devices::seed(store, community.id, spec.live_alarms, &mut rng).await?;
                if spec.assemblies
                    && let Some(committee) = committee
                {
                    let desk = assemblies::Desk { committee: committee.0, staff: staff.0, resident: resident.0 };
                    assemblies::seed(store, community.id, &desk, &mut rng).await?;
                    assemblies::scorecards(store, community.property_company, &desk).await?;
                    assemblies::verification(store, community.id).await?;
                    publicity::seed(store, community.id, staff.0).await?;
                    if let Some(director) = director
                        && let Some(&(grid_id, grid_worker)) = cast.grid_workers.first()
                    {
                        let table = joint::Table {
                            director: director.0,
                            staff: staff.0,
                            committee: committee.0,
                            property: property.0,
                            social: social.0,
                            grid_worker,
                            grid_id,
                        };
                        joint::seed(store, community.id, &table).await?;
                    }
                    proposals::seed(store, community.id, (resident.0, report.resident_id), staff.0).await?;
                    if let Some(&first) = cast.grid_workers.first() {
                        announcements::seed(store, community.id, staff.0, first).await?;
                    }
                    consultations::seed(store, community.id, staff.0).await?;
                    surveys::seed(store, community.id, staff.0, community.property_company, &mut rng).await?;
                    if let Some(&(_, grid_worker)) = cast.grid_workers.first() {
                        let services = services::Cast {
                            social_staff: social.0,
                            grid_worker,
                            demo_resident: (resident.0, report.resident_id),
                        };
                        services::seed(store, community.id, community.social_orgs, &services, &mut rng).await?;
                    }
                    let held =
                        activities::seed(store, community.id, staff.0, (resident.0, report.resident_id), &mut rng)
                            .await?;
                    let cast = volunteers::Cast {
                        staff: staff.0,
                        demo_resident: (resident.0, report.resident_id),
                        organisation: (community.social_orgs[0], social.0),
                    };
                    volunteers::seed(store, community.id, &cast, &held, &mut rng).await?;
                }
            }
        }
    }
    report.communities = spec.communities.max(1);
    store.analyze().await?;
    Ok(report)
}

/// Owners of record: the head of each household owns the unit, delivered in mid-2016;
/// every 37th unit belongs to the neighbour below's owner (a buyer of two units), every
/// 53rd is still the developer's. Areas come from the property register, except every
/// 40th unit, whose register entry is missing and whose contract area counts.
async fn seed_owners(tx: &mut crate::Tx, community_id: i64) -> StoreResult<()> {
    let now = crate::now_ms();
    crate::exec!(
        tx,
        sqlx::query(
            "UPDATE households SET \
           register_area_dm2 = CASE WHEN id % 40 = 0 THEN NULL ELSE 5800 + (id * 7919) % 8400 END, \
           contract_area_dm2 = 5900 + (id * 7919) % 8400 WHERE community_id = $1",
        )
        .bind(community_id)
    )?;
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO owners (community_id, kind, name, id_number_enc, id_number_index, id_number_masked, \
           phone_enc, phone_masked, resident_id) \
         SELECT community_id, 'person', name, id_number_enc, id_number_index, id_number_masked, phone_enc, \
           phone_masked, id FROM residents \
         WHERE community_id = $1 AND relation = 'head' AND id_number_index IS NOT NULL",
        )
        .bind(community_id)
    )?;
    let developer: i64 = crate::on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO owners (community_id, kind, name) VALUES ($1, 'developer', '安居置业有限公司') RETURNING id",
    )
    .bind(community_id)
    .fetch_one(c)
    .await)?;
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO ownerships (community_id, household_id, owner_id, since, recorded_at) \
         SELECT h.community_id, h.id, o.id, '2016-06-30', $2 FROM households h \
         JOIN residents r ON r.household_id = (CASE WHEN h.id % 37 = 0 THEN h.id - 1 ELSE h.id END) \
           AND r.relation = 'head' \
         JOIN owners o ON o.resident_id = r.id \
         WHERE h.community_id = $1 AND h.id % 53 <> 0",
        )
        .bind(community_id)
        .bind(now)
    )?;
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO ownerships (community_id, household_id, owner_id, since, recorded_at) \
         SELECT community_id, id, $2, '2016-06-30', $3 FROM households WHERE community_id = $1 AND id % 53 = 0",
        )
        .bind(community_id)
        .bind(developer)
        .bind(now)
    )?;
    Ok(())
}

struct GeneratedCommunity {
    id: i64,
    grid_ids: Vec<i64>,
    property_company: i64,
    social_org: i64,
    /// The three social organisations: counselling, legal aid, education.
    social_orgs: [i64; 3],
}

async fn generate_community(
    store: &Store,
    spec: &DemoSpec,
    index: u32,
    street_id: i64,
    street_code: &str,
    rng: &mut ChaCha8Rng,
    report: &mut DemoReport,
) -> StoreResult<GeneratedCommunity> {
    let base_name = names::COMMUNITY_NAMES[index as usize % names::COMMUNITY_NAMES.len()];
    let round = index as usize / names::COMMUNITY_NAMES.len();
    let name = if round == 0 { format!("{base_name}社区") } else { format!("{base_name}{}期社区", round + 1) };
    let code = format!("{street_code}{:03}", index % COMMUNITIES_PER_STREET + 1);
    let road = names::ROADS[index as usize % names::ROADS.len()];
    let community_id = store.insert_community(street_id, &code, &name, &format!("{road}{}号", 88 + index)).await?;

    // Community footprint: a rectangle, split into grids numbered west→east, north→south.
    let (west, south) = (121.40 + f64::from(index % 10) * 0.012, 31.20 + f64::from(index / 10) * 0.009);
    let (width, height) = (0.009, 0.006);
    let grids = spec.grids_per_community.max(1);
    let cols = ((f64::from(grids) * 1.5).sqrt().ceil() as u32).clamp(1, grids);
    let rows = grids.div_ceil(cols);
    let (cell_w, cell_h) = (width / f64::from(cols), height / f64::from(rows));
    let mut grid_cells = Vec::new();
    for g in 0..grids {
        let (col, row) = (g % cols, g / cols);
        let x0 = west + f64::from(col) * cell_w;
        let y1 = south + height - f64::from(row) * cell_h;
        let y0 = y1 - cell_h;
        let x1 = x0 + cell_w;
        let boundary = format!(
            r#"{{"type":"Polygon","coordinates":[[[{x0:.6},{y0:.6}],[{x1:.6},{y0:.6}],[{x1:.6},{y1:.6}],[{x0:.6},{y1:.6}],[{x0:.6},{y0:.6}]]]}}"#
        );
        let grid_code = format!("{code}{:03}", g + 1);
        let grid_id = store.insert_grid(community_id, &grid_code, &format!("第{}网格", g + 1), Some(&boundary)).await?;
        grid_cells.push((grid_id, x0, y0));
    }
    report.grids += grids;

    let kinds = [
        (OrganisationKind::PartyBranch, format!("{base_name}社区党委"), "书记办公室 0571-8800-1001"),
        (OrganisationKind::ResidentsCommittee, format!("{base_name}社区居民委员会"), "服务大厅 0571-8800-1002"),
        (OrganisationKind::OwnersCommittee, format!("{base_name}业主委员会"), "业委会信箱 1 号楼架空层"),
        (OrganisationKind::PropertyCompany, "安居物业服务有限公司".to_owned(), "24 小时值班 0571-8800-1100"),
        (OrganisationKind::SocialOrganisation, "心晴心理咨询服务中心".to_owned(), "每周三下午 社区活动中心 203"),
        (OrganisationKind::SocialOrganisation, "明法法律援助工作站".to_owned(), "每周五上午 社区服务大厅"),
        (OrganisationKind::SocialOrganisation, "启航青少年教育发展中心".to_owned(), "周末 社区图书室"),
    ];
    let mut org_ids = Vec::new();
    for (kind, org_name, contact) in &kinds {
        org_ids.push(store.insert_organisation(community_id, *kind, org_name, contact).await?);
    }

    let buildings = spec.buildings_per_community.max(grids);
    let households = spec.households_per_community;
    let per_building = households.div_ceil(buildings).max(1);
    let today = crate::today();
    let mut remaining = households;
    let mut resident_total = 0u64;
    let mut used_ids = std::collections::HashSet::new();
    transaction!(store, |tx| {
        for b in 0..buildings {
            // Buildings are made even when no households are asked for (an empty registry
            // to import into); households fill them in order.
            let count = per_building.min(remaining);
            remaining -= count;
            let units: u32 = rng.gen_range(2..=3);
            let floors = (count.div_ceil(units * 2)).max(6);
            let (grid_id, gx, gy) = grid_cells[(b % grids) as usize];
            let slot = b / grids;
            let lon = gx + cell_w * (0.15 + 0.7 * f64::from(slot % 3) / 2.0);
            let lat = gy + cell_h * (0.2 + 0.6 * f64::from((slot / 3) % 3) / 2.0);
            let building_name = format!("{}号楼", b + 1);
            let address = format!("{road}{}号{building_name}", 88 + index);
            let building_id: i64 = crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO buildings (community_id, grid_id, name, address, lon, lat, floors, units) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(community_id)
            .bind(grid_id)
            .bind(&building_name)
            .bind(&address)
            .bind(lon)
            .bind(lat)
            .bind(i64::from(floors))
            .bind(i64::from(units))
            .fetch_one(c)
            .await)?;

            // Rooms: unit u, floor f, door d → "f0d" (e.g. 1202), filled from the ground up.
            let mut rooms = Vec::new();
            'fill: for f in 1..=floors {
                for u in 1..=units {
                    for d in 1..=2 {
                        if rooms.len() as u32 == count {
                            break 'fill;
                        }
                        rooms.push((i64::from(u), format!("{f}0{d}")));
                    }
                }
            }
            let mut household_ids = Vec::with_capacity(rooms.len());
            for chunk in rooms.chunks(500) {
                let ids: Vec<i64> = crate::on!(tx, |c| {
                    let mut qb =
                        sqlx::QueryBuilder::new("INSERT INTO households (community_id, building_id, unit, room) ");
                    qb.push_values(chunk, |mut row, (unit, room)| {
                        row.push_bind(community_id).push_bind(building_id).push_bind(*unit).push_bind(room.clone());
                    });
                    qb.push(" RETURNING id");
                    qb.build_query_scalar().fetch_all(c).await
                })?;
                household_ids.extend(ids);
            }
            let people: Vec<Person> = household_ids.iter().flat_map(|&h| household_members(rng, h, today)).collect();
            resident_total += people.len() as u64;
            let mut sealed = Vec::with_capacity(people.len());
            for p in &people {
                let id = identity_number(rng, p, &mut used_ids, today);
                let phone = mobile_phone(rng, p, today);
                sealed.push(store.seal_person(&p.name, id.as_ref(), phone.as_ref())?);
            }
            let inserts: Vec<crate::registry::ResidentInsert<'_>> = people
                .iter()
                .zip(&sealed)
                .map(|(p, s)| crate::registry::ResidentInsert {
                    grid_id: Some(grid_id),
                    household_id: p.household_id,
                    name: &p.name,
                    gender: p.gender,
                    birth_date: &p.birth_date,
                    relation: p.relation,
                    residence_type: p.residence_type,
                    sealed: s,
                })
                .collect();
            crate::registry::insert_residents(tx, community_id, &inserts).await?;
            report.buildings += 1;
        }
        // People who need care: the elderly living alone, and everyone aged 80 or more,
        // tagged a month ago.
        let tagged_at = crate::now_ms() - 30 * 86_400_000;
        let alone = crate::registry::born_on_or_before(today, 70);
        let aged = crate::registry::born_on_or_before(today, 80);
        crate::on!(tx, |c| {
            sqlx::query(
            "INSERT INTO care_tags (community_id, resident_id, tag, created_at) SELECT r.community_id, r.id, 'elderly_alone', $2 \
             FROM residents r WHERE r.community_id = $1 AND r.birth_date <= $3 \
             AND NOT EXISTS (SELECT 1 FROM residents o WHERE o.household_id = r.household_id AND o.id <> r.id)",
        )
        .bind(community_id)
        .bind(tagged_at)
        .bind(&alone)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        crate::exec!(tx, sqlx::query(
            "INSERT INTO care_tags (community_id, resident_id, tag, created_at) SELECT community_id, id, 'aged', $2 \
             FROM residents WHERE community_id = $1 AND birth_date <= $3",
        )
        .bind(community_id)
        .bind(tagged_at)
        .bind(&aged))?;
        seed_owners(tx, community_id).await?;
        crate::exec!(tx, sqlx::query(crate::registry::BUMP_REGISTRY_VERSION).bind(community_id))?;
    })?;
    report.households += u64::from(households - remaining);
    report.residents += resident_total;
    Ok(GeneratedCommunity {
        id: community_id,
        grid_ids: grid_cells.iter().map(|c| c.0).collect(),
        property_company: org_ids[3],
        social_org: org_ids[4],
        social_orgs: [org_ids[4], org_ids[5], org_ids[6]],
    })
}

struct Person {
    household_id: i64,
    name: String,
    gender: &'static str,
    birth_date: String,
    relation: &'static str,
    residence_type: &'static str,
}

fn person_name(rng: &mut ChaCha8Rng, surname: Option<&str>, male: bool) -> String {
    // Squaring a uniform number favours the common surnames at the front of the list.
    let surname = surname.map(str::to_owned).unwrap_or_else(|| {
        let x: f64 = rng.r#gen();
        names::SURNAMES[((x * x) * names::SURNAMES.len() as f64) as usize].to_owned()
    });
    let pool = if male { names::GIVEN_MALE } else { names::GIVEN_FEMALE };
    format!("{surname}{}", pool[rng.gen_range(0..pool.len())])
}

fn birth_date(rng: &mut ChaCha8Rng, today: chrono::NaiveDate, age: i32) -> String {
    let days = i64::from(age) * 365 + rng.gen_range(0..365);
    (today - chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// One household's members: a head, and by the household's size a spouse, children
/// and a parent. One in five households is a single person, many of them elderly.
fn household_members(rng: &mut ChaCha8Rng, household_id: i64, today: chrono::NaiveDate) -> Vec<Person> {
    let size = match rng.gen_range(0..100) {
        0..20 => 1,
        20..55 => 2,
        55..83 => 3,
        83..95 => 4,
        _ => 5,
    };
    let residence_type = match rng.gen_range(0..10) {
        0..7 => "registered",
        7..9 => "permanent",
        _ => "floating",
    };
    let head_age = if size == 1 && rng.gen_bool(0.45) { rng.gen_range(70..93) } else { rng.gen_range(26..78) };
    let head_male = rng.gen_bool(0.55);
    let head_name = person_name(rng, None, head_male);
    let surname: String = head_name.chars().take(1).collect();
    let mut people = vec![Person {
        household_id,
        name: head_name,
        gender: if head_male { "M" } else { "F" },
        birth_date: birth_date(rng, today, head_age),
        relation: "head",
        residence_type,
    }];
    if size >= 2 {
        let age = (head_age + rng.gen_range(-3..=3)).max(22);
        people.push(Person {
            household_id,
            name: person_name(rng, None, !head_male),
            gender: if head_male { "F" } else { "M" },
            birth_date: birth_date(rng, today, age),
            relation: "spouse",
            residence_type,
        });
    }
    for _ in 2..size.min(4) {
        let age = (head_age - rng.gen_range(22..34)).max(0);
        let male = rng.gen_bool(0.5);
        people.push(Person {
            household_id,
            name: person_name(rng, Some(&surname), male),
            gender: if male { "M" } else { "F" },
            birth_date: birth_date(rng, today, age),
            relation: "child",
            residence_type,
        });
    }
    if size == 5 {
        let male = rng.gen_bool(0.4);
        let age = (head_age + rng.gen_range(22..32)).min(99);
        people.push(Person {
            household_id,
            name: person_name(rng, None, male),
            gender: if male { "M" } else { "F" },
            birth_date: birth_date(rng, today, age),
            relation: "parent",
            residence_type,
        });
    }
    people
}

/// Address codes of the birthplaces of floating residents (other provinces).
const ELSEWHERE: &[&str] = &["410102", "510104", "320106", "340104", "430102", "360102", "130102"];

/// A valid, unique citizen identity number matching the person's birth date and gender.
fn identity_number(
    rng: &mut ChaCha8Rng,
    p: &Person,
    used: &mut std::collections::HashSet<String>,
    today: chrono::NaiveDate,
) -> Option<linli_domain::person::IdNumber> {
    let area = if p.residence_type == "floating" { ELSEWHERE[rng.gen_range(0..ELSEWHERE.len())] } else { DISTRICT.0 };
    let born = p.birth_date.replace('-', "");
    let parity = u32::from(p.gender == "M");
    for _ in 0..50 {
        let seq = rng.gen_range(0..500) * 2 + parity;
        let full = linli_domain::person::IdNumber::with_check(&format!("{area}{born}{seq:03}"))?;
        if used.insert(full.clone()) {
            return linli_domain::person::IdNumber::parse("id_number", &full, today).ok();
        }
    }
    None
}

const MOBILE_PREFIXES: &[&str] = &[
    "138", "139", "136", "137", "135", "150", "151", "152", "158", "159", "186", "187", "188", "133", "189", "177",
    "180", "181",
];

/// Most people of 16 and over have a mobile number on record.
fn mobile_phone(rng: &mut ChaCha8Rng, p: &Person, today: chrono::NaiveDate) -> Option<Phone> {
    let born = chrono::NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d").ok()?;
    if (today - born).num_days() < 16 * 365 || rng.gen_bool(0.08) {
        return None;
    }
    let prefix = MOBILE_PREFIXES[rng.gen_range(0..MOBILE_PREFIXES.len())];
    Phone::parse("phone", &format!("{prefix}{:08}", rng.gen_range(0..100_000_000u32))).ok()
}

struct AccountPlan {
    role: Role,
    username: Option<&'static str>,
    phone: Option<&'static str>,
    name: &'static str,
}

/// One account for every role. Residents sign in with a phone number.
const PLANS: [AccountPlan; 9] = [
    AccountPlan { role: Role::SystemAdmin, username: Some("admin"), phone: None, name: "系统管理员" },
    AccountPlan { role: Role::StreetSupervisor, username: Some("jiedao"), phone: None, name: "陈建国" },
    AccountPlan { role: Role::CommunityDirector, username: Some("shuji"), phone: None, name: "王秀英" },
    AccountPlan { role: Role::CommunityStaff, username: Some("shequ"), phone: None, name: "李敏" },
    AccountPlan { role: Role::GridWorker, username: Some("wangge1"), phone: Some("13900000001"), name: "刘洋" },
    AccountPlan { role: Role::OwnersCommitteeMember, username: Some("yeweihui"), phone: None, name: "赵志强" },
    AccountPlan { role: Role::PropertyStaff, username: Some("wuye"), phone: None, name: "孙丽" },
    AccountPlan { role: Role::SocialOrgStaff, username: Some("shegong"), phone: None, name: "周静" },
    AccountPlan { role: Role::Resident, username: None, phone: Some("13800138000"), name: "张伟" },
];

/// The demo logins, one per role, for the start-up banner and the login page.
pub fn logins() -> impl Iterator<Item = (Role, &'static str)> {
    PLANS.iter().map(|p| (p.role, p.username.or(p.phone).unwrap_or_default()))
}

/// Creates the accounts of [`PLANS`] in 和谐家园 and its street, and the grid workers.
async fn demo_accounts(store: &Store, street_id: i64, community: &GeneratedCommunity) -> StoreResult<Vec<DemoAccount>> {
    let plans = PLANS;
    let password =
        NewPassword::parse("password", DEMO_PASSWORD).map_err(|e| crate::StoreError::Config(e.to_string()))?;
    let mut out = Vec::new();
    for plan in plans {
        let assignment = NewAssignment {
            role: plan.role,
            street_id: (plan.role == Role::StreetSupervisor).then_some(street_id),
            community_id: (!matches!(plan.role, Role::StreetSupervisor | Role::SystemAdmin)).then_some(community.id),
            organisation_id: match plan.role {
                Role::PropertyStaff => Some(community.property_company),
                Role::SocialOrgStaff => Some(community.social_org),
                _ => None,
            },
        };
        let account = NewAccount {
            username: plan.username.map(|u| Username::parse("username", u)).transpose().map_err(config)?,
            phone: plan.phone.map(|p| Phone::parse("phone", p)).transpose().map_err(config)?,
            display_name: DisplayName::parse("display_name", plan.name).map_err(config)?,
            password: password.clone(),
            assignments: vec![assignment],
            grid_ids: Vec::new(),
        };
        let id = store.create_account(&account).await?;
        out.push(DemoAccount {
            role: plan.role,
            login: plan.username.or(plan.phone).unwrap_or_default().to_owned(),
            display_name: plan.name.to_owned(),
            account_id: id,
        });
    }
    // The demo resident is the head of the first household, with the account's phone.
    if let Some(resident) = out.iter().find(|a| a.role == Role::Resident) {
        let phone = Phone::parse("phone", &resident.login).map_err(config)?;
        let sealed = store.seal_person(&resident.display_name, None, Some(&phone))?;
        let (community_id, account_id, name) = (community.id, resident.account_id, resident.display_name.clone());
        transaction!(store, |tx| {
            let rid: Option<i64> = crate::on!(tx, |c| {
                sqlx::query_scalar(
                "SELECT MIN(r.id) FROM residents r JOIN households h ON h.id = r.household_id \
                 JOIN buildings b ON b.id = h.building_id WHERE r.community_id = $1 AND r.relation = 'head' AND b.grid_id = $2",
            )
            .bind(community_id)
            .bind(community.grid_ids[0])
            .fetch_one(c)
            .await
            })?;
            // An empty registry (no households generated) has nobody to link.
            if let Some(rid) = rid {
                crate::on!(tx, |c| {
                    sqlx::query(
                    "UPDATE residents SET name = $1, gender = 'M', phone_enc = $2, phone_index = $3, phone_masked = $4, \
                     phone_last4 = $5, name_initials = $6 WHERE id = $7",
                )
                .bind(&name)
                .bind(&sealed.phone_enc)
                .bind(&sealed.phone_index)
                .bind(&sealed.phone_masked)
                .bind(&sealed.phone_last4)
                .bind(&sealed.name_initials)
                .bind(rid)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE owners SET name = $1 WHERE resident_id = $2").bind(&name).bind(rid)
                )?;
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE accounts SET resident_id = $1 WHERE id = $2").bind(rid).bind(account_id)
                )?;
            }
            crate::exec!(tx, sqlx::query(crate::registry::BUMP_REGISTRY_VERSION).bind(community_id))?;
        })?;
    }
    // Grid workers: the first covers grid 1 and deputises in grid 2; five more, one grid each.
    let first = out.iter().find(|a| a.role == Role::GridWorker).map(|a| a.account_id).unwrap_or_default();
    store.assign_grid_worker(community.grid_ids[0], first, "worker").await?;
    if let Some(&g2) = community.grid_ids.get(1) {
        store.assign_grid_worker(g2, first, "deputy").await?;
    }
    let workers = ["黄磊", "吴婷", "徐海涛", "马晓红", "朱俊杰"];
    for (i, (&grid, name)) in community.grid_ids.iter().skip(1).zip(workers).enumerate() {
        let username = format!("wangge{}", i + 2);
        let account = NewAccount {
            username: Some(Username::parse("username", &username).map_err(config)?),
            phone: None,
            display_name: DisplayName::parse("display_name", name).map_err(config)?,
            password: password.clone(),
            assignments: vec![NewAssignment {
                role: Role::GridWorker,
                street_id: None,
                community_id: Some(community.id),
                organisation_id: None,
            }],
            grid_ids: vec![grid],
        };
        store.create_account(&account).await?;
    }
    demo_visits(store, community).await?;
    Ok(out)
}

const VISIT_NOTES: &[&str] = &[
    "身体状况良好，已提醒按时服药",
    "家中燃气、用电检查无异常",
    "反映楼道灯不亮，已记录待报修",
    "子女本周来探望过，情绪稳定",
    "血压偏高，建议到社区卫生站复查",
    "电话联系，老人一切正常",
];

/// A few weeks of visits by each grid's worker: most people who need care were visited
/// recently, some are overdue, as in a real community.
async fn demo_visits(store: &Store, community: &GeneratedCommunity) -> StoreResult<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let today = crate::today();
    let tagged: Vec<(i64, i64)> = read!(store, |db| sqlx::query_as(
        "SELECT DISTINCT r.id, r.grid_id FROM care_tags t JOIN residents r ON r.id = t.resident_id \
         WHERE t.community_id = $1 ORDER BY r.id"
    )
    .bind(community.id)
    .fetch_all(db)
    .await?);
    let workers: Vec<(i64, i64)> = read!(store, |db| sqlx::query_as(
        "SELECT grid_id, account_id FROM grid_workers WHERE community_id = $1 AND duty = 'worker'"
    )
    .bind(community.id)
    .fetch_all(db)
    .await?);
    for (resident_id, grid_id) in tagged {
        let Some(&(_, worker)) = workers.iter().find(|(g, _)| *g == grid_id) else { continue };
        if rng.gen_bool(0.3) {
            continue;
        }
        let visit = crate::care::NewVisit {
            resident_id,
            account_id: worker,
            visited_on: today - chrono::Duration::days(rng.gen_range(1..=12)),
            kind: if rng.gen_bool(0.7) { "home" } else { "phone" },
            notes: VISIT_NOTES[rng.gen_range(0..VISIT_NOTES.len())].to_owned(),
            follow_up: rng.gen_bool(0.1),
        };
        store.record_visit(&visit).await?;
    }
    Ok(())
}

fn config(e: linli_domain::FieldError) -> crate::StoreError {
    crate::StoreError::Config(format!("demo data is invalid: {e}"))
}
