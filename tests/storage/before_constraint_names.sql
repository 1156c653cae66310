-- A family's database as Gepeto made it before constraints were named (revision 0003).
BEGIN TRANSACTION;
CREATE TABLE action_record (
	id INTEGER NOT NULL, 
	inbox_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	tool VARCHAR(64) NOT NULL, 
	args JSON NOT NULL, 
	status VARCHAR(24) NOT NULL, 
	result JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(inbox_id) REFERENCES inbox_event (id) ON DELETE CASCADE, 
	UNIQUE (inbox_id, seq)
);
INSERT INTO "action_record" VALUES(1,1,0,'lists.add','{"item": "milk"}','done','{}','2026-12-01 09:00:00.000000');
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0003');
CREATE TABLE audit_entry (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	member_id INTEGER, 
	member_name VARCHAR(80) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	args JSON NOT NULL, 
	status VARCHAR(24) NOT NULL, 
	detail VARCHAR(1000) NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "audit_entry" VALUES(1,'2026-12-01 09:00:00.000000',1,'Ana','lists.add','{}','done','');
CREATE TABLE conversation_message (
	id INTEGER NOT NULL, 
	member_id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	content VARCHAR(8000) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE
);
INSERT INTO "conversation_message" VALUES(1,1,'telegram','1001','user','add milk','2026-12-01 09:00:00.000000');
CREATE TABLE household (
	id INTEGER NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "household" VALUES(1,'The Silvas','2026-12-01 09:00:00.000000');
CREATE TABLE identity (
	id INTEGER NOT NULL, 
	member_id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	address VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE, 
	UNIQUE (channel, address)
);
INSERT INTO "identity" VALUES(1,1,'telegram','1001','2026-12-01 09:00:00.000000');
INSERT INTO "identity" VALUES(2,2,'telegram','1002','2026-12-01 09:00:00.000000');
CREATE TABLE inbox_event (
	id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	event_id VARCHAR(255) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	payload JSON NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	received_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (channel, event_id)
);
INSERT INTO "inbox_event" VALUES(1,'telegram','u1','1001','{"text": "add milk"}','done',1,'2026-12-01 09:00:00.000000','2026-12-01 09:00:00.000000');
CREATE TABLE job_firing (
	id INTEGER NOT NULL, 
	job_id INTEGER NOT NULL, 
	occurrence DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	late_by_s INTEGER NOT NULL, 
	coalesced INTEGER NOT NULL, 
	attempts INTEGER NOT NULL, 
	error VARCHAR(500), 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(job_id) REFERENCES scheduled_job (id) ON DELETE CASCADE, 
	UNIQUE (job_id, occurrence)
);
INSERT INTO "job_firing" VALUES(1,1,'2026-12-01 09:00:00.000000','done',0,0,1,NULL,'2026-12-01 09:00:00.000000','2026-12-01 09:00:00.000000');
CREATE TABLE member (
	id INTEGER NOT NULL, 
	household_id INTEGER NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	name_key VARCHAR(80) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	language VARCHAR(16), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(household_id) REFERENCES household (id) ON DELETE CASCADE, 
	UNIQUE (household_id, name_key)
);
INSERT INTO "member" VALUES(1,1,'Ana','ana','parent','pt','2026-12-01 09:00:00.000000');
INSERT INTO "member" VALUES(2,1,'Leo','leo','child',NULL,'2026-12-01 09:00:00.000000');
CREATE TABLE member_chat (
	id INTEGER NOT NULL, 
	member_id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	last_seen_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE, 
	UNIQUE (member_id, channel)
);
INSERT INTO "member_chat" VALUES(1,1,'telegram','1001','2026-12-01 09:00:00.000000');
CREATE TABLE memory_fact (
	id INTEGER NOT NULL, 
	member_id INTEGER, 
	text VARCHAR(500) NOT NULL, 
	created_by INTEGER, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE
);
INSERT INTO "memory_fact" VALUES(1,2,'Leo is allergic to peanuts',1,'2026-12-01 09:00:00.000000');
CREATE TABLE outbox_message (
	id INTEGER NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	payload JSON NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	last_error VARCHAR(500), 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);
INSERT INTO "outbox_message" VALUES(1,'reply:1','telegram','1001','{"text": "Added milk"}','sent',1,'2026-12-01 09:00:00.000000',NULL,'2026-12-01 09:00:00.000000','2026-12-01 09:00:00.000000');
CREATE TABLE pairing_code (
	id INTEGER NOT NULL, 
	member_id INTEGER NOT NULL, 
	code_hash VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE, 
	UNIQUE (code_hash)
);
INSERT INTO "pairing_code" VALUES(1,2,'c0ffee','2026-12-01 09:00:00.000000',NULL,'2026-12-01 09:00:00.000000');
CREATE TABLE pending_confirmation (
	id INTEGER NOT NULL, 
	member_id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	tool VARCHAR(64) NOT NULL, 
	args JSON NOT NULL, 
	summary VARCHAR(500) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE
);
INSERT INTO "pending_confirmation" VALUES(1,1,'telegram','1001','ssh.run','{}','Restart jellyfin?','pending','2026-12-01 09:00:00.000000','2026-12-01 09:00:00.000000',NULL);
CREATE TABLE scheduled_job (
	id INTEGER NOT NULL, 
	skill VARCHAR(64) NOT NULL, 
	kind VARCHAR(64) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	member_id INTEGER, 
	channel VARCHAR(16), 
	chat_id VARCHAR(255), 
	payload JSON NOT NULL, 
	rrule VARCHAR(500), 
	starts_at DATETIME, 
	timezone VARCHAR(64), 
	next_run_at DATETIME NOT NULL, 
	catch_up_s INTEGER NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	last_fired_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE CASCADE, 
	UNIQUE ("key")
);
INSERT INTO "scheduled_job" VALUES(1,'lists','nag','lists:nag:1',2,'telegram','1002','{}',NULL,NULL,NULL,'2026-12-01 09:00:00.000000',3600,'scheduled',NULL,'2026-12-01 09:00:00.000000');
CREATE TABLE stranger_notice (
	id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	chat_id VARCHAR(255) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (channel, chat_id)
);
INSERT INTO "stranger_notice" VALUES(1,'telegram','999','2026-12-01 09:00:00.000000');
CREATE INDEX ix_audit_entry_member_id ON audit_entry (member_id);
CREATE INDEX ix_inbox_event_chat_id ON inbox_event (chat_id);
CREATE INDEX ix_inbox_event_status ON inbox_event (status);
CREATE INDEX ix_outbox_message_channel ON outbox_message (channel);
CREATE INDEX ix_outbox_message_status ON outbox_message (status);
CREATE INDEX ix_pending_confirmation_status ON pending_confirmation (status);
CREATE INDEX ix_conversation_message_member_id ON conversation_message (member_id);
CREATE INDEX ix_memory_fact_member_id ON memory_fact (member_id);
CREATE INDEX ix_scheduled_job_member_id ON scheduled_job (member_id);
CREATE INDEX ix_scheduled_job_next_run_at ON scheduled_job (next_run_at);
CREATE INDEX ix_scheduled_job_skill ON scheduled_job (skill);
CREATE INDEX ix_scheduled_job_state ON scheduled_job (state);
CREATE INDEX ix_job_firing_status ON job_firing (status);
COMMIT;
