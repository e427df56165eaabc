-- +goose Up
CREATE TABLE half (id INTEGER PRIMARY KEY);
INSERT INTO no_such_table (id) VALUES (1);
-- +goose Down
DROP TABLE half;
