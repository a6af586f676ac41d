-- Lending: who the bank knows the borrower and investors as, tenders whose freeze is not
-- settled yet, the start-repayment transactional messages and the nonces of the bank's
-- signed answers. Must match the ent schema in app/trade-center/internal/data/ent/schema.

-- The borrower's custody user number, taken from user-center when the project is
-- published; the bank needs it to register the project.
ALTER TABLE project
  ADD COLUMN borrower_user_no VARCHAR(32) NULL AFTER borrower_id;

-- A tender is PENDING between reserving its share of the project and the bank's answer
-- to its freeze, FROZEN once the bank froze the money, FAILED when the bank refused (the
-- share is released again), LOANED once the money went to the borrower.
ALTER TABLE tender
  ADD COLUMN investor_user_no VARCHAR(32) NULL AFTER investor_id,
  ADD COLUMN failure_reason VARCHAR(255) NULL AFTER freeze_request_no,
  ADD KEY idx_tender_status_created (status, created_at);

-- One row per start-repayment transactional message: written before the half message,
-- settled (COMMITTED or ROLLED_BACK) by the local transaction or by the broker's
-- check-back, which answers from it rather than from anything in memory.
CREATE TABLE loan_message (
  id          BIGINT      NOT NULL AUTO_INCREMENT,
  -- Carried by the message (property LOAN_MESSAGE_KEY) so a check-back finds its row.
  message_key VARCHAR(64) NOT NULL,
  project_id  BIGINT      NOT NULL,
  -- PENDING, COMMITTED or ROLLED_BACK.
  state       VARCHAR(16) NOT NULL,
  created_at  DATETIME(6) NOT NULL,
  updated_at  DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_loan_message_key (message_key),
  KEY idx_loan_message_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Nonces of the bank's signed answers seen inside their validity window (replay
-- protection, pkg/signing.SQLNonceStore).
CREATE TABLE bank_nonce (
  nonce      VARCHAR(128) NOT NULL,
  expires_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (nonce),
  KEY idx_bank_nonce_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
