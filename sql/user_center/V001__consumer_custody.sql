-- user-center's tables. Must match the ent schema in app/user-center/internal/data/ent/schema
-- (TestSchemaMatchesSQL checks it). ent's MySQL dialect expects utf8mb4_bin, which also makes
-- request numbers and nonces compare exactly; only consumer differs, on purpose (below).

-- Consumers (borrowers and investors). id is unified-account's account id. The unique
-- username and mobile are what a registration's Try reserves on this side. utf8mb4_general_ci:
-- usernames are unique and found regardless of case, as in unified_account.account.
CREATE TABLE consumer (
  id               BIGINT      NOT NULL,
  username         VARCHAR(32) NOT NULL,
  mobile           VARCHAR(20) NOT NULL,
  role             VARCHAR(16) NOT NULL,
  status           VARCHAR(16) NOT NULL,
  custody_status   VARCHAR(16) NOT NULL,
  custody_user_no  VARCHAR(32) NULL,
  registration_gid VARCHAR(64) NOT NULL,
  created_at       DATETIME(6) NOT NULL,
  updated_at       DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_consumer_username (username),
  UNIQUE KEY uk_consumer_mobile (mobile),
  KEY idx_consumer_registration_gid (registration_gid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Requests sent to the bank through the browser gateway (account opening, recharge).
CREATE TABLE custody_request (
  request_no     VARCHAR(64)   NOT NULL,
  user_id        BIGINT        NOT NULL,
  kind           VARCHAR(16)   NOT NULL,
  status         VARCHAR(16)   NOT NULL,
  amount         DECIMAL(20,2) NULL,
  bank_user_no   VARCHAR(32)   NULL,
  failure_reason VARCHAR(255)  NULL,
  created_at     DATETIME(6)   NOT NULL,
  updated_at     DATETIME(6)   NOT NULL,
  completed_at   DATETIME(6)   NULL,
  PRIMARY KEY (request_no),
  KEY idx_custody_request_status_created (status, created_at),
  KEY idx_custody_request_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per successful recharge; the unique request_no makes a duplicate
-- notification harmless.
CREATE TABLE recharge_record (
  id         BIGINT        NOT NULL AUTO_INCREMENT,
  request_no VARCHAR(64)   NOT NULL,
  user_id    BIGINT        NOT NULL,
  amount     DECIMAL(20,2) NOT NULL,
  created_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_recharge_record_request_no (request_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Nonces of the bank's signed notifications, kept for the signature window.
CREATE TABLE callback_nonce (
  nonce      VARCHAR(128) NOT NULL,
  expires_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (nonce),
  KEY idx_callback_nonce_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
