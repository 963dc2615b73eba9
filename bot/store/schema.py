"""The database schema as a list of migrations: later features add one, never edit an old one.
`PRAGMA user_version` holds how many have been applied."""

from __future__ import annotations

from collections.abc import Sequence

MIGRATIONS: Sequence[str] = (
    # 1: the core flow
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        first_name TEXT NOT NULL,
        username TEXT,
        prompt TEXT NOT NULL,
        upstream_prompt TEXT,
        action TEXT NOT NULL DEFAULT 'generate',
        parent_image_id TEXT,
        mode TEXT,
        mask TEXT,
        reply_to INTEGER,
        message_id INTEGER,
        button_key TEXT,
        state TEXT NOT NULL,
        task_id TEXT,
        progress INTEGER NOT NULL DEFAULT 0,
        preview_url TEXT,
        error TEXT,
        result_image_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL
    );
    CREATE INDEX jobs_state ON jobs(state);
    CREATE INDEX jobs_button ON jobs(button_key, state);
    CREATE TABLE images (
        image_id TEXT PRIMARY KEY,
        task_id TEXT,
        job_id INTEGER,
        chat_id INTEGER,
        message_id INTEGER,
        prompt TEXT NOT NULL DEFAULT '',
        image_url TEXT NOT NULL,
        image_width INTEGER,
        image_height INTEGER,
        raw_image_url TEXT,
        raw_image_width INTEGER,
        raw_image_height INTEGER,
        is_grid INTEGER NOT NULL,
        actions TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE buttons (
        key TEXT PRIMARY KEY,
        image_id TEXT NOT NULL,
        action TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        owner_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        pressed INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX buttons_image ON buttons(image_id, position);
    CREATE TABLE seen_updates (
        update_id INTEGER PRIMARY KEY,
        seen_at REAL NOT NULL
    );
    """,
    # 2: pictures users bring (image prompts, blends) and the albums they arrive in
    """
    ALTER TABLE jobs ADD COLUMN sources TEXT;
    CREATE TABLE hosted (
        file_key TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE album_items (
        chat_id INTEGER NOT NULL,
        media_group_id TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        file_unique_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX album_items_group ON album_items(chat_id, media_group_id);
    """,
    # 3: Vary (Region) pickers
    """
    CREATE TABLE pickers (
        key TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        message_id INTEGER,
        reply_to INTEGER,
        image_id TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        owner_name TEXT NOT NULL,
        cells TEXT NOT NULL DEFAULT '',
        prompt TEXT,
        state TEXT NOT NULL DEFAULT 'open',
        created_at REAL NOT NULL
    );
    CREATE INDEX pickers_message ON pickers(chat_id, message_id);
    """,
    # 4: Retry buttons on failed jobs; AceData callbacks
    """
    ALTER TABLE buttons ADD COLUMN job_id INTEGER;
    ALTER TABLE jobs ADD COLUMN callback_secret TEXT;
    CREATE UNIQUE INDEX jobs_callback ON jobs(callback_secret);
    CREATE INDEX jobs_user ON jobs(user_id, state);
    """,
    # 5: upstream's trace id of a submit, to find a task whose id never came back
    """
    ALTER TABLE jobs ADD COLUMN trace_id TEXT;
    CREATE INDEX jobs_task ON jobs(task_id);
    """,
    # 6: operator control: run-time access, per-user daily limits, chat titles, failure reasons
    """
    ALTER TABLE jobs ADD COLUMN reason TEXT;
    CREATE INDEX jobs_user_time ON jobs(user_id, created_at);
    CREATE INDEX jobs_chat_time ON jobs(chat_id, created_at);
    CREATE INDEX jobs_time ON jobs(created_at);
    CREATE TABLE access (
        target INTEGER PRIMARY KEY,
        allowed INTEGER NOT NULL,
        by_user INTEGER,
        created_at REAL NOT NULL
    );
    CREATE TABLE daily_limits (
        user_id INTEGER PRIMARY KEY,
        daily INTEGER NOT NULL
    );
    CREATE TABLE chats (
        chat_id INTEGER PRIMARY KEY,
        title TEXT NOT NULL
    );
    """,
    # 7: people's languages and settings; panels (/settings, /describe, /shorten) and who owns them
    """
    ALTER TABLE jobs ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
    ALTER TABLE jobs ADD COLUMN translate INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE jobs ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pickers ADD COLUMN owner_lang TEXT NOT NULL DEFAULT 'en';
    ALTER TABLE images ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
    CREATE TABLE profiles (
        user_id INTEGER PRIMARY KEY,
        lang TEXT,
        speed TEXT,
        version TEXT,
        ar TEXT,
        stylize INTEGER,
        raw INTEGER NOT NULL DEFAULT 0,
        translate INTEGER NOT NULL DEFAULT 1,
        notify INTEGER NOT NULL DEFAULT 0,
        suffix TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    );
    CREATE TABLE panels (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER,
        owner_id INTEGER NOT NULL,
        owner_name TEXT NOT NULL,
        owner_username TEXT,
        owner_lang TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '[]',
        created_at REAL NOT NULL
    );
    """,
    # 8: pickers keep their owner's username (shown the same way every time) and when they were last
    # touched (an abandoned one expires); one open picker per person and picture
    """
    ALTER TABLE pickers ADD COLUMN owner_username TEXT;
    ALTER TABLE pickers ADD COLUMN touched_at REAL;
    UPDATE pickers SET state = 'expired' WHERE state = 'open' AND created_at < CAST(strftime('%s', 'now') AS REAL) - 86400;
    UPDATE pickers SET touched_at = max(created_at, CAST(strftime('%s', 'now') AS REAL) - 60);
    CREATE INDEX pickers_open ON pickers(state, touched_at);
    CREATE INDEX pickers_owner ON pickers(image_id, owner_id, chat_id);
    """,
    # 9: what a row counts against daily limits (a /describe or /shorten: SUGGESTION_JOB_WEIGHT)
    """
    ALTER TABLE jobs ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;
    """,
    # 10: several replicas on one database: job leases, updates kept until handled, shared pacing,
    # hosted pictures and albums that any replica can finish
    """
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL NOT NULL DEFAULT 0;
    CREATE INDEX jobs_owner ON jobs(owner);
    CREATE TABLE updates (
        update_id INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until REAL NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        received_at REAL NOT NULL
    );
    CREATE INDEX updates_open ON updates(done, claimed_until);
    CREATE TABLE pacing (
        key TEXT PRIMARY KEY,
        tat REAL NOT NULL
    );
    CREATE TABLE media (
        name TEXT PRIMARY KEY,
        mime TEXT NOT NULL,
        data BLOB NOT NULL,
        expires_at REAL NOT NULL
    );
    ALTER TABLE album_items ADD COLUMN message TEXT;
    CREATE TABLE albums (
        chat_id INTEGER NOT NULL,
        media_group_id TEXT NOT NULL,
        taken_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (chat_id, media_group_id)
    );
    """,
    # 11: the update that asked for a job: handled again after a crash, it finds its job, not a second one
    """
    ALTER TABLE jobs ADD COLUMN origin_update INTEGER;
    CREATE UNIQUE INDEX jobs_origin ON jobs(origin_update);
    """,
)
