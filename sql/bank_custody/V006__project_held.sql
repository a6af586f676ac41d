-- What a project's freezes hold (FROZEN or TRANSFERRED), kept by the freeze and unfreeze
-- that change it under the project's row lock, so a freeze checks the project's room with
-- one row instead of summing every freeze of the project (O(tenders) under the hot lock:
-- 10,000 tenders on one project ran at 52/s).
ALTER TABLE bank_project ADD COLUMN held DECIMAL(20,2) NOT NULL DEFAULT 0.00 AFTER amount;
UPDATE bank_project p SET held = (
  SELECT COALESCE(SUM(f.amount), 0.00) FROM bank_freeze f
  WHERE f.project_no = p.project_no AND f.status IN ('FROZEN', 'TRANSFERRED'));
