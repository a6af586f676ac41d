-- One index instead of two on receivable_plan. (project, period, tender) is unique as
-- (tender, period) was — a tender belongs to one project — and serves everything the two
-- served: a project's rows (reads), one period's rows (marked repaid or overdue in one
-- statement that touches only them). A big loan's plan writes one B-tree fewer per row
-- (README "Hot projects and big loans"). Must match the ent schema (TestSchemaMatchesSQL).
ALTER TABLE receivable_plan
  ADD UNIQUE KEY uk_receivable_plan_project_period_tender (project_id, period, tender_id),
  DROP KEY uk_receivable_plan_tender_period,
  DROP KEY idx_receivable_plan_project_period;
