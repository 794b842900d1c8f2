use super::*;
use crate::contacts::Language;

fn at(s: &str) -> DateTime<Utc> {
    format!("{s}T09:00:00Z").parse().unwrap()
}

fn standing(state: State, expiry: Option<&str>) -> Standing {
    Standing {
        state,
        certificate: Some(Uuid::from_u128(7)),
        expiry: expiry.map(|e| e.parse().unwrap()),
    }
}

fn request(stage: Stage, last_mail: &str) -> CertificateRequest {
    CertificateRequest {
        id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        organization_id: Uuid::new_v4(),
        certificate_type_id: Uuid::new_v4(),
        message: String::new(),
        status: RequestStatus::Open,
        opened_by: Opener::Reminders,
        basis: Basis {
            certificate: Some(Uuid::from_u128(7)),
            expiry: Some("2027-01-31".parse().unwrap()),
            stage,
        },
        mails: vec![SentMail {
            at: at(last_mail),
            contact: Uuid::new_v4(),
            to: "qa@supplier.example".into(),
            reason: MailReason::Created,
        }],
        fulfilled_by: None,
        created_at: at(last_mail),
        updated_at: at(last_mail),
        closed_at: None,
    }
}

fn situation(standing: Standing, open: Option<&CertificateRequest>) -> Situation<'_> {
    Situation {
        standing,
        open,
        last_closed: None,
        renewed_since_opened: false,
    }
}

fn plan_at(s: &Situation, now: &str) -> Action {
    plan(s, &ReminderSettings::default(), at(now), 30)
}

#[test]
fn a_request_opens_when_the_certificate_enters_a_window_or_is_missing() {
    let far = standing(State::Valid, Some("2028-01-01"));
    assert_eq!(
        plan_at(&situation(far, None), "2026-12-01"),
        Action::Nothing
    );
    let expiring = standing(State::Expiring, Some("2027-02-15"));
    let Action::Open(basis) = plan_at(&situation(expiring, None), "2026-12-01") else {
        panic!("expected a request to open");
    };
    assert_eq!(basis.stage, Stage::Window(90));
    let missing = Standing {
        state: State::Missing,
        certificate: None,
        expiry: None,
    };
    assert!(matches!(
        plan_at(&situation(missing, None), "2026-12-01"),
        Action::Open(Basis {
            stage: Stage::Due,
            ..
        })
    ));
}

#[test]
fn nothing_opens_when_reminders_are_off() {
    let off = ReminderSettings {
        enabled: false,
        ..ReminderSettings::default()
    };
    let s = situation(standing(State::Expired, Some("2026-01-01")), None);
    assert_eq!(plan(&s, &off, at("2026-12-01"), 30), Action::Nothing);
}

#[test]
fn a_cancelled_request_is_not_opened_again_for_the_same_stage() {
    let expiring = standing(State::Expiring, Some("2027-01-31"));
    let mut cancelled = request(Stage::Window(90), "2026-11-20");
    cancelled.status = RequestStatus::Cancelled;
    let mut s = situation(expiring, None);
    s.last_closed = Some(&cancelled);
    // 61 days left: still the 90-day window of the cancelled request.
    assert_eq!(plan_at(&s, "2026-12-01"), Action::Nothing);
    // 30 days left: a new window, a new request.
    assert!(matches!(plan_at(&s, "2027-01-01"), Action::Open(_)));
}

#[test]
fn reminders_follow_the_windows_before_expiry() {
    let req = request(Stage::Window(90), "2026-11-01");
    let expiring = standing(State::Expiring, Some("2027-01-31"));
    // 70 days left: still the 90-day window.
    assert_eq!(
        plan_at(&situation(expiring, Some(&req)), "2026-11-22"),
        Action::Nothing
    );
    // 59 days left: the 60-day window.
    assert!(matches!(
        plan_at(&situation(expiring, Some(&req)), "2026-12-03"),
        Action::Remind(Basis {
            stage: Stage::Window(60),
            ..
        })
    ));
}

#[test]
fn after_expiry_reminders_come_on_the_cadence() {
    let req = request(Stage::Due, "2027-02-01");
    let expired = standing(State::Expired, Some("2027-01-31"));
    let s = situation(expired, Some(&req));
    assert_eq!(plan_at(&s, "2027-02-05"), Action::Nothing);
    assert!(matches!(plan_at(&s, "2027-02-08"), Action::Remind(_)));
    // The window request turns due at expiry at once.
    let window = request(Stage::Window(30), "2027-01-20");
    assert!(matches!(
        plan_at(&situation(expired, Some(&window)), "2027-02-01"),
        Action::Remind(Basis {
            stage: Stage::Due,
            ..
        })
    ));
}

#[test]
fn a_renewed_certificate_fulfils_and_a_lapsed_link_expires() {
    let req = request(Stage::Window(30), "2027-01-05");
    let valid = standing(State::Valid, Some("2030-01-31"));
    let mut s = situation(valid, Some(&req));
    assert_eq!(plan_at(&s, "2027-01-10"), Action::Nothing);
    s.renewed_since_opened = true;
    assert_eq!(plan_at(&s, "2027-01-10"), Action::Fulfil);
    // Reminders off, nothing sent for 30 days: the link lapses.
    let off = ReminderSettings {
        enabled: false,
        ..ReminderSettings::default()
    };
    let expired = standing(State::Expired, Some("2027-01-31"));
    let s = situation(expired, Some(&req));
    assert_eq!(plan(&s, &off, at("2027-02-03"), 30), Action::Nothing);
    assert_eq!(plan(&s, &off, at("2027-02-05"), 30), Action::Expire);
}

#[test]
fn a_contact_gets_one_mail_of_a_request_a_day() {
    let req = request(Stage::Due, "2027-02-01");
    let contact = |email: &str, receives| Contact {
        email: email.into(),
        receives_requests: receives,
        language: Language::De,
        ..Contact::new(req.tenant_id, req.organization_id, at("2027-01-01"))
    };
    let contacts = vec![
        contact("qa@supplier.example", true),
        contact("new@supplier.example", true),
        contact("sales@supplier.example", false),
    ];
    let today = |d: &str| d.parse().unwrap();
    let to: Vec<&str> = recipients(&req, &contacts, today("2027-02-01"))
        .iter()
        .map(|c| c.email.as_str())
        .collect();
    assert_eq!(to, ["new@supplier.example"]);
    assert_eq!(recipients(&req, &contacts, today("2027-02-02")).len(), 2);
}

#[test]
fn the_mail_history_keeps_the_latest() {
    let mut req = request(Stage::Due, "2027-02-01");
    let mail = |i: i64| SentMail {
        at: at("2027-02-01") + Duration::days(i),
        contact: Uuid::nil(),
        to: "a@b.example".into(),
        reason: MailReason::Reminder,
    };
    req.record_mails((1..=MAX_MAILS as i64 + 10).map(mail));
    assert_eq!(req.mails.len(), MAX_MAILS);
    assert_eq!(req.last_mail_at(), mail(MAX_MAILS as i64 + 10).at);
}

#[test]
fn statuses_and_cadence_parse() {
    for s in RequestStatus::ALL {
        assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(every_days(7), Ok(7));
    assert!(every_days(0).is_err() && every_days(91).is_err());
    assert_eq!(ReminderSettings::default().warning_days(), 90);
}
