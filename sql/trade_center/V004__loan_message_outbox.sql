-- The start-repayment outbox (README "Failure modes and how the platform recovers"): a
-- COMMITTED loan message stays unconfirmed until trade-center has seen repayment's plan
-- for its project; until then the re-publisher sends the event again (a plain signed
-- message; repayment's consumer is idempotent), however long the broker, trade-center
-- or repayment was down and whatever the broker gave up on.
ALTER TABLE loan_message
  -- When trade-center saw the project's repayment plan: the message has done its job.
  ADD COLUMN confirmed_at    DATETIME(6) NULL,
  -- The last time the re-publisher sent the event again, and how often it did.
  ADD COLUMN republished_at  DATETIME(6) NULL,
  ADD COLUMN republish_count INT         NOT NULL DEFAULT 0,
  ADD KEY idx_loan_message_unconfirmed (state, confirmed_at);
