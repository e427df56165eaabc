-- +goose Up
CREATE TABLE seeds (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);
INSERT INTO seeds (id, name) VALUES (1, 'first');
-- +goose Down
DROP TABLE seeds;
