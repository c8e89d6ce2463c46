/* SQL that takes a store of the current schema back to schema 12's
 * layout, undoing what each migration since added, newest first, for the
 * unit tests that open an older store and check what migrating it does.
 * A migration added to daemon/store.c adds its undoing at the top here. */
#ifndef PARLEY_TEST_SCHEMA_UNDO_H
#define PARLEY_TEST_SCHEMA_UNDO_H

#define SCHEMA_UNDO_TO_12 \
	/* 22 -> 23 */ \
	"CREATE TABLE ima_22(incident_id INTEGER NOT NULL REFERENCES incident(id)," \
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL," \
	"  proposed_time INTEGER, created_at INTEGER NOT NULL," \
	"  PRIMARY KEY(incident_id, party_id));" \
	"INSERT INTO ima_22 SELECT incident_id, party_id, accept, proposed_time, created_at" \
	"  FROM incident_meeting_answer ORDER BY id;" \
	"DROP TABLE incident_meeting_answer;" \
	"ALTER TABLE ima_22 RENAME TO incident_meeting_answer;" \
	"CREATE TABLE ar_22(amendment_id INTEGER NOT NULL REFERENCES amendment(id)," \
	"  party_id INTEGER NOT NULL REFERENCES party(id), accept INTEGER NOT NULL," \
	"  note TEXT NOT NULL, created_at INTEGER NOT NULL," \
	"  PRIMARY KEY(amendment_id, party_id));" \
	"INSERT INTO ar_22 SELECT amendment_id, party_id, accept, note, created_at" \
	"  FROM amendment_response ORDER BY id;" \
	"DROP TABLE amendment_response;" \
	"ALTER TABLE ar_22 RENAME TO amendment_response;" \
	"CREATE TABLE ap_22(agreement_id INTEGER NOT NULL REFERENCES agreement(id)," \
	"  party_id INTEGER NOT NULL REFERENCES party(id), observer INTEGER NOT NULL," \
	"  added_after_release INTEGER NOT NULL DEFAULT 0," \
	"  PRIMARY KEY(agreement_id, party_id));" \
	"INSERT INTO ap_22 SELECT agreement_id, party_id, observer, added_after_release" \
	"  FROM agreement_party ORDER BY id;" \
	"DROP TABLE agreement_party;" \
	"ALTER TABLE ap_22 RENAME TO agreement_party;" \
	"CREATE TABLE mc_22(agreement_id INTEGER NOT NULL, number INTEGER NOT NULL," \
	"  party_id INTEGER REFERENCES party(id), confirmed_at INTEGER NOT NULL," \
	"  note TEXT NOT NULL DEFAULT '');" \
	"INSERT INTO mc_22 SELECT agreement_id, number, party_id, confirmed_at, note" \
	"  FROM measure_confirmation;" \
	"DROP TABLE measure_confirmation;" \
	"ALTER TABLE mc_22 RENAME TO measure_confirmation;" \
	"CREATE UNIQUE INDEX measure_confirmation_by" \
	"  ON measure_confirmation(agreement_id, number, ifnull(party_id, 0));" \
	/* 21 -> 22 */ \
	"DROP TABLE letter_recipient;" \
	"DROP TABLE letter;" \
	"ALTER TABLE amendment DROP COLUMN forwarded_at;" \
	"DROP TABLE incident_meeting_answer;" \
	"DROP TABLE alert_cursor;" \
	"DROP TABLE duty_contact_passed;" \
	"DROP TABLE duty_contact;" \
	"DROP TABLE template;" \
	"ALTER TABLE incident DROP COLUMN recommendation;" \
	"ALTER TABLE incident DROP COLUMN recommended_at;" \
	"ALTER TABLE incident DROP COLUMN meeting_time;" \
	"ALTER TABLE incident DROP COLUMN meeting_place;" \
	"ALTER TABLE incident DROP COLUMN meeting_participants;" \
	"ALTER TABLE incident DROP COLUMN escalated_to;" \
	"ALTER TABLE incident DROP COLUMN escalated_at;" \
	"ALTER TABLE incident DROP COLUMN counter_protest;" \
	"ALTER TABLE incident DROP COLUMN counter_at;" \
	"ALTER TABLE incident DROP COLUMN counter_forwarded_at;" \
	/* 20 -> 21 */ \
	"DROP TABLE revision_text;" \
	"DROP TABLE agreement_frame;" \
	"DROP TABLE agreement_glossary;" \
	/* 19 -> 20 */ \
	"ALTER TABLE signer DROP COLUMN name;" \
	"ALTER TABLE signer DROP COLUMN title;" \
	/* 18 -> 19 */ \
	"ALTER TABLE copy DROP COLUMN reservation;" \
	"ALTER TABLE copy DROP COLUMN condition;" \
	"ALTER TABLE agreement DROP COLUMN no_reservations;" \
	"DROP TABLE condition_lift;" \
	"DROP TABLE condition_due;" \
	/* 17 -> 18 */ \
	"ALTER TABLE agreement DROP COLUMN same_signer_ok;" \
	/* 16 -> 17 */ \
	"ALTER TABLE revision DROP COLUMN content_version;" \
	/* 15 -> 16 */ \
	"DROP TABLE observer_answer;" \
	"DROP TABLE observer_request;" \
	"ALTER TABLE agreement_party DROP COLUMN added_after_release;" \
	/* 13 -> 14 */ \
	"DROP TABLE decline;" \
	"ALTER TABLE agreement DROP COLUMN withdraw_reason;" \
	"ALTER TABLE incident DROP COLUMN close_reason;" \
	/* 12 -> 13 */ \
	"ALTER TABLE agreement DROP COLUMN zone;"

#endif
