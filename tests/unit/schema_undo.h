/* SQL that takes a store of the current schema back to schema 12's
 * layout, undoing what each migration since added, newest first, for the
 * unit tests that open an older store and check what migrating it does.
 * A migration added to daemon/store.c adds its undoing at the top here. */
#ifndef PARLEY_TEST_SCHEMA_UNDO_H
#define PARLEY_TEST_SCHEMA_UNDO_H

#define SCHEMA_UNDO_TO_12 \
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
