-- Customers are answered in their own language. Keep in step with
-- migrations/postgres/0006_language.sql.

-- The code of the language we write to a contact in (a catalog in locales/, e.g. 'es');
-- NULL until it is known, when the business's default language is used.
ALTER TABLE contacts ADD COLUMN language TEXT;

-- Other words customers use for a service, comma-separated, in any language
-- ("corte de pelo, haircut"), so the receptionist finds it whatever they call it.
ALTER TABLE services ADD COLUMN aliases TEXT NOT NULL DEFAULT '';

-- Holidays and one-off closures: whole local days, from starts_on to ends_on inclusive.
-- Dates are 'YYYY-MM-DD' text, so they compare in date order.
CREATE TABLE closures (
    id INTEGER PRIMARY KEY,
    starts_on TEXT NOT NULL CHECK (starts_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    ends_on TEXT NOT NULL CHECK (ends_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    reason TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
