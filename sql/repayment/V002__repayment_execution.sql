-- Repayment execution (docs/repayment-execution.md "Repayment run"): the bank identities
-- an installment is executed with, when it was repaid or received, one row per attempt at
-- the bank, and the nonces of the bank's signed answers. Must match the ent schema in
-- app/repayment/internal/data/ent/schema (TestSchemaMatchesSQL checks it).

-- Carried by the start-repayment message since trade-center added them; NULL on plans
-- written before, which the repayment run cannot execute and leaves alone.
ALTER TABLE repayment_plan
  ADD COLUMN bank_project_no  VARCHAR(64) NULL AFTER borrower_id,
  ADD COLUMN borrower_user_no VARCHAR(32) NULL AFTER bank_project_no,
  ADD COLUMN repaid_at        DATETIME(6) NULL AFTER status,
  -- The run's query: installments PENDING or OVERDUE due on or before a date.
  ADD KEY idx_repayment_plan_status_due (status, due_date);

-- (project, period) replaces (project): marking one period's receivables touches (and
-- locks) that period's rows only, not the whole project's; reads by project still use it.
ALTER TABLE receivable_plan
  ADD COLUMN investor_user_no VARCHAR(32) NULL AFTER investor_id,
  ADD COLUMN received_at      DATETIME(6) NULL AFTER status,
  ADD KEY idx_receivable_plan_project_period (project_id, period),
  DROP KEY idx_receivable_plan_project;

-- One row per request sent to the bank for an installment (request_no RP…). SENT until
-- the bank's answer or a result query settles it: SUCCESS, REFUSED (balance short, the
-- installment is OVERDUE), REJECTED (refused for another reason, nothing moved) or LOST
-- (the bank never received it). While one is SENT no other is made for its installment.
CREATE TABLE repayment_attempt (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  request_no     VARCHAR(64)  NOT NULL,
  project_id     BIGINT       NOT NULL,
  period         INT          NOT NULL,
  status         VARCHAR(16)  NOT NULL,
  -- How many runs took the attempt up; names the gid of the DTM message (the request
  -- number itself the first time), so a message that failed is never reused.
  claims         INT          NOT NULL,
  run_id         VARCHAR(32)  NOT NULL,
  failure_reason VARCHAR(255) NULL,
  created_at     DATETIME(6)  NOT NULL,
  updated_at     DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_repayment_attempt_request_no (request_no),
  KEY idx_repayment_attempt_project_period (project_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Nonces of the bank's signed answers seen inside their validity window (replay
-- protection, pkg/signing.SQLNonceStore).
CREATE TABLE bank_nonce (
  nonce      VARCHAR(128) NOT NULL,
  expires_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (nonce),
  KEY idx_bank_nonce_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
