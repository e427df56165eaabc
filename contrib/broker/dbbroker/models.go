package dbbroker

// Job is a message waiting for one consumer group.
type Job struct {
	ID            uint64 `gorm:"primaryKey;autoIncrement"`
	MsgID         string `gorm:"size:64;not null"`
	Topic         string `gorm:"size:191;not null;index:gox_queue_claim,priority:1"`
	Grp           string `gorm:"size:191;not null;index:gox_queue_claim,priority:2"`
	AvailableAt   int64  `gorm:"not null;index:gox_queue_claim,priority:3"` // unix ms; a claim moves it to the end of the reservation
	ReservedUntil int64  `gorm:"not null;default:0"`                        // unix ms; 0 = not claimed (kept for people reading the table)
	Token         string `gorm:"size:64;not null;default:''"`
	Attempt       int    `gorm:"not null;default:0"` // claims so far
	MsgKey        string `gorm:"size:191;not null;default:''"`
	Headers       string `gorm:"type:text"`
	Body          []byte
	PublishedAt   int64 `gorm:"not null"` // unix ns
}

// TableName implements gorm's Tabler.
func (Job) TableName() string { return "gox_queue_jobs" }

// Group records that a consumer group consumes a topic, so that Publish
// writes a row for it.
type Group struct {
	Topic string `gorm:"primaryKey;size:191"`
	Grp   string `gorm:"primaryKey;size:191"`
}

// TableName implements gorm's Tabler.
func (Group) TableName() string { return "gox_queue_groups" }

// Failed is a dead letter.
type Failed struct {
	ID          uint64 `gorm:"primaryKey;autoIncrement"`
	MsgID       string `gorm:"size:64;not null;index"`
	Topic       string `gorm:"size:191;not null;index:gox_queue_failed_tg,priority:1"`
	Grp         string `gorm:"size:191;not null;index:gox_queue_failed_tg,priority:2"`
	MsgKey      string `gorm:"size:191;not null;default:''"`
	Headers     string `gorm:"type:text"`
	Body        []byte
	PublishedAt int64
	Attempts    int
	Error       string `gorm:"type:text"`
	FailedAt    int64  // unix ns
}

// TableName implements gorm's Tabler.
func (Failed) TableName() string { return "gox_queue_failed" }

// Models are the broker's tables, for xgorm.Migrations (`db migrate`).
func Models() []any { return []any{&Job{}, &Group{}, &Failed{}} }
