// scaffolded by gctl; safe to edit.

// Package migrations holds the versioned SQL migrations `db migrate` runs
// after the models, in version order, and `db rollback` reverts one at a
// time. Add NNNNN_what.sql files with "-- +goose Up" and "-- +goose Down"
// parts; each runs in a transaction where the database allows it.
package migrations

import "embed"

// FS holds the *.sql files of this directory.
//
//go:embed *.sql
var FS embed.FS
