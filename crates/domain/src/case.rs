//! The closed loop of a case (domain guide §2): reported → registered (立案) or refused →
//! dispatched → accepted → handled with feedback → verified on site (pass: closed; fail:
//! rework) → rated by the reporter. A grid worker may fix a simple problem on the spot and
//! close it at once (自办自结). Suspension (缓办) stops the clock and resumes where it was;
//! escalation (上报) hands the case to the next level to dispatch again; dissatisfaction
//! reopens a closed case. Every step is an [`Event`]; [`Case::apply`] is the only way a case
//! changes, and it refuses every step the loop does not allow.

use crate::{FieldError, TextRule};
use serde::Serialize;

/// What a report says happened: 4–2,000 characters, line breaks allowed.
pub const DESCRIPTION: TextRule =
    TextRule { min: 4, max: 2000, multiline: true, short: "error.case.description", long: "error.case.description" };
/// The room or exact place within a building.
pub const ROOM: TextRule = TextRule::line(0, 20, "error.import.room", "error.import.room");
/// The name of someone a staff member takes a report for (phone, visit, hotline).
pub const REPORTER_NAME: TextRule = TextRule::line(0, 32, "error.name.invalid", "error.name.invalid");
/// A step's note for the timeline (a reason, what was done).
pub const STEP_NOTE: TextRule =
    TextRule { min: 0, max: 1000, multiline: true, short: "error.case.note", long: "error.case.note" };

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Reported,
    Registered,
    Refused,
    Dispatched,
    Accepted,
    Handled,
    Closed,
    Suspended,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Reported,
        State::Registered,
        State::Refused,
        State::Dispatched,
        State::Accepted,
        State::Handled,
        State::Closed,
        State::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Registered => "registered",
            State::Refused => "refused",
            State::Dispatched => "dispatched",
            State::Accepted => "accepted",
            State::Handled => "handled",
            State::Closed => "closed",
            State::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Whether the case's clock runs (it stops when closed, refused or suspended).
    pub fn clock_runs(self) -> bool {
        !matches!(self, State::Closed | State::Refused | State::Suspended)
    }
}

stored_code!(State, "state");
stored_code!(Level, "level");

/// The level that holds a case: grid → community → street.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Grid,
    Community,
    Street,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Grid => "grid",
            Level::Community => "community",
            Level::Street => "street",
        }
    }

    pub const ALL: [Level; 3] = [Level::Grid, Level::Community, Level::Street];

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn above(self) -> Option<Level> {
        match self {
            Level::Grid => Some(Level::Community),
            Level::Community => Some(Level::Street),
            Level::Street => None,
        }
    }
}

/// One step of the loop, as the timeline records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Register,
    Refuse {
        reason: String,
    },
    /// Fixed on the spot by the grid worker who found it (自办自结): registered and closed.
    SelfResolve,
    Dispatch,
    /// The party a case was dispatched to hands it back (退回), with the reason: it was not
    /// theirs. The case returns to the staff, registered, to be dispatched again.
    HandBack {
        reason: String,
    },
    Accept,
    /// The handler's feedback: what was done.
    Feedback,
    VerifyPass,
    /// The on-site check failed: back to the handler, counted as rework (返工).
    VerifyFail,
    Suspend,
    Resume,
    /// An extension approved before the deadline.
    Extend,
    Escalate,
    Rate {
        stars: u8,
    },
    Reopen,
    /// A reminder (催办): recorded, changes nothing.
    Remind,
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Register => "register",
            Event::Refuse { .. } => "refuse",
            Event::SelfResolve => "self_resolve",
            Event::Dispatch => "dispatch",
            Event::HandBack { .. } => "hand_back",
            Event::Accept => "accept",
            Event::Feedback => "feedback",
            Event::VerifyPass => "verify_pass",
            Event::VerifyFail => "verify_fail",
            Event::Suspend => "suspend",
            Event::Resume => "resume",
            Event::Extend => "extend",
            Event::Escalate => "escalate",
            Event::Rate { .. } => "rate",
            Event::Reopen => "reopen",
            Event::Remind => "remind",
        }
    }
}

/// Why a step was refused: a message key for the web layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Illegal {
    pub from: State,
    pub event: &'static str,
    pub key: &'static str,
}

/// A case as the loop sees it: its state and the counters the indicators read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    pub state: State,
    pub level: Level,
    /// The state a suspended case returns to.
    pub resume_to: Option<State>,
    pub reworks: u32,
    pub extensions: u32,
    pub reopened: u32,
    pub self_resolved: bool,
    pub rating: Option<u8>,
}

impl Case {
    pub fn reported(level: Level) -> Case {
        Case {
            state: State::Reported,
            level,
            resume_to: None,
            reworks: 0,
            extensions: 0,
            reopened: 0,
            self_resolved: false,
            rating: None,
        }
    }

    /// Applies one step, or says why the loop does not allow it. `deadline_passed` guards
    /// extensions, which must be approved before the deadline.
    pub fn apply(&self, event: &Event, deadline_passed: bool) -> Result<Case, Illegal> {
        use State::*;
        let illegal = |key| Err(Illegal { from: self.state, event: event.kind(), key });
        let mut next = self.clone();
        match (self.state, event) {
            (Reported, Event::Register) => next.state = Registered,
            (Reported, Event::Refuse { reason }) => {
                if reason.trim().is_empty() {
                    return illegal("error.case.refuse_reason");
                }
                next.state = Refused;
            }
            (Reported, Event::SelfResolve) => {
                if self.level != Level::Grid {
                    return illegal("error.case.self_resolve_grid_only");
                }
                next.state = Closed;
                next.self_resolved = true;
            }
            (Registered, Event::Dispatch) => next.state = Dispatched,
            (Dispatched | Accepted, Event::HandBack { reason }) => {
                if reason.trim().is_empty() {
                    return illegal("error.case.hand_back_reason");
                }
                next.state = Registered;
            }
            (Dispatched, Event::Accept) => next.state = Accepted,
            (Accepted, Event::Feedback) => next.state = Handled,
            (Handled, Event::VerifyPass) => next.state = Closed,
            (Handled, Event::VerifyFail) => {
                next.state = Dispatched;
                next.reworks += 1;
            }
            (Registered | Dispatched | Accepted, Event::Suspend) => {
                next.resume_to = Some(self.state);
                next.state = Suspended;
            }
            (Suspended, Event::Resume) => {
                next.state = self.resume_to.unwrap_or(Registered);
                next.resume_to = None;
            }
            (Registered | Dispatched | Accepted | Handled, Event::Extend) => {
                if deadline_passed {
                    return illegal("error.case.extend_late");
                }
                next.extensions += 1;
            }
            (Reported | Registered | Dispatched | Accepted, Event::Escalate) => match self.level.above() {
                Some(level) => {
                    next.level = level;
                    next.state = if self.state == Reported { Reported } else { Registered };
                }
                None => return illegal("error.case.top_level"),
            },
            (Closed, Event::Rate { stars }) => {
                if !(1..=5).contains(stars) {
                    return illegal("error.case.stars");
                }
                if self.rating.is_some() {
                    return illegal("error.case.rated");
                }
                next.rating = Some(*stars);
            }
            (Closed, Event::Reopen) => {
                next.state = Dispatched;
                next.reopened += 1;
                next.rating = None;
            }
            (s, Event::Remind) if s.clock_runs() => {}
            _ => return illegal("error.case.transition"),
        }
        Ok(next)
    }

    /// Replays a timeline from the report; the first illegal step stops it.
    pub fn replay<'a>(level: Level, events: impl IntoIterator<Item = &'a Event>) -> Result<Case, Illegal> {
        events.into_iter().try_fold(Case::reported(level), |case, e| case.apply(e, false))
    }
}

/// Two reports are possibly the same problem when they share a category, were made
/// within this long of each other …
pub const DUPLICATE_WINDOW_MS: i64 = 72 * 3_600_000;
/// … and this close (or in the same building).
pub const DUPLICATE_RADIUS_M: f64 = 100.0;

/// Whether two reports of the same category are possibly one problem: close in time, and
/// in the same building or within [`DUPLICATE_RADIUS_M`] of each other.
pub fn possible_duplicate(
    a_at: i64,
    b_at: i64,
    a_building: Option<i64>,
    b_building: Option<i64>,
    a_point: Option<(f64, f64)>,
    b_point: Option<(f64, f64)>,
) -> bool {
    if (a_at - b_at).abs() > DUPLICATE_WINDOW_MS {
        return false;
    }
    if a_building.is_some() && a_building == b_building {
        return true;
    }
    match (a_point, b_point) {
        (Some(a), Some(b)) => crate::geometry::distance_m(a, b) <= DUPLICATE_RADIUS_M,
        _ => false,
    }
}

codes!(
    /// Where a report came from: the channel as the national grid standard counts it.
    Source, "source" {
        /// A resident, on the phone or the web.
        Resident => "resident",
        /// A grid worker on patrol.
        Patrol => "patrol",
        /// Taken by staff from a phone call, a visit to the office, or the 12345 hotline.
        Phone => "phone",
        Visit => "visit",
        Hotline => "hotline",
        /// An outside system: Open311 or the JSON API.
        Api => "api",
        /// A device's alarm (domain guide §5).
        Alarm => "alarm",
        /// A joint meeting's resolution that needs work in the field (domain guide §7).
        Meeting => "meeting",
    }
);

/// A resident's own report, the usual channel.
impl Default for Source {
    fn default() -> Self {
        Source::Resident
    }
}

impl Source {
    /// What staff may name as the channel when they take a report for someone else.
    pub const STAFF_INTAKE: [Source; 3] = [Source::Phone, Source::Visit, Source::Hotline];
}

codes!(
    /// A step a person takes on a case, as forms and the API name it (the loop's [`Event`]).
    Step, "step" {
        Register => "register",
        Refuse => "refuse",
        Dispatch => "dispatch",
        Accept => "accept",
        HandBack => "hand_back",
        Feedback => "feedback",
        VerifyPass => "verify_pass",
        VerifyFail => "verify_fail",
        Suspend => "suspend",
        Resume => "resume",
        Extend => "extend",
        Escalate => "escalate",
        Remind => "remind",
        Rate => "rate",
        Reopen => "reopen",
    }
);

/// Where a case stands, as far as whose step it is goes (who it concerns is
/// [`crate::CaseFacts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub state: State,
    pub level: Level,
    /// The person it was dispatched to, if a person.
    pub assignee_account_id: Option<i64>,
    /// Who gave the handler's feedback (does not verify it).
    pub handled_by: Option<i64>,
    /// Fixed on the spot by its reporter (自办自结).
    pub self_resolved: bool,
    pub rating: Option<u8>,
}

/// A case opened by alarms closes, or is refused, only once each of them is cleared and
/// acknowledged: `open_alarms` is how many are not.
pub fn check_open_alarms(event: &Event, open_alarms: i64) -> Result<(), FieldError> {
    if matches!(event, Event::VerifyPass | Event::Refuse { .. }) && open_alarms > 0 {
        return Err(FieldError::new("step", "error.case.alarm_open"));
    }
    Ok(())
}

/// What the system says on a case's timeline or in a notice, kept as a kind and its
/// particulars (never as a sentence) and put in words in the reader's language when
/// shown. Stored as JSON in the event's or notice's `remark`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "say", rename_all = "snake_case")]
pub enum Remark {
    /// The automatic reminder (催办) of a case past its deadline.
    OverdueReminder,
    /// Passed up to the community: a day past the deadline and still not done.
    OverdueEscalation,
    /// A threat of violence sent the dispute straight to the community.
    ViolenceEscalation,
    /// The reporter did not rate the case within `days`: counted as satisfied.
    UnansweredRating { days: i64 },
    /// Refused as a repeat of case `case`, and merged into it.
    DuplicateOf { case: i64 },
    /// Case `case` was merged into this one.
    Merged { case: i64 },
    /// An alarm (`alarm`, its type's code) of the device `device` joined this case.
    AlarmJoined { device: String, alarm: String },
    /// The alarm behind the case was acknowledged, which accepts the case.
    AlarmAcknowledged,
    /// A mediation session: its day, outcome (code) and mediators.
    Mediation { held_on: String, outcome: String, mediators: String },
    /// One code of a dispute record (a settlement, a follow-up, a risk, a referral, a
    /// party's side), named by the event's kind.
    Code { code: String },
}

impl Remark {
    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored remark; `None` for an event that has none or one this version does not know.
    pub fn from_json(stored: Option<&str>) -> Option<Remark> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_case_with_an_open_alarm_neither_closes_nor_is_refused() {
        let refuse = Event::Refuse { reason: "误报".into() };
        assert_eq!(check_open_alarms(&Event::VerifyPass, 1).unwrap_err().key, "error.case.alarm_open");
        assert_eq!(check_open_alarms(&refuse, 2).unwrap_err().key, "error.case.alarm_open");
        assert!(check_open_alarms(&Event::VerifyPass, 0).is_ok());
        assert!(check_open_alarms(&Event::Feedback, 1).is_ok(), "work on it goes on meanwhile");
    }

    #[test]
    fn a_remark_is_stored_as_its_kind_and_particulars_and_read_back() {
        let r =
            Remark::Mediation { held_on: "2026-11-03".into(), outcome: "settled".into(), mediators: "张三".into() };
        assert_eq!(r.to_json(), r#"{"say":"mediation","held_on":"2026-11-03","outcome":"settled","mediators":"张三"}"#);
        assert_eq!(Remark::from_json(Some(&r.to_json())), Some(r));
        assert_eq!(Remark::OverdueReminder.to_json(), r#"{"say":"overdue_reminder"}"#);
        assert_eq!(Remark::from_json(Some(r#"{"say":"from_a_later_version"}"#)), None);
        assert_eq!(Remark::from_json(None), None);
    }

    use super::*;
    use proptest::prelude::*;

    fn run(events: &[Event]) -> Result<Case, Illegal> {
        Case::replay(Level::Grid, events)
    }

    #[test]
    fn duplicates_are_near_in_time_and_place() {
        let h = 3_600_000;
        let here = Some((121.47, 31.23));
        let near = Some((121.4705, 31.2303)); // about 58 m away
        let far = Some((121.48, 31.23)); // about 950 m away
        assert!(possible_duplicate(0, 5 * h, None, None, here, near));
        assert!(!possible_duplicate(0, 5 * h, None, None, here, far));
        assert!(possible_duplicate(0, 5 * h, Some(3), Some(3), here, far), "the same building");
        assert!(!possible_duplicate(0, 73 * h, Some(3), Some(3), here, here), "three days apart");
        assert!(!possible_duplicate(0, h, None, None, None, here), "no place, no match");
    }

    #[test]
    fn the_seven_steps_close_a_case_and_the_reporter_rates_it() {
        let c = run(&[
            Event::Register,
            Event::Dispatch,
            Event::Accept,
            Event::Feedback,
            Event::VerifyPass,
            Event::Rate { stars: 5 },
        ])
        .unwrap();
        assert_eq!((c.state, c.rating, c.reworks), (State::Closed, Some(5), 0));
    }

    #[test]
    fn a_failed_check_is_rework_and_goes_back_to_the_handler() {
        let c = run(&[Event::Register, Event::Dispatch, Event::Accept, Event::Feedback, Event::VerifyFail]).unwrap();
        assert_eq!((c.state, c.reworks), (State::Dispatched, 1));
    }

    #[test]
    fn refusal_needs_a_reason_and_ends_the_case() {
        assert_eq!(run(&[Event::Refuse { reason: " ".into() }]).unwrap_err().key, "error.case.refuse_reason");
        let c = run(&[Event::Refuse { reason: "不属于社区事务".into() }]).unwrap();
        assert_eq!(c.state, State::Refused);
        assert!(c.apply(&Event::Dispatch, false).is_err());
    }

    #[test]
    fn suspension_stops_the_clock_and_resumes_where_it_was() {
        let c = run(&[Event::Register, Event::Dispatch, Event::Accept, Event::Suspend]).unwrap();
        assert!(!c.state.clock_runs());
        assert_eq!(c.apply(&Event::Resume, false).unwrap().state, State::Accepted);
    }

    #[test]
    fn extensions_only_before_the_deadline() {
        let c = run(&[Event::Register, Event::Dispatch]).unwrap();
        assert_eq!(c.apply(&Event::Extend, true).unwrap_err().key, "error.case.extend_late");
        assert_eq!(c.apply(&Event::Extend, false).unwrap().extensions, 1);
    }

    #[test]
    fn escalation_climbs_to_the_street_and_no_further() {
        let c = run(&[Event::Register, Event::Escalate, Event::Escalate]).unwrap();
        assert_eq!((c.level, c.state), (Level::Street, State::Registered));
        assert_eq!(c.apply(&Event::Escalate, false).unwrap_err().key, "error.case.top_level");
    }

    #[test]
    fn self_resolved_on_the_spot_closes_at_once_at_grid_level_only() {
        let c = run(&[Event::SelfResolve]).unwrap();
        assert!(c.self_resolved && c.state == State::Closed);
        let up = Case::reported(Level::Community);
        assert!(up.apply(&Event::SelfResolve, false).is_err());
    }

    #[test]
    fn dissatisfaction_reopens_and_a_rating_is_given_once() {
        let closed = run(&[Event::SelfResolve, Event::Rate { stars: 2 }]).unwrap();
        assert_eq!(closed.apply(&Event::Rate { stars: 4 }, false).unwrap_err().key, "error.case.rated");
        let reopened = closed.apply(&Event::Reopen, false).unwrap();
        assert_eq!((reopened.state, reopened.reopened, reopened.rating), (State::Dispatched, 1, None));
        assert_eq!(closed.apply(&Event::Rate { stars: 0 }, false).unwrap_err().key, "error.case.stars");
    }

    fn any_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::Register),
            Just(Event::Refuse { reason: "重复上报".into() }),
            Just(Event::SelfResolve),
            Just(Event::Dispatch),
            Just(Event::Accept),
            Just(Event::Feedback),
            Just(Event::VerifyPass),
            Just(Event::VerifyFail),
            Just(Event::Suspend),
            Just(Event::Resume),
            Just(Event::Extend),
            Just(Event::Escalate),
            (0u8..7).prop_map(|stars| Event::Rate { stars }),
            Just(Event::Reopen),
            Just(Event::Remind),
        ]
    }

    proptest! {
        /// Whatever is attempted, in any order: refused steps change nothing, the case is
        /// closed only through verification or on-the-spot resolution, rework is counted
        /// once per failed check, a rating exists only on a closed case, the level never
        /// goes down, and replaying the accepted steps gives the same case (a consistent
        /// timeline).
        #[test]
        fn no_illegal_transition_and_a_consistent_timeline(attempts in proptest::collection::vec((any_event(), any::<bool>()), 0..60)) {
            let mut case = Case::reported(Level::Grid);
            let mut timeline = Vec::new();
            let mut fails = 0;
            for (event, late) in &attempts {
                match case.apply(event, *late) {
                    Ok(next) => {
                        if next.state == State::Closed && case.state != State::Closed {
                            prop_assert!(matches!(event, Event::VerifyPass | Event::SelfResolve));
                            prop_assert!(matches!(case.state, State::Handled | State::Reported));
                        }
                        if matches!(event, Event::VerifyFail) { fails += 1; }
                        prop_assert!(next.level >= case.level);
                        if next.state == State::Suspended { prop_assert!(next.resume_to.is_some()); }
                        if next.rating.is_some() { prop_assert_eq!(next.state, State::Closed); }
                        timeline.push((event.clone(), *late));
                        case = next;
                    }
                    Err(e) => prop_assert_eq!(e.from, case.state),
                }
            }
            prop_assert_eq!(case.reworks, fails);
            let replayed = timeline.iter().try_fold(Case::reported(Level::Grid), |c, (e, late)| c.apply(e, *late));
            prop_assert_eq!(replayed, Ok(case));
        }
    }

    #[test]
    fn a_wrongly_dispatched_case_is_handed_back_with_a_reason() {
        let back = |reason: &str| Event::HandBack { reason: reason.into() };
        let c = run(&[Event::Register, Event::Dispatch, back("不是物业管辖范围")]).unwrap();
        assert_eq!(c.state, State::Registered, "back with the staff, to dispatch again");
        let c = run(&[Event::Register, Event::Dispatch, Event::Accept, back("属于市政道路，非小区内")]).unwrap();
        assert_eq!(c.state, State::Registered);
        assert_eq!(
            run(&[Event::Register, Event::Dispatch, back("  ")]).unwrap_err().key,
            "error.case.hand_back_reason"
        );
        assert!(run(&[Event::Register, back("未派遣")]).is_err(), "nothing to hand back before dispatch");
    }
}
