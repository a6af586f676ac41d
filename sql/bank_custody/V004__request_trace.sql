-- The trace a request belongs to (app/bank-custody/internal/data/ent/schema).
--
-- trace_parent: the W3C traceparent of the call that created the request (a gateway page,
--   a signed API call). The poller completes the request and publishes its result later,
--   in a job of its own; it continues this trace, so the gateway request, the notifier
--   and the platform's callback are one trace. NULL when the call was not traced.
ALTER TABLE bank_request
  ADD COLUMN trace_parent VARCHAR(64) NULL;
