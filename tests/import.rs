//! CSV import of contacts and marketing consent, against SQLite and PostgreSQL (when
//! TEST_DATABASE_URL is set): normalised numbers, merge rules, rejected lines with their
//! numbers and reasons, exact counts, reruns, and consent from staff and from START.

use chrono::{DateTime, TimeZone, Utc};
use frontdesk::model::{ConsentSource, ImportReport, NameSource, RejectedLine, WaId};
use frontdesk::on_both_databases;
use frontdesk::server::db::{contacts, imports, tags, Db};
use frontdesk::server::import::{import_contacts, FileError, ImportError, ReadOptions};
use frontdesk::testing::rig::{Brain, Rig};
use frontdesk::testing::TestDb;
use phonenumber::country::Id as Country;

on_both_databases!(
    a_file_imports_with_exact_counts_and_reasons,
    duplicates_merge_without_losing_names_tags_or_consent,
    a_rerun_of_the_same_file_changes_nothing_more,
    a_file_that_cannot_be_read_changes_nothing,
    many_lines_import_in_chunks,
    staff_give_and_withdraw_consent,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap()
}

fn options() -> ReadOptions {
    ReadOptions {
        country: Country::ES,
        timezone: chrono_tz::Europe::Madrid,
        now: now(),
    }
}

async fn import(db: &Db, csv: &str) -> ImportReport {
    import_contacts(db, csv.as_bytes().to_vec(), options(), None)
        .await
        .expect("the file imports")
}

async fn contact(db: &Db, wa: &str) -> frontdesk::model::Contact {
    contacts::find_contact_by_wa_id(db, &WaId::parse(wa).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("contact {wa} exists"))
}

async fn tag_names(db: &Db, contact_id: i64) -> Vec<String> {
    tags::tags_for_contact(db, contact_id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn rejected(line: u64, reason: &str) -> RejectedLine {
    RejectedLine {
        line,
        reason: reason.into(),
    }
}

async fn a_file_imports_with_exact_counts_and_reasons(db: &Db) {
    // An existing contact whose name the customer gave, and one with consent already.
    let sara = contacts::get_or_create_contact(db, &WaId::parse("34600111222").unwrap(), None, now(), None)
        .await
        .unwrap();
    contacts::set_name(db, sara.id, Some("Sara"), NameSource::Customer)
        .await
        .unwrap();
    let tom = contacts::get_or_create_contact(db, &WaId::parse("447911123456").unwrap(), None, now(), None)
        .await
        .unwrap();
    let earlier = now() - chrono::Duration::days(30);
    contacts::set_consent(db, tom.id, Some(ConsentSource::Staff), earlier)
        .await
        .unwrap();

    let long_name = "N".repeat(61);
    let csv = format!(
        "Phone,Name,Tags,Consent\n\
         +34 600 111 222,Sara Importada,VIP;colour,yes\n\
         600 333 444,Marta  Ruiz,VIP|nails,2026-01-10\n\
         0044 7911 123456,Tom,,yes\n\
         12345,Bad Number,,\n\
         600555666,{long_name},,\n\
         600555667,Too Many,a;b;c;d;e;f;g;h;i;j;k,\n\
         600555668,Long Tag,{},\n\
         600555669,Unsure,,maybe\n\
         600555670,Only,Two,Fields,Extra\n\
         ,No Phone,,\n\
         \n\
         600 777 888,,,no\n",
        "t".repeat(31)
    );
    let report = import(db, &csv).await;
    assert_eq!(
        report.rejected,
        vec![
            rejected(
                5,
                "not a valid phone number in ES; write numbers from other countries with their country code, e.g. +44"
            ),
            rejected(6, "name longer than 60 characters"),
            rejected(7, "more than 10 tags"),
            rejected(8, "a tag longer than 30 characters"),
            rejected(9, "consent must be yes, no, or the date it was given (YYYY-MM-DD)"),
            rejected(10, "malformed CSV line: 5 fields where the header has 4"),
            rejected(11, "no phone number"),
        ]
    );
    assert_eq!(report.lines, 11, "the blank line is not a line of data");
    assert_eq!((report.created, report.merged, report.duplicates), (2, 2, 0));
    assert_eq!(report.consent_given, 2, "Sara and Marta; Tom had consent already");
    assert_eq!(
        report.lines,
        report.rejected.len() as u64 + report.duplicates + report.created + report.merged
    );

    let sara = contact(db, "34600111222").await;
    assert_eq!(sara.name.as_deref(), Some("Sara"), "the customer's own name is kept");
    assert_eq!(sara.name_source, Some(NameSource::Customer));
    assert_eq!(
        (sara.consent_at, sara.consent_source),
        (Some(now()), Some(ConsentSource::Import))
    );
    assert_eq!(tag_names(db, sara.id).await, ["VIP", "colour"]);

    let marta = contact(db, "34600333444").await;
    assert_eq!(marta.name.as_deref(), Some("Marta Ruiz"));
    assert_eq!(marta.name_source, Some(NameSource::Staff));
    assert_eq!((marta.first_seen_at, marta.last_seen_at), (now(), now()));
    let midnight_madrid = Utc.with_ymd_and_hms(2026, 1, 9, 23, 0, 0).unwrap();
    assert_eq!(
        marta.consent_at,
        Some(midnight_madrid),
        "a date is midnight in the business's zone"
    );
    assert_eq!(tag_names(db, marta.id).await, ["VIP", "nails"]);

    let tom = contact(db, "447911123456").await;
    assert_eq!(
        tom.name.as_deref(),
        Some("Tom"),
        "a contact without a name gets the imported one"
    );
    assert_eq!(
        (tom.consent_at, tom.consent_source),
        (Some(earlier), Some(ConsentSource::Staff)),
        "consent already given keeps its time and source"
    );

    let nameless = contact(db, "34600777888").await;
    assert_eq!((nameless.name, nameless.consent_at), (None, None));

    let record = imports::get_import(db, report.import_id).await.unwrap();
    assert_eq!(record.status, "completed");
    assert_eq!(
        (record.lines, record.rejected, record.contacts, record.applied),
        (11, 7, 4, 4)
    );
    assert_eq!((record.created, record.merged, record.consent_given), (2, 2, 2));
}

async fn duplicates_merge_without_losing_names_tags_or_consent(db: &Db) {
    let report = import(
        db,
        "phone;name;tags;consent\n\
         600111222;Lena;VIP;\n\
         +34600111222;;colour;yes\n\
         0034 600 111 222;   ;VIP;\n",
    )
    .await;
    assert_eq!((report.lines, report.created, report.duplicates), (3, 1, 2));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let lena = contact(db, "34600111222").await;
    assert_eq!(lena.name.as_deref(), Some("Lena"), "a blank name never overwrites one");
    assert_eq!(lena.consent_source, Some(ConsentSource::Import));
    assert_eq!(tag_names(db, lena.id).await, ["VIP", "colour"]);

    // A later file: a blank name keeps Lena's, a new name replaces a staff-given one,
    // "no" does not withdraw consent, tags add up.
    let report = import(db, "PHONE,TAGS,CONSENT,NAME\n600111222,nails,no,\n").await;
    assert_eq!((report.created, report.merged, report.consent_given), (0, 1, 0));
    let lena = contact(db, "34600111222").await;
    assert_eq!(lena.name.as_deref(), Some("Lena"));
    assert!(lena.consent_at.is_some());
    assert_eq!(tag_names(db, lena.id).await, ["VIP", "colour", "nails"]);
    import(db, "phone,name\n600111222,Lena Berg\n").await;
    assert_eq!(contact(db, "34600111222").await.name.as_deref(), Some("Lena Berg"));
}

async fn a_rerun_of_the_same_file_changes_nothing_more(db: &Db) {
    let csv = "phone,name,tags,consent\n600111222,Ana,VIP,yes\n600333444,Bea,,\n";
    let first = import(db, csv).await;
    assert_eq!((first.created, first.merged, first.consent_given), (2, 0, 1));
    let before = (
        contact(db, "34600111222").await,
        count(db, "contacts").await,
        count(db, "contact_tags").await,
    );
    let again = import(db, csv).await;
    assert_eq!((again.created, again.merged, again.consent_given), (0, 2, 0));
    let after = (
        contact(db, "34600111222").await,
        count(db, "contacts").await,
        count(db, "contact_tags").await,
    );
    assert_eq!(before, after);
    assert_eq!(count(db, "contact_imports").await, 2, "each import is recorded");
}

async fn a_file_that_cannot_be_read_changes_nothing(db: &Db) {
    let refuse = |bytes: Vec<u8>| async move { import_contacts(db, bytes, options(), None).await.unwrap_err() };
    let not_utf8 = refuse(b"phone,name\n600111222,Jos\xe9\n".to_vec()).await;
    assert!(
        matches!(not_utf8, ImportError::File(FileError::NotUtf8 { line: 2 })),
        "{not_utf8}"
    );
    let replaced = refuse("phone,name\n600111222,Jos\u{FFFD}\n".as_bytes().to_vec()).await;
    assert!(
        matches!(replaced, ImportError::File(FileError::NotUtf8 { line: 2 })),
        "{replaced}"
    );
    let no_phone = refuse(b"name,tags\nAna,VIP\n".to_vec()).await;
    assert!(
        matches!(no_phone, ImportError::File(FileError::NoPhoneColumn)),
        "{no_phone}"
    );
    let empty = refuse(b" \n".to_vec()).await;
    assert!(matches!(empty, ImportError::File(FileError::Empty)), "{empty}");
    for table in ["contacts", "tags", "contact_imports"] {
        assert_eq!(count(db, table).await, 0, "nothing written to {table}");
    }
}

async fn many_lines_import_in_chunks(db: &Db) {
    // Several chunks, with numbers repeated across chunk boundaries and an existing contact.
    contacts::get_or_create_contact(db, &WaId::parse("34600000007").unwrap(), None, now(), None)
        .await
        .unwrap();
    let mut csv = String::from("phone,name,tags,consent\n");
    for i in 0..1_300 {
        csv.push_str(&format!("6000{:05},Client {i},batch|t{},yes\n", i % 1_200, i % 7));
    }
    let report = import(db, &csv).await;
    assert!(
        report.rejected.is_empty(),
        "{:?}",
        &report.rejected[..3.min(report.rejected.len())]
    );
    assert_eq!(report.lines, 1_300);
    assert_eq!(report.duplicates, 100);
    assert_eq!((report.created, report.merged), (1_199, 1));
    assert_eq!(report.consent_given, 1_200);
    assert_eq!(count(db, "contacts").await, 1_200);
    let seven = contact(db, "34600000007").await;
    assert_eq!(seven.name.as_deref(), Some("Client 1207"));
    let five = contact(db, "34600000005").await;
    assert_eq!(five.name.as_deref(), Some("Client 1205"), "the later line's name wins");
    assert_eq!(tag_names(db, five.id).await, ["batch", "t1", "t5"]);
}

async fn staff_give_and_withdraw_consent(db: &Db) {
    let ana = contacts::get_or_create_contact(db, &WaId::parse("34600111222").unwrap(), None, now(), None)
        .await
        .unwrap();
    contacts::set_consent(db, ana.id, Some(ConsentSource::Staff), now())
        .await
        .unwrap();
    let later = now() + chrono::Duration::days(1);
    contacts::set_consent(db, ana.id, Some(ConsentSource::Customer), later)
        .await
        .unwrap();
    let given = contact(db, "34600111222").await;
    assert_eq!(
        (given.consent_at, given.consent_source),
        (Some(now()), Some(ConsentSource::Staff))
    );
    contacts::set_consent(db, ana.id, None, later).await.unwrap();
    let withdrawn = contact(db, "34600111222").await;
    assert_eq!((withdrawn.consent_at, withdrawn.consent_source), (None, None));
}

/// START is the customer's own consent: recorded whether or not they had opted out.
async fn start_records_the_customers_consent(rig: Rig) {
    let (ana, bea) = ("34633333333", "34644444444");
    rig.say(ana, "wamid.C1", "STOP").await;
    rig.replies(ana, 1).await;
    rig.say(ana, "wamid.C2", "START").await;
    rig.replies(ana, 2).await;
    let contact = rig.contact(ana).await;
    assert_eq!(contact.opted_out_at, None);
    assert_eq!(contact.consent_source, Some(ConsentSource::Customer));
    assert!(contact.consent_at.is_some());

    rig.say(bea, "wamid.C3", "start").await;
    rig.replies(bea, 1).await;
    assert_eq!(rig.contact(bea).await.consent_source, Some(ConsentSource::Customer));
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_records_consent_on_sqlite() {
    start_records_the_customers_consent(Rig::start(Brain::Offline, &[]).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_records_consent_on_postgres() {
    let Some(db) = TestDb::postgres().await else { return };
    start_records_the_customers_consent(Rig::start_on(db, Brain::Offline, &[]).await).await;
}
