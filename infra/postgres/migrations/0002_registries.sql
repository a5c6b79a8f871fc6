-- Registries: the address register (parties), the GP register, care relationships, residences,
-- proxy rights, core-journal opt-outs and national-service subscriptions.
-- Source of truth for the registry tables that the stream agents serve from compacted topics.
-- Versioned migration: runs once. Identifiers are text (leading zeros matter).

CREATE TABLE parties (
    her_id            text PRIMARY KEY,
    name              text NOT NULL,
    kind              text NOT NULL,
    care_level        text NOT NULL
        CHECK (care_level IN ('municipal', 'gp', 'specialist', 'national', 'citizen')),
    municipality_code text CHECK (municipality_code ~ '^[0-9]{4}$'),
    parent_her_id     text REFERENCES parties (her_id) DEFERRABLE INITIALLY DEFERRED,
    org_no            text CHECK (org_no ~ '^[0-9]{9}$'),
    hpr               text,
    accepts           jsonb NOT NULL DEFAULT '{}'::jsonb,
    active            boolean NOT NULL DEFAULT true,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parties_parent_idx ON parties (parent_her_id);
CREATE INDEX parties_municipality_kind_idx ON parties (municipality_code, kind);
CREATE INDEX parties_kind_idx ON parties (kind);

CREATE TABLE gp_assignments (
    national_id text PRIMARY KEY,           -- one regular GP per patient
    gp_her_id   text NOT NULL REFERENCES parties (her_id),
    since       date NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gp_assignments_gp_idx ON gp_assignments (gp_her_id);

CREATE TABLE care_relationships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    national_id text NOT NULL,
    her_id      text NOT NULL REFERENCES parties (her_id),
    kind        text NOT NULL,
    started_at  date NOT NULL,
    ended_at    date,
    reason      text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    UNIQUE (national_id, her_id, started_at)
);
CREATE INDEX care_relationships_patient_idx ON care_relationships (national_id);
CREATE INDEX care_relationships_active_idx ON care_relationships (national_id, her_id)
    WHERE ended_at IS NULL;
CREATE INDEX care_relationships_party_idx ON care_relationships (her_id);

CREATE TABLE residences (
    national_id       text PRIMARY KEY,
    municipality_code text NOT NULL CHECK (municipality_code ~ '^[0-9]{4}$'),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX residences_municipality_idx ON residences (municipality_code);

CREATE TABLE proxy_rights (
    national_id       text NOT NULL,
    proxy_national_id text NOT NULL,
    relation          text NOT NULL,
    valid_from        date NOT NULL,
    valid_to          date,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (national_id, proxy_national_id),
    CHECK (national_id <> proxy_national_id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX proxy_rights_proxy_idx ON proxy_rights (proxy_national_id);

CREATE TABLE core_journal_opt_outs (
    national_id text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE national_services (
    her_id         text PRIMARY KEY REFERENCES parties (her_id),
    name           text NOT NULL,
    topic_suffix   text NOT NULL UNIQUE CHECK (topic_suffix ~ '^[a-z0-9][a-z0-9._-]*$'),
    entitled_types text[] NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL DEFAULT now()
);
