-- The poller's bookkeeping on bank_request (app/bank-custody/internal/data/ent/schema).
--
-- password_hash: the bcrypt hash of the custody password typed on the bank's page, kept
--   only from the confirmation until the poller has opened the account; the hash then
--   lives on bank_user and this column goes back to NULL. Never a plaintext password.
-- notify_published_at: when the request's result was published to TP_BANK_NOTIFY. A
--   finished gateway request with NULL here is published (again) by the next poll, so a
--   crash between the local commit and the publish loses no notification.
ALTER TABLE bank_request
  ADD COLUMN password_hash       VARCHAR(255) NULL,
  ADD COLUMN notify_published_at DATETIME(6)  NULL,
  ADD KEY idx_bank_request_unpublished (status, notify_published_at, service_name);
