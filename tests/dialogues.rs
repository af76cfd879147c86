//! Acceptance dialogues for the receptionist, in English and Spanish, written from the
//! specification of how it answers ordinary messages (not from the code that answers them).
//!
//! Each dialogue is a few lines of a table: a name, optional setup (a known name, a stored
//! language, an upcoming appointment, a stylist already busy), then turns — what the customer
//! writes and the facts the reply must (not) contain — and checks on what is stored after a
//! turn. All dialogues of one engine run against one app, each from its own number, a few at
//! a time; every failure is reported with its transcript at the end.
//!
//! One dialogue alone (exact name, or a part of names; commas for several):
//!   DIALOGUE=en_cancel_then_yes cargo test --no-default-features --features ssr --test dialogues
//! How many run at once (offline engines): DIALOGUE_CONCURRENCY=8 (the default).
//!
//! Templates in the customer's text and in the checks:
//!   <tue> <wed3> …  a day: the Tuesday at least two days ahead, the third such Tuesday, …
//!                   (24–26 December and 1 January are skipped). The customer writes the
//!                   weekday alone when that is unambiguous ("Wednesday"), else with the date
//!                   ("Tuesday 8 December", "martes 8 de diciembre"); checks look for the
//!                   weekday name in the dialogue's language.
//!   <date:tue>      "Tuesday 8 December" / "martes 8 de diciembre"; <iso:tue> 2026-12-08
//!   <offer:1> <offer:-1> <offer:Chloe>   a time from the last offer (1-based, -1 = the last,
//!                   or the one offered with that stylist); <long> 4,096 characters.
//! Needles: case- and accent-insensitive substrings, `a|b` for alternatives, a leading `=`
//! for an exact (case-sensitive) substring; stylists' first names match whole words only.
//!
//! The calendar is shared by the dialogues of one app, so each dialogue that is offered or
//! books times has its own day, or shares it only with a stylist it never needs (Ben does
//! men's cuts and beards; Ana and Chloe colour, highlights and women's cuts). The natural
//! week (<tue>, <wed>, …) holds bookings at stated times and the appointments of the
//! cancellation dialogues, at times that never overlap; see the table.

use frontdesk::testing;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use frontdesk::model::{AppointmentStatus, BookingSource, ConversationMode, NameSource, WaId};
use frontdesk::server::db::{contacts, conversations, knowledge};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use testing::fakes::GeminiAnswer;
use testing::rig::{Brain, Rig, TZ};
use testing::TestDb;

// ───────────────────────────── the suites ─────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dialogues_offline_receptionist_on_sqlite() {
    let rig = Rig::start(Brain::Offline, &[]).await;
    run_suite(
        rig,
        "offline receptionist, SQLite",
        offline_dialogues(),
        concurrency(),
        "3469",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dialogues_offline_receptionist_on_postgresql() {
    let Some(db) = TestDb::postgres().await else {
        println!("dialogues (offline receptionist, PostgreSQL): SKIPPED, TEST_DATABASE_URL is not set");
        return;
    };
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    run_suite(
        rig,
        "offline receptionist, PostgreSQL",
        offline_dialogues(),
        concurrency(),
        "3469",
    )
    .await;
}

/// The fake Gemini answers from one queue, so these dialogues run one after another.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dialogues_with_the_fake_gemini() {
    let rig = Rig::start(Brain::Gemini, &[]).await;
    run_suite(rig, "fake Gemini, SQLite", gemini_dialogues(), 1, "3467").await;
}

fn concurrency() -> usize {
    testing::env_or("DIALOGUE_CONCURRENCY", 8usize).max(1)
}

// ───────────────────────────── the table: offline receptionist ─────────────────────────────

// The tables keep one dialogue to a few lines; rustfmt would give every call its own line.
#[rustfmt::skip]
fn offline_dialogues() -> Vec<D> {
    vec![
        // ── Language and names ──
        en("en_name_im_marta").say("Hi, I'm Marta").has(&["Marta"]).name("Marta").lang("en"),
        en("en_name_my_name_is").say("Hello, my name is Oliver").has(&["Oliver"]).name("Oliver"),
        en("en_new_customer_is_asked_the_name").say("hi").has(&["name", "?"]).lang("en"),
        en("en_returning_customer_by_name").named("Sara").say("hello").has(&["Sara"]).not(&["your name"]),
        en("en_name_and_booking_in_one_message")
            .say("Hi, I'm Marta. I'd like highlights on <tue> at 10")
            .has(&["10:00", "=<date:tue> at 10:00", "Ana|Chloe"])
            .booked("Highlights", "", "tue", "10:00").name("Marta").lang("en"),
        es("es_me_llamo_carmen").say("Hola, me llamo Carmen").has(&["Carmen"]).name("Carmen").lang("es"),
        es("es_soy_lucia").say("Soy Lucía").has(&["Lucía"]).name("Lucía").lang("es"),
        es("es_hola_pide_el_nombre").say("hola").has(&["nombre|llamas", "?"]).lang("es"),
        es("es_cliente_conocida").named("Lucía").speaks("es").say("hola").has(&["Lucía"]).not(&["nombre"]),
        es("es_nombre_y_reserva_a_la_vez")
            .say("Hola, soy Marta. Quiero mechas el <tue> a las 15")
            .has(&["15:00", "=<date:tue> a las 15:00", "Ana|Chloe"])
            .booked("Highlights", "", "tue", "15:00").name("Marta").lang("es"),
        en("en_ok_keeps_english").speaks("en").say("ok").lang("en"),
        es("es_ok_mantiene_el_espanol").speaks("es").say("ok").lang("es"),
        es("es_pulgar_mantiene_el_espanol").speaks("es").say("👍").lang("es"),
        en("en_switches_to_english").speaks("es").say("How much is a colour?").has(&["85"]).lang("en"),
        es("es_cambia_al_espanol").speaks("en").say("Quiero una cita para un tinte el <sat4>")
            .offer("*").first("09:00").lang("es"),
        // ── Bookings at a stated time (natural week; times never overlap) ──
        en("en_book_a_free_time").say("Can I book a men's haircut on <wed> at 11:00?")
            .has(&["11:00", "Ben", "=<date:wed> at 11:00"]).booked("Men's haircut", "Ben", "wed", "11:00"),
        en("en_book_with_a_stylist").say("I'd like a colour with Chloe on <thu> at 2pm")
            .has(&["14:00", "Chloe", "<thu>"]).booked("Colour", "Chloe", "thu", "14:00"),
        en("en_book_at_4pm").say("Please book me a blow-dry on <fri> at 4pm")
            .has(&["16:00", "<fri>", "Ana|Ben"]).booked("Blow-dry", "", "fri", "16:00"),
        en("en_book_on_saturday").say("Men's haircut on <sat> at 10:00 please")
            .has(&["10:00", "Ben", "<sat>"]).booked("Men's haircut", "Ben", "sat", "10:00"),
        es("es_reserva_a_una_hora").say("¿Puedo reservar un corte de hombre el <thu> a las 12:00?")
            .has(&["12:00", "Ben", "=<date:thu> a las 12:00"]).booked("Men's haircut", "Ben", "thu", "12:00"),
        es("es_reserva_el_sabado").say("Quiero un corte de hombre el <sat> a las 11")
            .has(&["11:00", "Ben", "<sat>"]).booked("Men's haircut", "Ben", "sat", "11:00"),
        es("es_reserva_con_chloe").say("Quiero un tinte con Chloe el <fri> a las 10:00")
            .has(&["10:00", "Chloe", "<fri>", "a las"]).booked("Colour", "Chloe", "fri", "10:00"),
        es("es_reserva_por_la_tarde").say("Quiero un brushing el <wed> a las 17:30")
            .has(&["17:30", "<wed>", "Ana|Ben"]).booked("Blow-dry", "", "wed", "17:30"),
        // ── Offers and choosing from them (each on its own day, or beside Ben-only work) ──
        en("en_offer_the_first_one").say("I'd like a colour on <tue2>")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread().has(&["<tue2>"])
            .say("the first one").has(&["<offer:1>", "<tue2>"])
            .booked("Colour", "", "tue2", "<offer:1>"),
        en("en_offer_the_time_by_name").say("Can I get a men's haircut on <tue2>?")
            .offer("*").first("09:00").only("Ben").spread()
            .say("the <offer:2> please").has(&["<offer:2>", "Ben"])
            .booked("Men's haircut", "Ben", "tue2", "<offer:2>"),
        en("en_offer_2").say("Do you have time for highlights on <wed2>?")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("2").has(&["<offer:2>"]).booked("Highlights", "", "wed2", "<offer:2>"),
        en("en_offer_half_past_ten").say("Could I get a beard trim on <wed2> after 10:30?")
            .offer("10:30-").first("10:30").only("Ben")
            .say("half past ten").has(&["10:30"]).booked("Beard trim", "Ben", "wed2", "10:30"),
        en("en_offer_first_in_the_morning").say("Can I get a women's haircut on <thu2> in the morning?")
            .offer("-12:00").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("first").has(&["<offer:1>"]).booked("Women's haircut", "", "thu2", "<offer:1>"),
        en("en_offer_after_5").say("Any chance of a men's haircut on <thu2> after 5?")
            .offer("17:00-").first("17:00").only("Ben"),
        en("en_offer_the_last_one").say("Colour on <fri2> in the afternoon, please")
            .offer("12:00-").first("12:00").stylists(&["Ana", "Chloe"]).spread()
            .say("the last one").has(&["<offer:-1>"]).booked("Colour", "", "fri2", "<offer:-1>"),
        en("en_offer_before_11").say("I need a beard trim on <fri2> before 11")
            .offer("-11:00").first("09:00").only("Ben"),
        en("en_offer_any_is_fine").say("Women's haircut on <sat2> in the morning?")
            .offer("-12:00").first("09:00").stylists(&["Ana", "Chloe"])
            .say("any is fine").has(&["<offer:1>"]).booked("Women's haircut", "", "sat2", "<offer:1>"),
        en("en_offer_with_ben_only").say("Can I book a blow-dry with Ben on <sat2>?")
            .offer("*").first("09:00").only("Ben")
            .say("first").has(&["<offer:1>", "Ben"]).booked("Blow-dry", "Ben", "sat2", "<offer:1>"),
        en("en_offer_pick_the_bare_time").say("Women's haircut on <tue3>, what do you have?")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("<offer:2>").has(&["<offer:2>"]).booked("Women's haircut", "", "tue3", "<offer:2>"),
        en("en_stylist_who_does_not_do_it").say("Can I book a men's haircut with Chloe on <tue3>?")
            .has(&["Chloe", "Ben"]).offer("*").nothing(),
        en("en_offer_with_chloe").say("I'd like a colour on <wed3>")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"])
            .say("with Chloe").has(&["<offer:Chloe>", "Chloe"])
            .booked("Colour", "Chloe", "wed3", "<offer:Chloe>"),
        en("en_offer_saturday_afternoon").say("Can I come for a women's haircut on <sat3> in the afternoon?")
            .offer("12:00-").first("12:00").stylists(&["Ana", "Chloe"]).spread(),
        en("en_offer_second_one_works").say("A blow-dry on <thu5> in the afternoon?")
            .offer("12:00-").first("12:00").stylists(&["Ana", "Ben"]).spread()
            .say("second one works for me").has(&["<offer:2>"]).booked("Blow-dry", "", "thu5", "<offer:2>"),
        en("en_offer_after_5pm").say("Can I get a blow-dry on <wed5> after 5pm?")
            .offer("17:00-").first("17:00")
            .say("the first one").has(&["<offer:1>"]).booked("Blow-dry", "", "wed5", "<offer:1>"),
        es("es_quiero_cita_y_la_primera").say("Hola, quiero una cita para un tinte el <thu3>")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread().has(&["<thu3>"])
            .say("la primera").has(&["<offer:1>", "a las"])
            .booked("Colour", "", "thu3", "<offer:1>").lang("es"),
        es("es_por_la_tarde").say("¿Tenéis hueco para un corte de hombre el <thu3> por la tarde?")
            .offer("15:00-").first("15:00").only("Ben").spread(),
        es("es_la_segunda").say("Quiero un corte de mujer el <fri3> por la mañana")
            .offer("-12:00").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("la segunda").has(&["<offer:2>"]).booked("Women's haircut", "", "fri3", "<offer:2>"),
        es("es_antes_de_las_11").say("Quiero un arreglo de barba el <fri3> antes de las 11")
            .offer("-11:00").first("09:00").only("Ben"),
        es("es_a_las_12").say("Quiero un corte de hombre el <wed3> después de las 12")
            .offer("12:00-").first("12:00").only("Ben")
            .say("a las 12").has(&["12:00"]).booked("Men's haircut", "Ben", "wed3", "12:00"),
        es("es_con_ben").say("Quiero un brushing con Ben el <sat3>")
            .offer("*").first("09:00").only("Ben")
            .say("la primera").has(&["<offer:1>", "Ben"]).booked("Blow-dry", "Ben", "sat3", "<offer:1>"),
        es("es_la_ultima").say("¿Tenéis hueco para mechas el <tue4> por la tarde?")
            .offer("15:00-").first("15:00").stylists(&["Ana", "Chloe"]).spread()
            .say("la última").has(&["<offer:-1>"]).booked("Highlights", "", "tue4", "<offer:-1>"),
        es("es_estilista_que_no_lo_hace").say("Quiero un corte de hombre con Chloe el <tue4>")
            .has(&["Chloe", "Ben"]).offer("*").nothing(),
        es("es_me_da_igual").say("Quiero un tinte el <wed4>")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("me da igual").has(&["<offer:1>"]).booked("Colour", "", "wed4", "<offer:1>"),
        es("es_con_chloe").say("¿Me das cita para un tinte el <thu4>?")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"])
            .say("con Chloe").has(&["<offer:Chloe>", "Chloe"])
            .booked("Colour", "Chloe", "thu4", "<offer:Chloe>"),
        es("es_un_2_tras_la_oferta").say("Quiero mechas el <fri4>")
            .offer("*").first("09:00").stylists(&["Ana", "Chloe"])
            .say("2").has(&["<offer:2>"]).booked("Highlights", "", "fri4", "<offer:2>").lang("es"),
        es("es_despues_de_las_5").say("Quiero un brushing el <tue5> después de las 5")
            .offer("17:00-").first("17:00"),
        // ── True reasons ──
        en("en_closed_on_monday").say("Can I book a women's haircut on <mon>?")
            .has(&["closed", "Tuesday"]).not(&["full"]).offer("*").nothing(),
        en("en_mens_haircut_on_monday_at_10").say("men's haircut on <mon> at 10")
            .has(&["closed", "Tuesday"]).not(&["full"]).nothing(),
        en("en_closed_on_sunday").say("Highlights on <sun> afternoon?")
            .has(&["closed", "Saturday"]).not(&["full"]).offer("12:00-").nothing(),
        en("en_outside_opening_hours").say("Can I book a blow-dry on <sat> at 18:00?").has(&["15:00"]).nothing(),
        en("en_date_in_the_past").say("Can I book a colour on 2020-03-03 at 10:00?").has(&["passed|past"]).nothing(),
        en("en_the_31st_of_november").say("I'd like a blow-dry on the 31st of November")
            .has(&["exist|valid"]).nothing(),
        en("en_31_11").say("31/11 at 10 for a women's haircut please").has(&["exist|valid"]).nothing(),
        en("en_christmas_day").say("Can I book a blow-dry on 25 December?").holiday().has(&["closed"]).nothing(),
        es("es_corte_de_pelo_el_martes_por_la_tarde")
            .say("Quiero una cita para un corte de pelo el <tue> por la tarde")
            .has(&["martes"]).offer("15:00-").nothing().lang("es"),
        es("es_cerrado_el_lunes").say("Quiero un corte de mujer el <mon>")
            .has(&["cerrado|cerramos", "martes"]).not(&["completo"]).offer("*").nothing(),
        es("es_cerrado_el_domingo").say("¿Puedo pedir cita para un tinte el <sun> por la mañana?")
            .has(&["cerrado|cerramos", "sábado"]).not(&["completo"]).offer("-12:00").nothing(),
        es("es_fuera_de_horario").say("Quiero un brushing el <sat> a las 18:00").has(&["15:00"]).nothing(),
        es("es_fecha_pasada").say("Quiero un tinte el 3 de marzo de 2020 a las 10:00").has(&["pasad|paso"]).nothing(),
        es("es_31_de_noviembre").say("Quiero un brushing el 31 de noviembre").has(&["existe|valida"]).nothing(),
        es("es_31_11").say("¿Tenéis hueco el 31/11 para un corte de mujer?").has(&["existe|valida"]).nothing(),
        es("es_navidad").say("¿Puedo pedir un brushing el 25 de diciembre?").holiday()
            .has(&["cerrado|cerramos"]).nothing(),
        // ── Direct answers ──
        en("en_open_on_sunday").say("Are you open on Sunday?").has(&["closed", "Sunday"]).not(&["Tue"]).nothing(),
        en("en_closing_time_on_saturday").say("what time do you close on Saturday?").has(&["15:00"]),
        en("en_how_long_is_colour").say("how long does colour take?").has(&["90"]),
        en("en_price_of_a_mens_haircut").say("how much is a men's haircut?").has(&["30"]),
        en("en_price_of_highlights").say("How much are highlights?").has(&["120"]),
        en("en_faq_parking").say("Is there parking?").has(&["parking|Calle Luna"]),
        en("en_faq_payment").say("How can I pay?").has(&["Bizum|card|cash"]),
        en("en_faq_cancellation_policy").say("What is your cancellation policy?").has(&["24"]),
        es("es_abris_el_domingo").say("¿abrís el domingo?").has(&["cerrado|cerramos"]).not(&["martes"]).nothing(),
        es("es_abris_los_lunes").say("¿Abrís los lunes?").has(&["cerrado|cerramos"]),
        es("es_hora_de_cierre_del_sabado").say("¿A qué hora cerráis el sábado?").has(&["15:00"]),
        es("es_precio_del_tinte").say("¿Cuánto cuesta el tinte?").has(&["85"]).lang("es"),
        es("es_duracion_de_las_mechas").say("¿Cuánto duran las mechas?").has(&["120|2 horas|dos horas"]),
        es("es_precio_corte_de_hombre").say("¿Cuánto vale un corte de hombre?").has(&["30"]),
        // FAQ answers are stored in English: the reply's language is not checked.
        es("es_aparcamiento").say("¿Hay aparcamiento?").has(&["Calle Luna|aparcamiento|parking"]).any_lang(),
        es("es_formas_de_pago").say("¿Cómo puedo pagar?").has(&["Bizum"]).any_lang(),
        // ── Cancelling is confirmed (appointments on the natural Wednesday / Thursday) ──
        en("en_cancel_then_yes").appt("Colour", "Ana", "wed", "10:00")
            .say("cancel my appointment").has(&["Colour", "<wed>", "10:00", "?"]).still_booked()
            .say("yes").has(&["cancelled"]).cancelled(),
        en("en_cancel_then_no").appt("Colour", "Ana", "wed", "14:00")
            .say("I want to cancel my appointment").has(&["Colour", "<wed>", "14:00", "?"]).still_booked()
            .say("no").still_booked(),
        en("en_dont_cancel").appt("Women's haircut", "Chloe", "wed", "10:00")
            .say("Please don't cancel my appointment, I'll be there!").still_booked(),
        en("en_cancel_then_what").appt("Blow-dry", "Ben", "wed", "14:00")
            .say("cancel my appointment").has(&["Blow-dry", "14:00", "?"]).still_booked()
            .say("what?").still_booked(),
        en("en_cancel_then_hmm").appt("Men's haircut", "Ben", "wed", "16:00")
            .say("can you cancel my booking").has(&["16:00", "?"]).still_booked()
            .say("hmm").still_booked(),
        en("en_cancel_without_an_appointment").say("cancel my appointment")
            .has(&["no upcoming|don't have|do not have|no appointment|n't find|not find|no booking"]).nothing(),
        es("es_cancela_y_si").appt("Colour", "Ana", "thu", "10:00")
            .say("cancela mi cita").has(&["<thu>", "10:00", "?"]).still_booked()
            .say("sí").has(&["cancelad|anulad"]).cancelled().lang("es"),
        es("es_cancela_y_no").appt("Colour", "Ana", "thu", "16:00")
            .say("Quiero cancelar mi cita").has(&["<thu>", "16:00", "?"]).still_booked()
            .say("no").still_booked(),
        es("es_no_canceles").appt("Women's haircut", "Chloe", "thu", "10:00")
            .say("No canceles mi cita, ¡allí estaré!").still_booked(),
        es("es_cancela_y_respuesta_confusa").appt("Blow-dry", "Ben", "thu", "15:00")
            .say("cancela mi cita, por favor").has(&["15:00", "?"]).still_booked()
            .say("¿qué?").still_booked(),
        es("es_cancela_sin_cita").say("Quiero cancelar mi cita")
            .has(&["no tienes|ninguna|no hay|no encuentro|no veo"]).nothing(),
        // ── Moving an appointment is confirmed ──
        en("en_move_at_the_same_time").appt("Colour", "Ana", "tue5", "10:00")
            .say("Can you move it to <thu5> at the same time?").has(&["<tue5>", "<thu5>", "10:00", "?"]).still_booked()
            .say("yes").has(&["<thu5>", "10:00"]).moved("thu5", "10:00", "Ana"),
        en("en_move_to_a_taken_time").appt("Colour", "Ana", "sat5", "10:00")
            .busy("Ana", "fri5", "12:00", 90).busy("Chloe", "fri5", "12:00", 90)
            .say("Can you move my appointment to <fri5> at 12:00?").has(&["<fri5>"]).offer("~").still_booked(),
        en("en_move_to_a_day_then_pick").appt("Women's haircut", "Chloe", "wed", "12:00")
            .say("Move it to <fri>").has(&["<fri>"]).offer("~").still_booked()
            .say("the first one").has(&["<offer:1>", "?"]).still_booked()
            .say("yes").has(&["<offer:1>"]).moved("fri", "<offer:1>", ""),
        en("en_move_to_a_stated_time").appt("Blow-dry", "Ben", "sat5", "13:00")
            .say("Can I change my appointment to <wed5> at 14:00?").has(&["<wed5>", "14:00", "?"]).still_booked()
            .say("yes please").moved("wed5", "14:00", ""),
        es("es_cambiala_a_la_misma_hora").appt("Colour", "Ana", "wed5", "10:00")
            .say("¿Puedes cambiarla al <fri5> a la misma hora?").has(&["<wed5>", "<fri5>", "10:00", "?"]).still_booked()
            .say("sí").has(&["<fri5>", "10:00"]).moved("fri5", "10:00", "Ana").lang("es"),
        es("es_cambiala_a_una_hora_ocupada").appt("Colour", "Chloe", "sat5", "12:00")
            .busy("Ana", "tue5", "12:00", 90).busy("Chloe", "tue5", "12:00", 90)
            .say("Cámbiala al <tue5> a las 12, por favor").has(&["<tue5>"]).offer("~").still_booked(),
        es("es_cambiala_y_elige").appt("Women's haircut", "Chloe", "sat5", "09:00")
            .say("¿Puedo cambiar mi cita al <thu>?").has(&["<thu>"]).offer("~").still_booked()
            .say("la primera").has(&["<offer:1>", "?"]).still_booked()
            .say("sí").moved("thu", "<offer:1>", ""),
        // ── A person, or no more messages ──
        en("en_talk_to_a_person").say("can I talk to a person?").human(),
        en("en_speak_to_a_human").say("I'd rather speak to a human, please").human(),
        en("en_stop").say("STOP").opted_out(),
        es("es_hablar_con_una_persona").say("quiero hablar con una persona").human().lang("es"),
        es("es_stop").speaks("es").say("STOP").opted_out(),
        // ── Bad input: one short reply, nothing booked or cancelled ──
        en("en_gibberish").say("asdkj qwe zzz").short().any_lang().nothing(),
        en("en_emoji_only").say("💇‍♀️✨").short().any_lang().nothing(),
        en("en_4096_characters").say("<long>").short().any_lang().nothing(),
        en("en_a_service_we_do_not_offer").say("Can I book a massage on <tue>?")
            .has(&["Colour|Highlights"]).nothing(),
        en("en_redelivered_webhook").say("hi").twice(),
        es("es_galimatias").speaks("es").say("asdkj qwe zzz").short().nothing(),
        es("es_solo_emoji").speaks("es").say("💇‍♀️✨").short().nothing(),
        es("es_4096_caracteres").speaks("es").say("<long>").short().nothing(),
        es("es_un_servicio_que_no_hay").say("Quiero reservar un masaje el <tue>")
            .has(&["Colour|Highlights|tinte|mechas"]).nothing().lang("es"),
        es("es_webhook_repetido").say("hola").twice(),
    ]
}

// ───────────────────────────── the table: fake Gemini ─────────────────────────────

/// The model's answer in the new contract; `.with(key, value)` sets one more field.
fn model(reply: &str, intents: &[&str], language: Option<&str>) -> Value {
    json!({
        "reply": reply, "intents": intents, "language": language, "customer_name": null,
        "booking": null, "choice": null, "negated": false
    })
}

fn booking(service: &str, date: &str, time: Option<&str>, earliest: Option<&str>) -> Value {
    json!({
        "service": service, "date": date, "date_to": null, "time": time,
        "earliest": earliest, "latest": null, "staff": null
    })
}

fn choice(index: Option<i64>, staff: Option<&str>) -> Value {
    json!({ "index": index, "time": null, "staff": staff, "any": false })
}

trait With {
    fn with(self, key: &str, value: Value) -> Value;
}

impl With for Value {
    fn with(mut self, key: &str, value: Value) -> Value {
        self[key] = value;
        self
    }
}

/// Replies the code decides carry the code's sentence, never the model's words, which are
/// marked "[model]" / "[modelo]" here.
#[rustfmt::skip]
fn gemini_dialogues() -> Vec<D> {
    vec![
        en("gm_name_and_booking_in_one_message").say("Hi, I'm Marta. I'd like highlights on <tue> at 10")
            .ai(model("[model] Hi Marta, booking it!", &["NAME_PROVIDED", "BOOKING_REQUEST"], Some("en"))
                .with("customer_name", json!("Marta"))
                .with("booking", booking("Highlights", "<iso:tue>", Some("10:00"), None)))
            .has(&["10:00", "<tue>"]).not(&["[model]"])
            .booked("Highlights", "", "tue", "10:00").name("Marta").lang("en"),
        en("gm_offer_then_choice_index_2").say("Can I get a colour on <wed>?")
            .ai(model("[model] Let me look.", &["BOOKING_REQUEST"], Some("en"))
                .with("booking", booking("Colour", "<iso:wed>", None, None)))
            .not(&["[model]"]).offer("*").first("09:00").stylists(&["Ana", "Chloe"]).spread()
            .say("the second one please")
            .ai(model("[model] Booked!", &["BOOKING_CONFIRMED"], Some("en")).with("choice", choice(Some(2), None)))
            .not(&["[model]"]).has(&["<offer:2>"]).booked("Colour", "", "wed", "<offer:2>"),
        en("gm_negated_cancel").appt("Colour", "Ana", "thu", "10:00")
            .say("Please don't cancel my appointment, I'll be there!")
            .ai(model("[model] Great, see you then!", &["BOOKING_CANCELLED"], Some("en")).with("negated", json!(true)))
            .still_booked(),
        en("gm_cancel_then_yes").appt("Colour", "Chloe", "thu", "15:00")
            .say("cancel my appointment")
            .ai(model("[model] Sure.", &["BOOKING_CANCELLED"], Some("en")))
            .not(&["[model]"]).has(&["Colour", "<thu>", "15:00", "?"]).still_booked()
            .say("yes").ai(model("[model] Done.", &["YES"], Some("en")))
            .not(&["[model]"]).has(&["cancelled"]).cancelled(),
        en("gm_reschedule_then_yes").appt("Colour", "Ana", "fri", "10:00")
            .say("Can you move it to <sat> at the same time?")
            .ai(model("[model] Moving it.", &["BOOKING_RESCHEDULE"], Some("en"))
                .with("booking", booking("Colour", "<iso:sat>", Some("10:00"), None)))
            .not(&["[model]"]).has(&["<fri>", "<sat>", "10:00", "?"]).still_booked()
            .say("yes").ai(model("[model] Done.", &["YES"], Some("en")))
            .not(&["[model]"]).moved("sat", "10:00", "Ana"),
        es("gm_reserva_en_espanol").say("Quiero un tinte el <thu> a las 12")
            .ai(model("[modelo] ¡Hecho!", &["BOOKING_REQUEST"], Some("es"))
                .with("booking", booking("Colour", "<iso:thu>", Some("12:00"), None)))
            .not(&["[modelo]"]).has(&["a las", "12:00", "<thu>"])
            .booked("Colour", "", "thu", "12:00").lang("es"),
        en("gm_window_from_17").say("Any time for a blow-dry on <wed> after 5?")
            .ai(model("[model] Checking.", &["BOOKING_REQUEST"], Some("en"))
                .with("booking", booking("Blow-dry", "<iso:wed>", None, Some("17:00"))))
            .not(&["[model]"]).offer("17:00-").first("17:00"),
        en("gm_greeting_is_the_models_words").say("hello")
            .ai(model("Hi! Welcome to the salon. May I have your name?", &["GREETING"], Some("en")))
            .has(&["=Hi! Welcome to the salon. May I have your name?"]),
        es("gm_faq_en_espanol").say("¿Cuánto cuesta el tinte?")
            .ai(model("El tinte cuesta 85 EUR y dura unos 90 minutos.", &["FAQ"], Some("es")))
            .has(&["=El tinte cuesta 85 EUR"]).lang("es"),
        en("gm_human_requested").say("Can I talk to a person?")
            .ai(model("[model] Passing you to the team.", &["HUMAN_REQUESTED"], Some("en")))
            .human(),
        en("gm_old_single_intent_form").say("Can I get a haircut on <fri> afternoon?")
            .ai(json!({
                "reply": "[model] Let me check.", "intent": "BOOKING_REQUEST", "customer_name": null,
                "booking": { "service": "Women's haircut", "date": "<iso:fri>", "time": null, "part_of_day": "afternoon", "staff": null }
            }))
            .not(&["[model]"]).offer("12:00-").first("12:00"),
        en("gm_choice_by_stylist").say("Colour on <sat>, please")
            .ai(model("[model] One moment.", &["BOOKING_REQUEST"], Some("en"))
                .with("booking", booking("Colour", "<iso:sat>", None, None)))
            .offer("*").stylists(&["Ana", "Chloe"])
            .say("with Chloe please")
            .ai(model("[model] Booked with Chloe.", &["BOOKING_CONFIRMED"], Some("en"))
                .with("choice", choice(None, Some("Chloe"))))
            .not(&["[model]"]).booked("Colour", "Chloe", "sat", "<offer:Chloe>"),
        es("gm_la_ultima").say("Quiero mechas el <tue> por la tarde")
            .ai(model("[modelo] Miro.", &["BOOKING_REQUEST"], Some("es"))
                .with("booking", booking("Highlights", "<iso:tue>", None, Some("15:00"))))
            .not(&["[modelo]"]).offer("15:00-").first("15:00")
            .say("la última")
            .ai(model("[modelo] Reservado.", &["BOOKING_CONFIRMED"], Some("es")).with("choice", choice(Some(-1), None)))
            .not(&["[modelo]"]).has(&["a las", "<offer:-1>"]).booked("Highlights", "", "tue", "<offer:-1>"),
        en("gm_stop_never_reaches_the_model").say("STOP").opted_out(),
        // Last: the app retries a message whose answer was malformed; the retry gets the greeting.
        en("gm_malformed_answer_gets_a_fallback").say("hi")
            .ai_text("Sure! {not json")
            .ai(model("Hello! May I have your name?", &["GREETING"], Some("en")))
            .replies(2).wait(25).any_lang().has(&["Hello! May I have your name?"]),
    ]
}

// ───────────────────────────── the DSL ─────────────────────────────

#[derive(Clone, Copy, PartialEq, Debug)]
enum Lang {
    En,
    Es,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}

#[derive(Clone)]
enum Setup {
    Name(&'static str),
    Language(&'static str),
    Appointment {
        service: &'static str,
        staff: &'static str,
        day: &'static str,
        time: &'static str,
    },
    Busy {
        staff: &'static str,
        day: &'static str,
        time: &'static str,
        minutes: i64,
    },
}

#[derive(Clone)]
enum Ai {
    Json(Value),
    Text(&'static str),
}

/// What an offer must look like: every offered time in `[from, to)` minutes; `loose` only
/// captures the times (a reply that also restates the appointment being moved).
#[derive(Clone, Default)]
struct Offer {
    from: u32,
    to: u32,
    loose: bool,
    first: Option<&'static str>,
    only: Option<&'static str>,
    stylists: Vec<&'static str>,
    spread: bool,
}

impl Offer {
    fn parse(window: &str) -> Offer {
        let minutes = |t: &str| {
            if t.is_empty() {
                None
            } else {
                Some(minutes_of(t).expect("a window time is HH:MM"))
            }
        };
        match window {
            "~" => Offer {
                to: 24 * 60,
                loose: true,
                ..Offer::default()
            },
            "*" => Offer {
                to: 24 * 60,
                ..Offer::default()
            },
            _ => {
                let (from, to) = window
                    .split_once('-')
                    .expect("a window is `HH:MM-HH:MM`, `HH:MM-` or `-HH:MM`");
                Offer {
                    from: minutes(from).unwrap_or(0),
                    to: minutes(to).unwrap_or(24 * 60),
                    ..Offer::default()
                }
            }
        }
    }
}

#[derive(Clone)]
enum Check {
    /// Exactly one new booked appointment: service, stylist ("" = any), day, time (a
    /// template such as "10:00" or "<offer:2>").
    Booked {
        service: &'static str,
        staff: &'static str,
        day: &'static str,
        time: &'static str,
    },
    /// The set-up appointment is still booked as it was, and nothing else is.
    StillBooked,
    /// The set-up appointment is cancelled and nothing is booked.
    Cancelled,
    /// The set-up appointment (the same row, or its one replacement) is now at day and time,
    /// same service; its old slot is free.
    Moved {
        day: &'static str,
        time: &'static str,
        staff: &'static str,
    },
    /// Nothing booked, cancelled or moved.
    Nothing,
    Name(&'static str),
    Language(&'static str),
    Mode(ConversationMode),
    OptedOut,
}

#[derive(Clone)]
struct Turn {
    say: &'static str,
    twice: bool,
    ai: Vec<Ai>,
    replies: usize,
    wait_secs: u64,
    has: Vec<&'static str>,
    not: Vec<&'static str>,
    any_lang: bool,
    short: bool,
    holiday: bool,
    offer: Option<Offer>,
    checks: Vec<Check>,
}

/// One dialogue of the table, built with the short methods below: setup first, then
/// `say(…)` starts a turn and what follows it applies to that turn.
#[derive(Clone)]
struct D {
    name: &'static str,
    lang: Lang,
    setup: Vec<Setup>,
    turns: Vec<Turn>,
}

fn en(name: &'static str) -> D {
    D {
        name,
        lang: Lang::En,
        setup: Vec::new(),
        turns: Vec::new(),
    }
}

fn es(name: &'static str) -> D {
    D {
        lang: Lang::Es,
        ..en(name)
    }
}

impl D {
    fn turn(&mut self) -> &mut Turn {
        let name = self.name;
        self.turns
            .last_mut()
            .unwrap_or_else(|| panic!("{name}: say(…) comes before what a turn checks"))
    }

    fn offer_mut(&mut self) -> &mut Offer {
        let name = self.name;
        self.turn()
            .offer
            .as_mut()
            .unwrap_or_else(|| panic!("{name}: offer(…) comes before what an offer checks"))
    }

    // Setup.
    fn named(mut self, name: &'static str) -> Self {
        self.setup.push(Setup::Name(name));
        self
    }
    fn speaks(mut self, code: &'static str) -> Self {
        self.setup.push(Setup::Language(code));
        self
    }
    fn appt(mut self, service: &'static str, staff: &'static str, day: &'static str, time: &'static str) -> Self {
        self.setup.push(Setup::Appointment {
            service,
            staff,
            day,
            time,
        });
        self
    }
    fn busy(mut self, staff: &'static str, day: &'static str, time: &'static str, minutes: i64) -> Self {
        self.setup.push(Setup::Busy {
            staff,
            day,
            time,
            minutes,
        });
        self
    }

    // A turn and its reply.
    fn say(mut self, text: &'static str) -> Self {
        self.turns.push(Turn {
            say: text,
            twice: false,
            ai: Vec::new(),
            replies: 1,
            wait_secs: 10,
            has: Vec::new(),
            not: Vec::new(),
            any_lang: false,
            short: false,
            holiday: false,
            offer: None,
            checks: Vec::new(),
        });
        self
    }
    fn has(mut self, needles: &[&'static str]) -> Self {
        self.turn().has.extend_from_slice(needles);
        self
    }
    fn not(mut self, needles: &[&'static str]) -> Self {
        self.turn().not.extend_from_slice(needles);
        self
    }
    fn ai(mut self, answer: Value) -> Self {
        self.turn().ai.push(Ai::Json(answer));
        self
    }
    fn ai_text(mut self, text: &'static str) -> Self {
        self.turn().ai.push(Ai::Text(text));
        self
    }
    fn replies(mut self, count: usize) -> Self {
        self.turn().replies = count;
        self
    }
    fn wait(mut self, seconds: u64) -> Self {
        self.turn().wait_secs = seconds;
        self
    }
    fn twice(mut self) -> Self {
        self.turn().twice = true;
        self
    }
    fn any_lang(mut self) -> Self {
        self.turn().any_lang = true;
        self
    }
    fn short(mut self) -> Self {
        self.turn().short = true;
        self
    }
    /// The reply checks of this turn apply only when 25 December is within 14 days.
    fn holiday(mut self) -> Self {
        self.turn().holiday = true;
        self
    }

    // The offer in the reply.
    fn offer(mut self, window: &'static str) -> Self {
        self.turn().offer = Some(Offer::parse(window));
        self
    }
    fn first(mut self, time: &'static str) -> Self {
        self.offer_mut().first = Some(time);
        self
    }
    fn only(mut self, staff: &'static str) -> Self {
        self.offer_mut().only = Some(staff);
        self
    }
    fn stylists(mut self, staff: &[&'static str]) -> Self {
        self.offer_mut().stylists.extend_from_slice(staff);
        self
    }
    fn spread(mut self) -> Self {
        self.offer_mut().spread = true;
        self
    }

    // What is stored after the turn.
    fn check(mut self, check: Check) -> Self {
        self.turn().checks.push(check);
        self
    }
    fn booked(self, service: &'static str, staff: &'static str, day: &'static str, time: &'static str) -> Self {
        self.check(Check::Booked {
            service,
            staff,
            day,
            time,
        })
    }
    fn still_booked(self) -> Self {
        self.check(Check::StillBooked)
    }
    fn cancelled(self) -> Self {
        self.check(Check::Cancelled)
    }
    fn moved(self, day: &'static str, time: &'static str, staff: &'static str) -> Self {
        self.check(Check::Moved { day, time, staff })
    }
    fn nothing(self) -> Self {
        self.check(Check::Nothing)
    }
    fn name(self, name: &'static str) -> Self {
        self.check(Check::Name(name))
    }
    fn lang(self, code: &'static str) -> Self {
        self.check(Check::Language(code))
    }
    fn human(self) -> Self {
        self.check(Check::Mode(ConversationMode::Human))
    }
    fn opted_out(self) -> Self {
        self.check(Check::OptedOut)
    }
}

// ───────────────────────────── running ─────────────────────────────

/// After the first reply to a turn, how long nothing more may arrive before the turn is over.
const QUIET: Duration = Duration::from_millis(300);
/// A reply "short" enough for bad input.
const SHORT: usize = 400;

struct Outcome {
    index: usize,
    name: &'static str,
    lang: Lang,
    passed: bool,
    log: String,
}

async fn run_suite(rig: Rig, engine: &str, table: Vec<D>, concurrency: usize, prefix: &str) {
    let mut seen = HashSet::new();
    for d in &table {
        assert!(seen.insert(d.name), "two dialogues are named {}", d.name);
    }
    // The demo salon's upcoming appointments would take slots the dialogues count on.
    {
        let mut conn = rig.db().write().await.expect("the write connection");
        sqlx::query("UPDATE appointments SET status = 'cancelled' WHERE status = 'booked'")
            .execute(&mut *conn)
            .await
            .expect("clear the demo salon's upcoming appointments");
    }
    let today = Utc::now().with_timezone(&TZ).date_naive();
    let selected = select(&table);
    let started = Instant::now();
    let rig_ref = &rig;
    let mut outcomes: Vec<Outcome> = stream::iter(selected.into_iter().map(|(index, d)| {
        let number = format!("{prefix}{:07}", 1000 + index);
        let blocker = format!("3468{:07}", 1000 + index);
        async move {
            let mut run = Run {
                rig: rig_ref,
                today,
                number,
                blocker,
                lang: d.lang,
                offer: None,
                setup: Vec::new(),
                log: String::new(),
                failed: false,
            };
            let limit = Duration::from_secs(120);
            if tokio::time::timeout(limit, run.dialogue(&d)).await.is_err() {
                run.fail(&format!("the dialogue did not finish within {} s", limit.as_secs()));
            }
            Outcome {
                index,
                name: d.name,
                lang: d.lang,
                passed: !run.failed,
                log: run.log,
            }
        }
    }))
    .buffer_unordered(concurrency)
    .collect()
    .await;
    outcomes.sort_by_key(|o| o.index);
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let total = outcomes.len();
    let elapsed = started.elapsed().as_secs_f64();
    let english = outcomes.iter().filter(|o| o.lang == Lang::En).count();
    let summary = format!(
        "dialogues ({engine}): {passed}/{total} passed in {elapsed:.1} s ({english} English, {} Spanish; today is {today} in {TZ})",
        total - english
    );
    println!("{summary}");
    for o in &outcomes {
        println!("  {} {}", if o.passed { "ok  " } else { "FAIL" }, o.name);
    }
    rig.finish().await;
    if passed < total {
        let mut report = format!("{summary}\n\nFailing dialogues, with their transcripts:\n");
        for o in outcomes.iter().filter(|o| !o.passed) {
            let _ = write!(report, "\n── {} ──\n{}", o.name, o.log);
        }
        let _ = write!(report, "\n{summary}");
        panic!("{report}");
    }
}

/// The dialogues DIALOGUE names (comma separated; an exact name, else a part of names), with
/// their index in the table, which gives each its own customer number.
fn select(table: &[D]) -> Vec<(usize, D)> {
    let all = || table.iter().cloned().enumerate();
    let Ok(filter) = std::env::var("DIALOGUE") else {
        return all().collect();
    };
    let parts: Vec<&str> = filter.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    all()
        .filter(|(_, d)| {
            parts.iter().any(|part| {
                let exact = table.iter().any(|t| t.name == *part);
                if exact {
                    d.name == *part
                } else {
                    d.name.contains(part)
                }
            })
        })
        .collect()
}

struct SetupAppointment {
    id: i64,
    service: String,
    staff: String,
    starts_at: DateTime<Utc>,
}

/// A booked or cancelled appointment as stored, in local time.
#[derive(Debug)]
struct Stored {
    id: i64,
    service: String,
    staff: String,
    starts_at: DateTime<Utc>,
    status: AppointmentStatus,
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let local = self.starts_at.with_timezone(&TZ);
        write!(
            f,
            "#{} {} with {} on {} ({}) [{}]",
            self.id,
            self.service,
            self.staff,
            local.format("%a %Y-%m-%d %H:%M"),
            self.status.as_str(),
            self.starts_at
        )
    }
}

struct Run<'a> {
    rig: &'a Rig,
    today: NaiveDate,
    number: String,
    blocker: String,
    lang: Lang,
    /// The times of the last offer, in the order written, each with its stylist if named.
    offer: Option<Vec<(String, Option<String>)>>,
    setup: Vec<SetupAppointment>,
    log: String,
    failed: bool,
}

impl Run<'_> {
    fn fail(&mut self, what: &str) {
        self.failed = true;
        let _ = writeln!(self.log, "      ✗ {what}");
    }

    async fn dialogue(&mut self, d: &D) {
        let _ = writeln!(self.log, "  customer {} ({})", self.number, self.lang.code());
        if let Err(error) = self.prepare(d).await {
            self.fail(&format!("setup: {error}"));
            return;
        }
        let mut sent_so_far = self.rig.graph.sent_to(&self.number).len();
        for (n, turn) in d.turns.iter().enumerate() {
            let text = match self.render(turn.say, true) {
                Ok(text) => text,
                Err(error) => {
                    self.fail(&format!("cannot write the customer's message `{}`: {error}", turn.say));
                    return;
                }
            };
            let shown = if text.chars().count() > 120 {
                format!(
                    "{}… ({} characters)",
                    text.chars().take(60).collect::<String>(),
                    text.chars().count()
                )
            } else {
                text.clone()
            };
            let _ = writeln!(
                self.log,
                "  > {shown}{}",
                if turn.twice { "   (delivered twice)" } else { "" }
            );
            // Answers are addressed to this message; what an earlier turn left unused goes.
            self.rig.gemini.clear_answers();
            for answer in &turn.ai {
                match answer {
                    Ai::Json(value) => match self.render_json(value) {
                        Ok(value) => {
                            let _ = writeln!(self.log, "    (model answers {})", value);
                            self.rig.gemini.answer_to(&text, GeminiAnswer::Reply(value));
                        }
                        Err(error) => {
                            self.fail(&format!("cannot write the model's answer: {error}"));
                            return;
                        }
                    },
                    Ai::Text(raw) => {
                        let _ = writeln!(self.log, "    (model answers the text {raw:?})");
                        self.rig.gemini.answer_to(&text, GeminiAnswer::Text(raw.to_string()));
                    }
                }
            }
            let wamid = format!("wamid.DLG.{}.{n}", self.number);
            for _ in 0..if turn.twice { 2 } else { 1 } {
                let status = self.rig.say(&self.number, &wamid, &text).await.status();
                if !status.is_success() {
                    self.fail(&format!("the webhook answered {status}"));
                }
            }
            let replies = self.collect(sent_so_far, turn.replies, turn.wait_secs).await;
            sent_so_far += replies.len();
            for reply in &replies {
                let _ = writeln!(self.log, "  < {}", reply.replace('\n', "\n    "));
            }
            if replies.is_empty() {
                self.fail(&format!("no reply within {} s", turn.wait_secs));
                return;
            }
            if replies.len() != turn.replies {
                self.fail(&format!("{} replies, expected {}", replies.len(), turn.replies));
            }
            let reply = replies.join("\n");
            self.check_reply(turn, &reply);
            for check in &turn.checks {
                if let Err(error) = self.check_state(check).await {
                    self.fail(&error);
                }
            }
        }
        // Nothing more may arrive after the last turn.
        tokio::time::sleep(QUIET).await;
        let late = self.rig.graph.sent_to(&self.number).len() - sent_so_far;
        if late > 0 {
            let extra = self.rig.graph.sent_to(&self.number)[sent_so_far..].join(" | ");
            self.fail(&format!("{late} more message(s) after the last turn: {extra}"));
        }
    }

    /// Waits for `want` new messages (or the time limit), then until no more arrive for a
    /// moment, and returns every new message.
    async fn collect(&self, before: usize, want: usize, wait_secs: u64) -> Vec<String> {
        let sent = || self.rig.graph.sent_to(&self.number);
        let deadline = Instant::now() + Duration::from_secs(wait_secs);
        while sent().len() < before + want && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut count = sent().len();
        if count > before {
            let cap = Instant::now() + Duration::from_secs(3);
            let mut quiet_since = Instant::now();
            while quiet_since.elapsed() < QUIET && Instant::now() < cap {
                tokio::time::sleep(Duration::from_millis(25)).await;
                let now = sent().len();
                if now != count {
                    count = now;
                    quiet_since = Instant::now();
                }
            }
        }
        sent().get(before..).map(<[String]>::to_vec).unwrap_or_default()
    }

    async fn prepare(&mut self, d: &D) -> Result<(), String> {
        if d.setup.is_empty() {
            return Ok(());
        }
        let db = self.rig.db();
        let now = Utc::now();
        let wa = WaId::parse(&self.number).map_err(|e| format!("{e:?}"))?;
        let contact = contacts::get_or_create_contact(db, &wa, None, now, None)
            .await
            .map_err(|e| e.to_string())?;
        let services = knowledge::list_services(db).await.map_err(|e| e.to_string())?;
        let staff = knowledge::list_staff(db).await.map_err(|e| e.to_string())?;
        let service_named = |name: &str| {
            services
                .iter()
                .find(|s| s.name == name)
                .cloned()
                .ok_or(format!("no service {name}"))
        };
        let staff_named = |first: &str| {
            staff
                .iter()
                .find(|s| s.name.split_whitespace().next() == Some(first))
                .cloned()
                .ok_or(format!("no stylist {first}"))
        };
        for step in &d.setup {
            match step {
                Setup::Name(name) => contacts::set_name(db, contact.id, Some(*name), NameSource::Customer)
                    .await
                    .map_err(|e| e.to_string())?,
                Setup::Language(code) => {
                    let mut conn = db.write().await.map_err(|e| e.to_string())?;
                    sqlx::query("UPDATE contacts SET language = $1 WHERE id = $2")
                        .bind(*code)
                        .bind(contact.id)
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| format!("storing the contact's language (contacts.language): {e}"))?;
                }
                Setup::Appointment {
                    service,
                    staff,
                    day,
                    time,
                } => {
                    let service = service_named(service)?;
                    let member = staff_named(staff)?;
                    let starts_at = self.at(day, time)?;
                    let id = insert(db, contact.id, &service, member.id, starts_at).await?;
                    let _ = writeln!(
                        self.log,
                        "  (has {} with {} on {})",
                        service.name,
                        member.name,
                        starts_at.with_timezone(&TZ).format("%a %Y-%m-%d %H:%M")
                    );
                    self.setup.push(SetupAppointment {
                        id,
                        service: service.name.clone(),
                        staff: member.name.clone(),
                        starts_at,
                    });
                }
                Setup::Busy {
                    staff,
                    day,
                    time,
                    minutes,
                } => {
                    let member = staff_named(staff)?;
                    let starts_at = self.at(day, time)?;
                    let other = WaId::parse(&self.blocker).map_err(|e| format!("{e:?}"))?;
                    let other = contacts::get_or_create_contact(db, &other, None, now, None)
                        .await
                        .map_err(|e| e.to_string())?;
                    // Whatever service the stylist does, for the stated length.
                    let mut service = service_named(if *staff == "Ben" { "Men's haircut" } else { "Colour" })?;
                    service.duration_minutes = *minutes;
                    insert(db, other.id, &service, member.id, starts_at).await?;
                    let _ = writeln!(
                        self.log,
                        "  ({} is busy on {} for {minutes} min)",
                        member.name,
                        starts_at.with_timezone(&TZ).format("%a %Y-%m-%d %H:%M")
                    );
                }
            }
        }
        Ok(())
    }

    fn at(&self, day: &str, time: &str) -> Result<DateTime<Utc>, String> {
        let date = resolve_day(self.today, day).ok_or(format!("unknown day `{day}`"))?;
        let time = NaiveTime::parse_from_str(time, "%H:%M").map_err(|e| format!("{time}: {e}"))?;
        TZ.from_local_datetime(&date.and_time(time))
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or(format!("{date} {time} is not a local time"))
    }

    // ── templates ──

    fn render(&self, template: &str, for_customer: bool) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else { break };
            out.push_str(&rest[..open]);
            out.push_str(&self.token(&rest[open + 1..open + close], for_customer)?);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn render_json(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => Value::String(self.render(s, true)?),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.render_json(v)).collect::<Result<_, _>>()?),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    fn token(&self, token: &str, for_customer: bool) -> Result<String, String> {
        let day = |t: &str| resolve_day(self.today, t).ok_or(format!("unknown day `{t}`"));
        if token == "long" {
            return Ok(long_message());
        }
        if let Some(t) = token.strip_prefix("iso:") {
            return Ok(day(t)?.format("%Y-%m-%d").to_string());
        }
        if let Some(t) = token.strip_prefix("date:") {
            return Ok(full_date(self.lang, day(t)?));
        }
        if let Some(which) = token.strip_prefix("offer:") {
            return self.offered(which);
        }
        let date = day(token)?;
        let plain = (2..=6).contains(&(date - self.today).num_days());
        Ok(if for_customer && !plain {
            full_date(self.lang, date)
        } else {
            weekday_name(self.lang, date.weekday()).to_string()
        })
    }

    fn offered(&self, which: &str) -> Result<String, String> {
        let offer = self.offer.as_ref().ok_or("no offer so far")?;
        let found = match which.parse::<i64>() {
            Ok(-1) => offer.last(),
            Ok(n) if n >= 1 => offer.get(n as usize - 1),
            Ok(_) => None,
            Err(_) => offer.iter().find(|(_, staff)| staff.as_deref() == Some(which)),
        };
        found
            .map(|(time, _)| time.clone())
            .ok_or(format!("the offer has no time `{which}`: {offer:?}"))
    }

    // ── checks on the reply ──

    fn check_reply(&mut self, turn: &Turn, reply: &str) {
        let mut skip_facts = false;
        if turn.holiday {
            let christmas = resolve_day(self.today, "dec25").expect("25 December");
            let days = (christmas - self.today).num_days();
            if days > 14 {
                let _ = writeln!(
                    self.log,
                    "    (25 December is {days} days away: its closure is not checked)"
                );
                skip_facts = true;
            }
        }
        if !skip_facts {
            for needle in &turn.has {
                match self.render(needle, false) {
                    Ok(needle) if !contains(reply, &needle) => self.fail(&format!("the reply lacks `{needle}`")),
                    Ok(_) => {}
                    Err(error) => self.fail(&format!("`{needle}`: {error}")),
                }
            }
            for needle in &turn.not {
                match self.render(needle, false) {
                    Ok(needle) if contains(reply, &needle) => self.fail(&format!("the reply has `{needle}`")),
                    Ok(_) => {}
                    Err(error) => self.fail(&format!("`{needle}`: {error}")),
                }
            }
        }
        if !turn.any_lang {
            let found = language_of(reply);
            if found.is_some_and(|found| found != self.lang) {
                self.fail(&format!(
                    "the reply is not in the customer's language ({})",
                    self.lang.code()
                ));
            }
        }
        if turn.short && reply.chars().count() > SHORT {
            self.fail(&format!(
                "the reply is {} characters, not short (≤ {SHORT})",
                reply.chars().count()
            ));
        }
        if let Some(offer) = &turn.offer {
            self.check_offer(offer, reply);
        }
    }

    fn check_offer(&mut self, offer: &Offer, reply: &str) {
        let old: Vec<(String, String)> = self
            .setup
            .iter()
            .map(|a| {
                let local = a.starts_at.with_timezone(&TZ);
                (
                    norm(weekday_name(self.lang, local.weekday())),
                    local.format("%H:%M").to_string(),
                )
            })
            .collect();
        let times = offered_times(reply, &old);
        let pairs = pair_with_staff(reply, &times);
        self.offer = Some(pairs.clone());
        if times.is_empty() {
            self.fail("no time is offered");
            return;
        }
        let listed: Vec<&str> = pairs.iter().map(|(t, _)| t.as_str()).collect();
        if !offer.loose {
            if times.len() > 3 {
                self.fail(&format!("more than 3 times offered: {listed:?}"));
            }
            for (_, time) in &times {
                let m = minutes_of(time).unwrap_or(0);
                if m < offer.from || m >= offer.to {
                    self.fail(&format!(
                        "{time} is offered, outside the window {}–{}",
                        hhmm(offer.from),
                        hhmm(offer.to)
                    ));
                }
            }
        }
        if let Some(first) = offer.first {
            if listed.first() != Some(&first) {
                self.fail(&format!(
                    "the first offered time is not {first} (the earliest free slot): {listed:?}"
                ));
            }
        }
        if offer.spread && times.len() >= 2 {
            let mut minutes: Vec<u32> = times.iter().filter_map(|(_, t)| minutes_of(t)).collect();
            minutes.sort_unstable();
            if minutes.windows(2).any(|w| w[1] - w[0] < 60) {
                self.fail(&format!("the offered times are not at least an hour apart: {listed:?}"));
            }
        }
        let named = staff_mentions(reply);
        if let Some(only) = offer.only {
            let others: HashSet<&str> = named.iter().map(|(_, s)| *s).filter(|s| *s != only).collect();
            if !others.is_empty() {
                self.fail(&format!("only {only} was expected, the offer names {others:?}"));
            }
        }
        for stylist in &offer.stylists {
            if !named.iter().any(|(_, s)| s == stylist) {
                self.fail(&format!(
                    "the offer does not name {stylist} (different stylists were expected)"
                ));
            }
        }
    }

    // ── checks on what is stored ──

    async fn appointments(&self) -> Result<Vec<Stored>, String> {
        let contact = self.contact().await?;
        let rows = knowledge::appointments_for_contact(self.rig.db(), contact.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(rows
            .into_iter()
            .map(|a| Stored {
                id: a.id,
                service: a.service_name,
                staff: a.staff_name,
                starts_at: a.starts_at,
                status: a.status,
            })
            .collect())
    }

    async fn contact(&self) -> Result<frontdesk::model::Contact, String> {
        let wa = WaId::parse(&self.number).map_err(|e| format!("{e:?}"))?;
        contacts::find_contact_by_wa_id(self.rig.db(), &wa)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the contact was not stored".to_string())
    }

    async fn check_state(&self, check: &Check) -> Result<(), String> {
        let listing = |all: &[Stored]| {
            if all.is_empty() {
                "none".to_string()
            } else {
                all.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            }
        };
        match check {
            Check::Booked {
                service,
                staff,
                day,
                time,
            } => {
                let all = self.appointments().await?;
                let setup: HashSet<i64> = self.setup.iter().map(|a| a.id).collect();
                let new: Vec<&Stored> = all
                    .iter()
                    .filter(|a| a.status == AppointmentStatus::Booked && !setup.contains(&a.id))
                    .collect();
                let date = resolve_day(self.today, day).ok_or(format!("unknown day `{day}`"))?;
                let wanted_time = self.render(time, false)?;
                let wanted = format!(
                    "booked: {service}{} on {date} at {wanted_time}",
                    if staff.is_empty() {
                        String::new()
                    } else {
                        format!(" with {staff}")
                    }
                );
                let [one] = new.as_slice() else {
                    return Err(format!(
                        "{wanted}; expected one new booked appointment, found: {}",
                        listing(&all)
                    ));
                };
                let local = one.starts_at.with_timezone(&TZ);
                let good = norm(&one.service) == norm(service)
                    && (staff.is_empty() || first_name(&one.staff) == *staff)
                    && local.date_naive() == date
                    && local.format("%H:%M").to_string() == wanted_time;
                if good {
                    Ok(())
                } else {
                    Err(format!("{wanted}; found: {}", listing(&all)))
                }
            }
            Check::StillBooked | Check::Nothing => {
                let all = self.appointments().await?;
                let booked = all.iter().filter(|a| a.status == AppointmentStatus::Booked).count();
                let unchanged = self.setup.iter().all(|s| {
                    all.iter().any(|a| {
                        a.id == s.id
                            && a.status == AppointmentStatus::Booked
                            && a.starts_at == s.starts_at
                            && a.staff == s.staff
                    })
                });
                let what = if matches!(check, Check::Nothing) {
                    "nothing booked, cancelled or moved"
                } else {
                    "still booked as before"
                };
                if unchanged && booked == self.setup.len() && all.len() == self.setup.len() {
                    Ok(())
                } else {
                    Err(format!("{what}; found: {}", listing(&all)))
                }
            }
            Check::Cancelled => {
                let all = self.appointments().await?;
                let original = self
                    .setup
                    .first()
                    .ok_or("cancelled(): the dialogue set up no appointment")?;
                let cancelled = all
                    .iter()
                    .any(|a| a.id == original.id && a.status == AppointmentStatus::Cancelled);
                let booked = all.iter().filter(|a| a.status == AppointmentStatus::Booked).count();
                if cancelled && booked == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "cancelled: {} on {}; found: {}",
                        original.service,
                        original.starts_at.with_timezone(&TZ).format("%Y-%m-%d %H:%M"),
                        listing(&all)
                    ))
                }
            }
            Check::Moved { day, time, staff } => {
                let all = self.appointments().await?;
                let original = self
                    .setup
                    .first()
                    .ok_or("moved(): the dialogue set up no appointment")?;
                let date = resolve_day(self.today, day).ok_or(format!("unknown day `{day}`"))?;
                let wanted_time = self.render(time, false)?;
                let wanted = format!(
                    "moved: {} to {date} at {wanted_time}{}",
                    original.service,
                    if staff.is_empty() {
                        String::new()
                    } else {
                        format!(" with {staff}")
                    }
                );
                let booked: Vec<&Stored> = all.iter().filter(|a| a.status == AppointmentStatus::Booked).collect();
                let [one] = booked.as_slice() else {
                    return Err(format!(
                        "{wanted}; expected exactly one booked appointment, found: {}",
                        listing(&all)
                    ));
                };
                let local = one.starts_at.with_timezone(&TZ);
                let good = one.service == original.service
                    && (staff.is_empty() || first_name(&one.staff) == *staff)
                    && local.date_naive() == date
                    && local.format("%H:%M").to_string() == wanted_time;
                if !good {
                    return Err(format!("{wanted}; found: {}", listing(&all)));
                }
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM appointments a JOIN staff s ON s.id = a.staff_id \
                     WHERE a.status = 'booked' AND a.starts_at = $1 AND s.name = $2",
                )
                .bind(original.starts_at.timestamp_millis())
                .bind(&original.staff)
                .fetch_one(self.rig.db().pool())
                .await
                .map_err(|e| e.to_string())?;
                if taken == 0 {
                    Ok(())
                } else {
                    Err(format!("{wanted}; the old slot is still taken"))
                }
            }
            Check::Name(name) => {
                let contact = self.contact().await?;
                if contact.name.as_deref() == Some(*name) {
                    Ok(())
                } else {
                    Err(format!("the contact's name is {:?}, expected {name:?}", contact.name))
                }
            }
            Check::Language(code) => {
                let stored: Option<String> = sqlx::query_scalar("SELECT language FROM contacts WHERE wa_id = $1")
                    .bind(&self.number)
                    .fetch_one(self.rig.db().pool())
                    .await
                    .map_err(|e| format!("reading the contact's language (contacts.language): {e}"))?;
                if stored.as_deref() == Some(*code) {
                    Ok(())
                } else {
                    Err(format!("the contact's language is {stored:?}, expected {code:?}"))
                }
            }
            Check::Mode(mode) => {
                let contact = self.contact().await?;
                let conversation = conversations::get_or_create_conversation(self.rig.db(), contact.id, Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
                if conversation.mode == *mode {
                    Ok(())
                } else {
                    Err(format!(
                        "the conversation is in {} mode, expected {}",
                        conversation.mode.as_str(),
                        mode.as_str()
                    ))
                }
            }
            Check::OptedOut => {
                if self.contact().await?.opted_out_at.is_some() {
                    Ok(())
                } else {
                    Err("the contact is not opted out".into())
                }
            }
        }
    }
}

async fn insert(
    db: &frontdesk::server::db::Db,
    contact_id: i64,
    service: &frontdesk::model::Service,
    staff_id: i64,
    starts_at: DateTime<Utc>,
) -> Result<i64, String> {
    knowledge::insert_appointment(
        db,
        &knowledge::NewAppointment {
            contact_id,
            service_id: service.id,
            staff_id,
            starts_at,
            ends_at: starts_at + chrono::Duration::minutes(service.duration_minutes),
            status: AppointmentStatus::Booked,
            source: BookingSource::Staff,
            campaign_id: None,
            price_cents: service.price_cents,
            created_at: Utc::now(),
        },
    )
    .await
    .map_err(|e| format!("inserting an appointment: {e}"))
}

// ───────────────────────────── days, times, words ─────────────────────────────

/// `tue`, `wed3`, `mon`, … : the first such weekday at least two days after `today`, or the
/// n-th one from there, skipping 24–26 December and 1 January; `dec25`: the next 25 December.
fn resolve_day(today: NaiveDate, token: &str) -> Option<NaiveDate> {
    if token == "dec25" {
        let this_year = NaiveDate::from_ymd_opt(today.year(), 12, 25)?;
        return if this_year >= today {
            Some(this_year)
        } else {
            NaiveDate::from_ymd_opt(today.year() + 1, 12, 25)
        };
    }
    let split = token.find(|c: char| c.is_ascii_digit()).unwrap_or(token.len());
    let weekday = match &token[..split] {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    };
    let nth: usize = if split == token.len() {
        1
    } else {
        token[split..].parse().ok()?
    };
    let mut day = today + chrono::Duration::days(2);
    while day.weekday() != weekday {
        day = day.succ_opt()?;
    }
    let mut found = 0;
    loop {
        if !matches!((day.month(), day.day()), (12, 24..=26) | (1, 1)) {
            found += 1;
            if found == nth {
                return Some(day);
            }
        }
        day += chrono::Duration::days(7);
    }
}

fn weekday_name(lang: Lang, weekday: Weekday) -> &'static str {
    let i = weekday.num_days_from_monday() as usize;
    match lang {
        Lang::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][i],
        Lang::Es => ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"][i],
    }
}

/// "Tuesday 8 December" / "martes 8 de diciembre".
fn full_date(lang: Lang, date: NaiveDate) -> String {
    let month = date.month0() as usize;
    match lang {
        Lang::En => format!(
            "{} {} {}",
            weekday_name(lang, date.weekday()),
            date.day(),
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December"
            ][month]
        ),
        Lang::Es => format!(
            "{} {} de {}",
            weekday_name(lang, date.weekday()),
            date.day(),
            [
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre"
            ][month]
        ),
    }
}

fn long_message() -> String {
    "lorem ipsum dolor sit amet ".repeat(200).chars().take(4096).collect()
}

fn minutes_of(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60).then_some(h * 60 + m)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn first_name(full: &str) -> &str {
    full.split_whitespace().next().unwrap_or(full)
}

/// Lower case, without accents: "Miércoles" and "miercoles" read the same.
fn norm(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            '’' => '\'',
            c => c,
        })
        .collect()
}

const STAFF: [&str; 3] = ["Ana", "Ben", "Chloe"];

fn is_word_at(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// A needle with `|` alternatives, a leading `=` for an exact match, stylists as whole words.
fn contains(reply: &str, needle: &str) -> bool {
    needle.split('|').any(|alternative| {
        if let Some(exact) = alternative.strip_prefix('=') {
            return reply.contains(exact);
        }
        let (hay, word) = (norm(reply), norm(alternative));
        if STAFF.iter().any(|s| norm(s) == word) {
            hay.match_indices(&word).any(|(i, w)| is_word_at(&hay, i, i + w.len()))
        } else {
            hay.contains(&word)
        }
    })
}

/// Where each stylist's first name is written, in order.
fn staff_mentions(reply: &str) -> Vec<(usize, &'static str)> {
    let lower = reply.to_ascii_lowercase();
    let mut found: Vec<(usize, &'static str)> = STAFF
        .iter()
        .flat_map(|name| {
            let word = name.to_ascii_lowercase();
            lower
                .match_indices(&word)
                .filter(|(i, w)| is_word_at(&lower, *i, i + w.len()))
                .map(|(i, _)| (i, *name))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort_unstable();
    found
}

/// The times written as H:MM or HH:MM, with where they are, except those that state a window
/// or opening hours ("after 17:00", "09:00–19:00", "hasta las 15:00") and those restating an
/// appointment the customer already has (its weekday just before its time).
fn offered_times(reply: &str, old: &[(String, String)]) -> Vec<(usize, String)> {
    const BEFORE: [&str; 25] = [
        "after",
        "before",
        "from",
        "until",
        "till",
        "between",
        "to",
        "close at",
        "closes at",
        "closing at",
        "open at",
        "opens at",
        "despues de las",
        "antes de las",
        "desde las",
        "hasta las",
        "a partir de las",
        "entre las",
        "cierra a las",
        "cerramos a las",
        "abre a las",
        "abrimos a las",
        "-",
        "–",
        "—",
    ];
    let lower = reply.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        let digit = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_digit);
        if (1..=2).contains(&(j - i)) && bytes.get(j) == Some(&b':') && digit(j + 1) && digit(j + 2) && !digit(j + 3) {
            let (h, m): (u32, u32) = (
                lower[i..j].parse().unwrap_or(99),
                lower[j + 1..j + 3].parse().unwrap_or(99),
            );
            if h < 24 && m < 60 {
                out.push((i, j + 3, format!("{h:02}:{m:02}")));
            }
            i = j + 3;
        } else {
            i = j;
        }
    }
    out.into_iter()
        .filter(|(start, end, time)| {
            let before = norm(&reply[..*start]);
            let before = before.trim_end();
            let after = reply[*end..].trim_start();
            let window_word = BEFORE.iter().any(|w| {
                before.ends_with(w)
                    && (!w.starts_with(char::is_alphabetic)
                        || !before[..before.len() - w.len()]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric))
            });
            let range = after.starts_with(['-', '–', '—'])
                || ["to ", "a "]
                    .iter()
                    .any(|w| after.starts_with(w) && after[w.len()..].starts_with(|c: char| c.is_ascii_digit()));
            let tail: String = before
                .chars()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let restated = old.iter().any(|(day, t)| t == time && tail.contains(day.as_str()));
            !window_word && !range && !restated
        })
        .map(|(start, _, time)| (start, time))
        .collect()
}

/// Each offered time with the stylist written next to it: after it ("10:00 with Ana") when
/// the reply names stylists after the first time, else before it ("Ana at 10:00").
fn pair_with_staff(reply: &str, times: &[(usize, String)]) -> Vec<(String, Option<String>)> {
    let staff = staff_mentions(reply);
    let names_follow = match (staff.first(), times.first()) {
        (Some((s, _)), Some((t, _))) => s > t,
        _ => true,
    };
    times
        .iter()
        .enumerate()
        .map(|(k, (at, time))| {
            let next = times.get(k + 1).map_or(usize::MAX, |(p, _)| *p);
            let who = if names_follow {
                staff.iter().find(|(p, _)| p > at && *p < next)
            } else {
                staff.iter().rev().find(|(p, _)| p < at)
            };
            (time.clone(), who.map(|(_, name)| name.to_string()))
        })
        .collect()
}

/// Which language a reply is in, by its most common little words; `None` when unclear.
fn language_of(reply: &str) -> Option<Lang> {
    const EN: [&str; 44] = [
        "the", "you", "your", "is", "are", "with", "and", "on", "at", "for", "we", "what", "would", "can", "which",
        "please", "to", "have", "it", "be", "our", "of", "hi", "hello", "thanks", "booked", "like", "do", "my", "an",
        "this", "that", "there", "here", "or", "when", "sorry", "open", "closed", "time", "times", "free", "day",
        "welcome",
    ];
    const ES: [&str; 52] = [
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "con",
        "para",
        "por",
        "tu",
        "tus",
        "te",
        "y",
        "es",
        "un",
        "una",
        "en",
        "lo",
        "se",
        "su",
        "hola",
        "gracias",
        "cita",
        "hora",
        "horas",
        "cual",
        "quieres",
        "puedo",
        "tienes",
        "al",
        "esta",
        "estas",
        "nos",
        "mi",
        "si",
        "o",
        "cuando",
        "abierto",
        "cerrado",
        "cerramos",
        "libre",
        "dia",
        "hay",
        "reservado",
        "reservada",
        "vale",
        "perfecto",
        "puedes",
        "tenemos",
        "hasta",
        "desde",
    ];
    let text = norm(reply);
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let en = words.iter().filter(|w| EN.contains(w)).count();
    let es = words.iter().filter(|w| ES.contains(w)).count();
    match en.cmp(&es) {
        std::cmp::Ordering::Greater => Some(Lang::En),
        std::cmp::Ordering::Less => Some(Lang::Es),
        std::cmp::Ordering::Equal => None,
    }
}

// ───────────────────────────── the harness checks itself ─────────────────────────────

#[test]
fn the_harness_reads_offers_days_and_languages() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(); // a Monday
    assert_eq!(resolve_day(today, "tue").unwrap().to_string(), "2026-12-08");
    assert_eq!(resolve_day(today, "wed").unwrap().to_string(), "2026-12-02");
    assert_eq!(
        resolve_day(today, "thu4").unwrap().to_string(),
        "2026-12-31",
        "24 December is skipped"
    );
    assert_eq!(
        resolve_day(today, "fri4").unwrap().to_string(),
        "2027-01-08",
        "25 December and 1 January are skipped"
    );
    assert_eq!(resolve_day(today, "dec25").unwrap().to_string(), "2026-12-25");
    assert_eq!(
        full_date(Lang::Es, resolve_day(today, "tue").unwrap()),
        "martes 8 de diciembre"
    );
    assert_eq!(
        full_date(Lang::En, resolve_day(today, "tue").unwrap()),
        "Tuesday 8 December"
    );

    let reply = "On Friday after 17:00 I can offer 17:00 with Ana García, 18:15 with Ben Okafor or 18:30 with Ana García. We're open 09:00–19:00.";
    let times = offered_times(reply, &[]);
    let pairs = pair_with_staff(reply, &times);
    assert_eq!(
        pairs,
        vec![
            ("17:00".to_string(), Some("Ana".to_string())),
            ("18:15".to_string(), Some("Ben".to_string())),
            ("18:30".to_string(), Some("Ana".to_string()))
        ]
    );
    let reply = "El martes puedo ofrecerte: Chloe a las 9:00, Ana a las 10:30 o Chloe a las 12:00.";
    let pairs = pair_with_staff(reply, &offered_times(reply, &[]));
    assert_eq!(pairs[0], ("09:00".to_string(), Some("Chloe".to_string())));
    assert_eq!(pairs[1], ("10:30".to_string(), Some("Ana".to_string())));
    let moving = "Your women's haircut on Wednesday 2 December at 12:00. On Friday I can offer 09:00 with Ana.";
    let times = offered_times(moving, &[("wednesday".into(), "12:00".into())]);
    assert_eq!(times.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), ["09:00"]);

    assert!(contains("Con Ana García a las 10:00", "ana"));
    assert!(!contains("por la mañana", "Ana"), "a stylist is a whole word");
    assert!(contains("el miércoles", "miercoles|jueves"));
    assert!(!contains("tuesday", "=Tuesday"));
    assert_eq!(language_of("¡Hola! ¿Cómo te llamas?"), Some(Lang::Es));
    assert_eq!(
        language_of("Reservado: Women's haircut con Ana García el martes 8 de diciembre a las 10:00."),
        Some(Lang::Es)
    );
    assert_eq!(
        language_of("Hi! Welcome to the salon. May I have your name?"),
        Some(Lang::En)
    );
    assert_eq!(language_of("👍"), None);
    assert_eq!(long_message().chars().count(), 4096);
    let names: HashSet<_> = offline_dialogues().iter().map(|d| d.name).collect();
    assert_eq!(names.len(), offline_dialogues().len(), "dialogue names are unique");
}
