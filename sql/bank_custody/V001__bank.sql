-- The mock custody bank's own tables. Must match the ent schema in
-- app/bank-custody/internal/data/ent/schema: ent's MySQL dialect expects utf8mb4_bin, which
-- also makes request and user numbers compare exactly (case-sensitive).

-- People the bank opened a custody account for, on behalf of a platform.
CREATE TABLE bank_user (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  user_no          VARCHAR(32)  NOT NULL,
  platform_no      VARCHAR(32)  NOT NULL,
  platform_user_id BIGINT       NOT NULL,
  real_name        VARCHAR(64)  NOT NULL,
  id_number        VARCHAR(32)  NOT NULL,
  bank_card_no     VARCHAR(32)  NOT NULL,
  password_hash    VARCHAR(255) NOT NULL,
  created_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_bank_user_user_no (user_no),
  UNIQUE KEY uk_bank_user_platform_user (platform_no, platform_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Money per bank user: balance can be spent, frozen is held for tenders.
CREATE TABLE bank_account (
  user_no    VARCHAR(32)   NOT NULL,
  balance    DECIMAL(20,2) NOT NULL DEFAULT 0.00,
  frozen     DECIMAL(20,2) NOT NULL DEFAULT 0.00,
  updated_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (user_no),
  CONSTRAINT chk_bank_account_balance_nonnegative CHECK (balance >= 0),
  CONSTRAINT chk_bank_account_frozen_nonnegative CHECK (frozen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every request a platform made, keyed by the platform's request number.
CREATE TABLE bank_request (
  request_no       VARCHAR(64)   NOT NULL,
  platform_no      VARCHAR(32)   NOT NULL,
  -- OPEN_ACCOUNT, RECHARGE, REGISTER_PROJECT, FREEZE or CONFIRM_LOAN.
  service_name     VARCHAR(32)   NOT NULL,
  platform_user_id BIGINT        NULL,
  user_no          VARCHAR(32)   NULL,
  amount           DECIMAL(20,2) NULL,
  -- PROCESSING, SUCCESS or FAILED.
  status           VARCHAR(16)   NOT NULL,
  callback_url     VARCHAR(255)  NULL,
  failure_reason   VARCHAR(255)  NULL,
  -- JSON of the business fields; never a password.
  payload          TEXT          NULL,
  created_at       DATETIME(6)   NOT NULL,
  updated_at       DATETIME(6)   NOT NULL,
  PRIMARY KEY (request_no),
  KEY idx_bank_request_status_created (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The notifier's delivery attempts; http_status 0 means the platform was unreachable.
CREATE TABLE notification_attempt (
  id           BIGINT       NOT NULL AUTO_INCREMENT,
  request_no   VARCHAR(64)  NOT NULL,
  attempt      INT          NOT NULL,
  attempted_at DATETIME(6)  NOT NULL,
  http_status  INT          NOT NULL,
  error        VARCHAR(255) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_notification_attempt_request_attempt (request_no, attempt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Platform projects registered at the bank.
CREATE TABLE bank_project (
  project_no          VARCHAR(64)   NOT NULL,
  platform_project_id BIGINT        NOT NULL,
  borrower_user_no    VARCHAR(32)   NOT NULL,
  amount              DECIMAL(20,2) NOT NULL,
  -- COLLECTING or LOANED.
  status              VARCHAR(16)   NOT NULL,
  created_at          DATETIME(6)   NOT NULL,
  updated_at          DATETIME(6)   NOT NULL,
  PRIMARY KEY (project_no),
  UNIQUE KEY uk_bank_project_platform_project (platform_project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Money frozen for a tender, keyed by the platform's freeze request number.
CREATE TABLE bank_freeze (
  request_no VARCHAR(64)   NOT NULL,
  project_no VARCHAR(64)   NOT NULL,
  user_no    VARCHAR(32)   NOT NULL,
  amount     DECIMAL(20,2) NOT NULL,
  -- FROZEN or TRANSFERRED.
  status     VARCHAR(16)   NOT NULL,
  created_at DATETIME(6)   NOT NULL,
  updated_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (request_no),
  KEY idx_bank_freeze_project (project_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Nonces of signed calls seen within their validity window (replay protection).
CREATE TABLE api_nonce (
  nonce      VARCHAR(128) NOT NULL,
  expires_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (nonce),
  KEY idx_api_nonce_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
