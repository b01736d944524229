-- The audit history keeps one result per (account, control): every CIS monitoring control is
-- audited, not only 4.1. Rows written before hold 4.1's results.

-- +goose Up
ALTER TABLE audit_history ADD COLUMN control TEXT NOT NULL DEFAULT '4.1';
DROP INDEX audit_history_account_at;
CREATE INDEX audit_history_account_control_at ON audit_history (account, control, at, seq);

-- +goose Down
DROP INDEX audit_history_account_control_at;
DELETE FROM audit_history WHERE control <> '4.1';
ALTER TABLE audit_history DROP COLUMN control;
CREATE INDEX audit_history_account_at ON audit_history (account, at, seq);
