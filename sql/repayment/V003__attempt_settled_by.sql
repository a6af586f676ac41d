-- Which two-phase message recorded an attempt's success: the gid to look up in DTM (the
-- request number itself, or the request number and the claim when an earlier message of
-- the attempt failed). Must match the ent schema (TestSchemaMatchesSQL).
ALTER TABLE repayment_attempt
  ADD COLUMN settled_by VARCHAR(64) NULL AFTER failure_reason;
