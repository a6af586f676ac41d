-- One row per successful withdrawal, written in the local transaction that completes its
-- custody request (kind WITHDRAW), as recharge_record is for recharges: the platform's own
-- record of money that left the bank. The unique request_no makes a duplicate
-- notification harmless. Must match the ent schema (TestSchemaMatchesSQL).
CREATE TABLE withdrawal_record (
  id         BIGINT        NOT NULL AUTO_INCREMENT,
  request_no VARCHAR(64)   NOT NULL,
  user_id    BIGINT        NOT NULL,
  amount     DECIMAL(20,2) NOT NULL,
  created_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_withdrawal_record_request_no (request_no),
  KEY idx_withdrawal_record_user_created (user_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
