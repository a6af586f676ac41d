-- Failed logins per normalised login, so every instance throttles the same way: five wrong
-- passwords within 15 minutes lock the login (API.md "Limits every endpoint keeps").
-- Must match the ent schema in app/unified-account/internal/data/ent/schema
-- (TestSchemaMatchesSQL checks it). A row whose window and lock are both over means
-- nothing and may be deleted at any time.
CREATE TABLE login_attempt (
  login        VARCHAR(32) NOT NULL,
  failures     BIGINT      NOT NULL,
  window_start DATETIME(6) NOT NULL,
  locked_until DATETIME(6) NULL,
  updated_at   DATETIME(6) NOT NULL,
  PRIMARY KEY (login)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
