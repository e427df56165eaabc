// scaffolded by gctl; safe to edit.

// Package model holds the gorm models. All lists them for `db migrate`, which
// creates their tables and missing columns; `gctl repo --type db --model X`
// generates a repository for model X.
package model

import "time"

// All is every model `db migrate` applies.
func All() []any {
	return []any{&Greeting{}}
}

// Greeting counts how often a name was greeted.
type Greeting struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	Name      string    `gorm:"size:64;uniqueIndex" json:"name"`
	Count     int       `json:"count"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}
