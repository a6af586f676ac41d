-- Money back out (docs/custody-protocol.md "Money back out"); must match the ent schema
-- in app/bank-custody/internal/data/ent/schema.
--
-- bank_freeze.status gains UNFROZEN (the money went back to the investor's balance) and
-- VOIDED (an unfreeze arrived before its freeze: the row holds nothing and refuses the
-- late freeze). bank_request.service_name gains UNFREEZE, REPAY and WITHDRAW. Neither
-- needs DDL: both are VARCHAR columns.

-- One successful repayment per installment: the unique (project_no, period) key is the
-- bank's last line of defence against paying an installment twice, whatever the request
-- number. A refused attempt leaves no row here.
CREATE TABLE bank_repayment (
  request_no       VARCHAR(64)   NOT NULL,
  project_no       VARCHAR(64)   NOT NULL,
  period           INT           NOT NULL,
  borrower_user_no VARCHAR(32)   NOT NULL,
  amount           DECIMAL(20,2) NOT NULL,
  commission       DECIMAL(20,2) NOT NULL,
  -- How many credits the installment paid out (investors' receivables).
  credits          INT           NOT NULL,
  created_at       DATETIME(6)   NOT NULL,
  PRIMARY KEY (request_no),
  UNIQUE KEY uk_bank_repayment_period (project_no, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The totals query sums the successful recharges and withdrawals.
ALTER TABLE bank_request
  ADD KEY idx_bank_request_service_status (service_name, status);
