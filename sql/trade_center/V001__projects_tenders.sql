-- Projects (loan listings) and tenders (investments). Must match the ent schema in
-- app/trade-center/internal/data/ent/schema: ent's MySQL dialect expects utf8mb4_bin.
CREATE TABLE project (
  id              BIGINT        NOT NULL AUTO_INCREMENT,
  borrower_id     BIGINT        NOT NULL,
  name            VARCHAR(64)   NOT NULL,
  amount          DECIMAL(20,2) NOT NULL,
  raised          DECIMAL(20,2) NOT NULL DEFAULT 0.00,
  -- The borrower's rate; investors earn investor_rate, the spread is the commission.
  annual_rate     DECIMAL(9,6)  NOT NULL,
  investor_rate   DECIMAL(9,6)  NOT NULL,
  periods         INT           NOT NULL,
  status          VARCHAR(20)   NOT NULL,
  bank_project_no VARCHAR(64)   NULL,
  -- The bank request number of the loan confirmation: a retried approval reuses it.
  loan_request_no VARCHAR(64)   NULL,
  loaned_at       DATETIME(6)   NULL,
  created_at      DATETIME(6)   NOT NULL,
  updated_at      DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_project_loan_request_no (loan_request_no),
  KEY idx_project_status (status),
  -- Safety net: whatever the tender code does, a project is never over-raised.
  CONSTRAINT chk_project_raised_le_amount CHECK (raised <= amount),
  CONSTRAINT chk_project_raised_nonnegative CHECK (raised >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE tender (
  id                BIGINT        NOT NULL AUTO_INCREMENT,
  project_id        BIGINT        NOT NULL,
  investor_id       BIGINT        NOT NULL,
  amount            DECIMAL(20,2) NOT NULL,
  status            VARCHAR(16)   NOT NULL,
  -- The request number of the freeze at the bank: a retry never freezes twice.
  freeze_request_no VARCHAR(64)   NOT NULL,
  created_at        DATETIME(6)   NOT NULL,
  updated_at        DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_tender_freeze_request_no (freeze_request_no),
  KEY idx_tender_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
