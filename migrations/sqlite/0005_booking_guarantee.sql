-- One appointment per staff member and time, guaranteed by the database across processes.
-- A booking first bumps its staff member's booking_seq: that row write is the lock that
-- queues concurrent bookings for the same person (PostgreSQL locks the row; SQLite the
-- database), so the overlap check and the insert never interleave with another booking.
ALTER TABLE staff ADD COLUMN booking_seq INTEGER NOT NULL DEFAULT 0;

-- The backstop: two booked appointments can never start together with one staff member.
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (staff_id, starts_at) WHERE status = 'booked';
