-- Searching the inbox by part of a name or number: a trigram index finds the few contacts a
-- specific search names without walking every conversation. It mirrors `contacts` (names
-- and numbers only) and is kept in step by triggers; other contact updates never touch it.
CREATE VIRTUAL TABLE contact_search USING fts5(
    name, wa_id, content = 'contacts', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO contact_search (contact_search) VALUES ('rebuild');

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO contact_search (rowid, name, wa_id) VALUES (NEW.id, NEW.name, NEW.wa_id);
END;

CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
BEGIN
    INSERT INTO contact_search (contact_search, rowid, name, wa_id) VALUES ('delete', OLD.id, OLD.name, OLD.wa_id);
END;

CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, wa_id ON contacts
BEGIN
    INSERT INTO contact_search (contact_search, rowid, name, wa_id) VALUES ('delete', OLD.id, OLD.name, OLD.wa_id);
    INSERT INTO contact_search (rowid, name, wa_id) VALUES (NEW.id, NEW.name, NEW.wa_id);
END;
