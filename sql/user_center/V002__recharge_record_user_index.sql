-- GET /v1/recharges lists the caller's recharges oldest first; without this index it
-- would scan every user's records. Must match the ent schema (TestSchemaMatchesSQL).
ALTER TABLE recharge_record
  ADD KEY idx_recharge_record_user_created (user_id, created_at);
