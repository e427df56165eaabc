-- +goose Up
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO tags (id, name) VALUES (1, 'first');
-- +goose Down
DROP TABLE tags;
