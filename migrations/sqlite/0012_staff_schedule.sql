-- Who works when: each staff member's weekly hours and their days off, edited in the back
-- office. Keep in step with migrations/postgres/0012_staff_schedule.sql.

-- Working periods of a staff member in the business time zone (weekday 0 = Monday, as in
-- business_hours). A staff member without any rows works whenever the business is open;
-- with rows, only in them (and never outside business hours).
CREATE TABLE staff_hours (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts_minute INTEGER NOT NULL CHECK (starts_minute BETWEEN 0 AND 1439),
    ends_minute INTEGER NOT NULL CHECK (ends_minute BETWEEN 1 AND 1440),
    CHECK (starts_minute < ends_minute),
    UNIQUE (staff_id, weekday, starts_minute)
);

-- Whole local days a staff member is away (holiday, training), from starts_on to ends_on
-- inclusive; 'YYYY-MM-DD' text like closures, so they compare in date order.
CREATE TABLE staff_time_off (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    starts_on TEXT NOT NULL CHECK (starts_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    ends_on TEXT NOT NULL CHECK (ends_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    reason TEXT NOT NULL DEFAULT '',
    CHECK (ends_on >= starts_on)
);
CREATE INDEX staff_time_off_by_staff ON staff_time_off (staff_id, starts_on);
