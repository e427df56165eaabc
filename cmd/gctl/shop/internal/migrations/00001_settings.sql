
-- scaffolded by gctl; safe to edit.
-- +goose Up
CREATE TABLE IF NOT EXISTS app_settings (name VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL);
INSERT INTO app_settings (name, value) VALUES ('schema', '1');
-- +goose Down
DROP TABLE IF EXISTS app_settings;
