-- The second half of a project's life: how long it may collect, the failure of a project
-- that does not fill (or whose loan is rejected) and the installments repayment reports.
-- Must match the ent schema in app/trade-center/internal/data/ent/schema.

-- collect_days is chosen at publication (1..90, default 7); collect_deadline is set when
-- the review opens the project for tenders (opened + collect_days). The collection run
-- fails COLLECTING projects whose deadline has passed; failed_at records when a project
-- became FAILED (by that run or by a rejected loan).
ALTER TABLE project
  ADD COLUMN collect_days INT NOT NULL DEFAULT 7 AFTER periods,
  ADD COLUMN collect_deadline DATETIME(6) NULL AFTER collect_days,
  ADD COLUMN failed_at DATETIME(6) NULL AFTER loaned_at,
  ADD KEY idx_project_status_deadline (status, collect_deadline);

-- One row per repaid installment, written by the DTM branch RecordInstallmentRepaid in
-- DTM's barrier. (project_id, period) is unique: a second report of a period is a no-op.
-- The surrogate id is there because ent models a single-column primary key.
CREATE TABLE project_installment (
  id         BIGINT        NOT NULL AUTO_INCREMENT,
  project_id BIGINT        NOT NULL,
  period     INT           NOT NULL,
  -- The bank request number of the repayment (RP…), also the DTM gid.
  request_no VARCHAR(64)   NOT NULL,
  amount     DECIMAL(20,2) NOT NULL,
  repaid_at  DATETIME(6)   NOT NULL,
  created_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_project_installment_period (project_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
