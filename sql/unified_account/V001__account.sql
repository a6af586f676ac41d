-- Login accounts. id is the platform-wide user id (user-center's consumer uses the same).
-- The unique username and mobile are what a registration's Try reserves.
-- Must match the ent schema in app/unified-account/internal/data/ent/schema
-- (TestSchemaMatchesSQL checks it). utf8mb4_general_ci, not ent's default utf8mb4_bin, on
-- purpose: usernames are unique and found regardless of case, as in user_center.consumer.
CREATE TABLE account (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  username         VARCHAR(32)  NOT NULL,
  mobile           VARCHAR(20)  NOT NULL,
  password_hash    VARCHAR(255) NOT NULL,
  role             VARCHAR(16)  NOT NULL,
  status           VARCHAR(16)  NOT NULL,
  registration_gid VARCHAR(64)  NULL,
  created_at       DATETIME(6)  NOT NULL,
  updated_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_account_username (username),
  UNIQUE KEY uk_account_mobile (mobile),
  KEY idx_account_registration_gid (registration_gid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
