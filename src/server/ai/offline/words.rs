//! How the offline receptionist reads text: folded to lower case without accents, split into
//! words, and matched against phrases in English and Spanish.

/// The longest stretch of a message that is read; the rest of a 4,096-character message
/// adds nothing a receptionist would act on and would only cost time.
const READ_CHARS: usize = 600;

/// A message made ready for matching.
pub struct Text {
    /// Lower case, accents removed, punctuation as spaces (`:`, `/`, `-` and `'` kept inside
    /// words for times, dates and "men's").
    pub folded: String,
    pub words: Vec<String>,
}

impl Text {
    pub fn new(message: &str) -> Text {
        let mut folded = String::with_capacity(message.len().min(READ_CHARS * 2));
        for c in message.chars().take(READ_CHARS) {
            for lower in c.to_lowercase() {
                folded.push(fold(lower));
            }
        }
        let words: Vec<String> = folded
            .split(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '/' | '-' | '\'' | '.')))
            .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '-' | '\'' | ':' | '/')))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        Text {
            folded: format!(" {} ", words.join(" ")),
            words,
        }
    }

    /// The phrase appears as whole words ("men's haircut" is not in "women's haircut").
    pub fn has(&self, phrase: &str) -> bool {
        self.find(phrase).is_some()
    }

    pub fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    /// The word index where the phrase starts.
    pub fn find(&self, phrase: &str) -> Option<usize> {
        let needle = format!(" {} ", phrase.trim());
        let at = self.folded.find(&needle)?;
        Some(self.folded[..at + 1].split_whitespace().count())
    }
}

/// One character without its accent ("á" → "a", "ñ" → "n").
fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        '’' | '`' => '\'',
        other => other,
    }
}

/// Folds a name or phrase from the knowledge the same way a message is folded.
pub fn folded(text: &str) -> String {
    Text::new(text).folded.trim().to_string()
}

pub const OPT_OUT: &[&str] = &[
    "unsubscribe",
    "stop messaging",
    "stop sending",
    "no more messages",
    "darme de baja",
    "dar de baja",
    "dadme de baja",
    "no quiero recibir",
    "no me envieis",
    "no me mandeis",
    "no me escribais",
];

pub const HUMAN: &[&str] = &[
    "human",
    "a person",
    "real person",
    "someone",
    "an agent",
    "staff member",
    "talk to",
    "speak to",
    "speak with",
    "talk with",
    "manager",
    "una persona",
    "un humano",
    "una humana",
    "hablar con alguien",
    "hablar con una",
    "hablar con un",
    "alguien del equipo",
    "el encargado",
    "la encargada",
];

pub const CANCEL: &[&str] = &[
    "cancel",
    "cancelled",
    "canceled",
    "cancelling",
    "canceling",
    "call off",
    "cancelar",
    "cancela",
    "cancelame",
    "cancelarla",
    "cancelala",
    "cancelarlo",
    "canceles",
    "anular",
    "anula",
    "anularla",
    "anulala",
];

/// Words before "cancel" that turn it around ("please don't cancel", "no la canceles").
pub const NEGATIONS: &[&str] = &[
    "don't",
    "dont",
    "not",
    "never",
    "no",
    "nunca",
    "won't",
    "shouldn't",
    "mustn't",
    "didn't",
];

pub const POLICY: &[&str] = &["policy", "politica", "fee", "charge", "penalty"];

pub const RESCHEDULE: &[&str] = &[
    "move",
    "move it",
    "reschedule",
    "re-schedule",
    "postpone",
    "bring it forward",
    "push it",
    "change it",
    "change my appointment",
    "change the appointment",
    "change the time",
    "change the day",
    "different time",
    "different day",
    "cambiar",
    "cambiarla",
    "cambiala",
    "cambiarlo",
    "cambiar la cita",
    "cambiar mi cita",
    "mover",
    "moverla",
    "muevela",
    "moverlo",
    "aplazar",
    "aplazarla",
    "retrasar",
    "retrasarla",
    "adelantar",
    "adelantarla",
    "pasarla",
    "pasala",
];

pub const SAME_TIME: &[&str] = &["same time", "misma hora", "la misma hora", "same hour"];

pub const YES: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "confirm",
    "confirmed",
    "please do",
    "go ahead",
    "do it",
    "correct",
    "that's right",
    "sounds good",
    "perfect",
    "great",
    "si",
    "vale",
    "claro",
    "de acuerdo",
    "confirmo",
    "confirmado",
    "adelante",
    "perfecto",
    "hazlo",
];

pub const NO: &[&str] = &[
    "no",
    "nope",
    "nah",
    "keep it",
    "leave it",
    "never mind",
    "not now",
    "dejala",
    "mantenla",
    "mejor no",
    "no gracias",
    "dejalo",
];

pub const ANY: &[&str] = &[
    "any",
    "anyone",
    "any is fine",
    "whichever",
    "either",
    "doesn't matter",
    "dont mind",
    "don't mind",
    "any time",
    "anytime",
    "me da igual",
    "da igual",
    "cualquiera",
    "la que sea",
    "lo que sea",
];

/// Ordinals that point into an offer, with their 1-based position (-1 is the last).
pub const ORDINALS: &[(&str, i64)] = &[
    ("first", 1),
    ("1st", 1),
    ("earliest", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
    ("last", -1),
    ("latest", -1),
    ("primera", 1),
    ("primero", 1),
    ("segunda", 2),
    ("segundo", 2),
    ("tercera", 3),
    ("tercero", 3),
    ("ultima", -1),
    ("ultimo", -1),
];

pub const BOOKING: &[&str] = &[
    "book",
    "booking",
    "appointment",
    "slot",
    "available",
    "availability",
    "reserve",
    "free at",
    "anything free",
    "schedule",
    "come in",
    "i'd like",
    "i would like",
    "can i get",
    "can i have",
    "do you have",
    "i want",
    "i need",
    "cita",
    "reservar",
    "reserva",
    "reservame",
    "hueco",
    "turno",
    "pedir hora",
    "quiero",
    "quisiera",
    "me gustaria",
    "necesito",
    "teneis",
    "tienes",
    "hay hueco",
    "libre",
];

pub const ABANDON: &[&str] = &[
    "never mind",
    "no thanks",
    "not anymore",
    "forget it",
    "da igual",
    "olvidalo",
    "dejalo",
    "ya no",
    "no gracias",
];

pub const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hola",
    "ciao",
    "good morning",
    "good afternoon",
    "good evening",
    "buenas",
    "buenos dias",
    "buenas tardes",
    "buenas noches",
];

pub const PRICE: &[&str] = &[
    "how much",
    "price",
    "prices",
    "cost",
    "costs",
    "cuanto cuesta",
    "cuanto vale",
    "cuanto es",
    "cuanto sale",
    "precio",
    "precios",
    "tarifa",
    "tarifas",
];

pub const DURATION: &[&str] = &[
    "how long",
    "duration",
    "cuanto dura",
    "cuanto tiempo",
    "cuanto tarda",
    "cuanto duran",
    "cuanto tardan",
    "duran",
    "duracion",
    "dura",
];

pub const HOURS: &[&str] = &[
    "open", "opening", "close", "closing", "closed", "hours", "abris", "abren", "abre", "abierto", "abiertos",
    "cerrais", "cierran", "cierra", "cerrado", "cerrados", "horario", "horarios",
];
pub const CLOSING: &[&str] = &["close", "closing", "cerrais", "cierran", "cierra"];
pub const OPENING: &[&str] = &[
    "what time do you open",
    "when do you open",
    "a que hora abris",
    "a que hora abren",
];
