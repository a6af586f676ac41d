-- databases: user_center trade_center repayment bank_custody
-- Row claims of the background jobs (pkg/claims): when two instances of the service run
-- the same job, each due row is worked on by the instance holding its lease. Times are
-- the database's own clock (NOW(6)), so the instances' clocks do not matter.
CREATE TABLE IF NOT EXISTS job_claim (
  job     VARCHAR(64)  NOT NULL, -- e.g. "tender-settle"
  row_key VARCHAR(128) NOT NULL, -- the row's id or request number
  owner   VARCHAR(128) NOT NULL, -- the instance (claims.Instance)
  until   DATETIME(6)  NOT NULL, -- the lease ends; another instance may take it after
  PRIMARY KEY (job, row_key),
  KEY idx_job_claim_until (until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
