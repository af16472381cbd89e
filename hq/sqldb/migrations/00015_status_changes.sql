-- Every change of a person's colour (hq/sqldb/people.go SetPersonStatus writes it in the same
-- transaction as the change): from which colour to which, the reason, how many codes it revoked,
-- who made it (a console operator's name, or admin-token for the admin API) and when. It holds
-- no name or ID number: the person is their id. Rows are only ever inserted.
-- Every statement is plain SQL that SQLite and PostgreSQL read alike.
-- +goose Up
CREATE TABLE status_changes (
	person_id     TEXT NOT NULL,
	id            TEXT NOT NULL,
	at            TEXT NOT NULL,
	from_status   TEXT NOT NULL,
	status        TEXT NOT NULL,
	reason        TEXT NOT NULL,
	revoked_codes BIGINT NOT NULL,
	actor         TEXT NOT NULL,
	PRIMARY KEY (person_id, id)
);

-- +goose Down
DROP TABLE status_changes;
