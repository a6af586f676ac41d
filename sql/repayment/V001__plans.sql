-- Borrower's repayment plan (one row per period) and investors' receivable plans (one row
-- per tender per period). The unique keys make a redelivered message harmless.
-- Must match the ent schema in app/repayment/internal/data/ent/schema (TestSchemaMatchesSQL
-- checks it): ent's MySQL dialect expects utf8mb4_bin.
CREATE TABLE repayment_plan (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  project_id  BIGINT        NOT NULL,
  borrower_id BIGINT        NOT NULL,
  period      INT           NOT NULL,
  due_date    DATE          NOT NULL,
  principal   DECIMAL(20,2) NOT NULL,
  interest    DECIMAL(20,2) NOT NULL,
  amount      DECIMAL(20,2) NOT NULL,
  commission  DECIMAL(20,2) NOT NULL,
  status      VARCHAR(16)   NOT NULL,
  created_at  DATETIME(6)   NOT NULL,
  updated_at  DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_repayment_plan_project_period (project_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE receivable_plan (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  project_id  BIGINT        NOT NULL,
  tender_id   BIGINT        NOT NULL,
  investor_id BIGINT        NOT NULL,
  period      INT           NOT NULL,
  due_date    DATE          NOT NULL,
  principal   DECIMAL(20,2) NOT NULL,
  interest    DECIMAL(20,2) NOT NULL,
  amount      DECIMAL(20,2) NOT NULL,
  status      VARCHAR(16)   NOT NULL,
  created_at  DATETIME(6)   NOT NULL,
  updated_at  DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_receivable_plan_tender_period (tender_id, period),
  KEY idx_receivable_plan_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
