package xgorm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
)

type Order struct {
	ID    uint `gorm:"primaryKey"`
	Total int
}

type Stock struct {
	Item string `gorm:"primaryKey"`
	Left int
}

func ExampleDB_Transaction() {
	dir, _ := os.MkdirTemp("", "xgorm")
	defer os.RemoveAll(dir)
	cfg := xgorm.DefaultConfig() // SQLite: no server needed
	cfg.DSN = filepath.Join(dir, "app.db")
	ctx := context.Background()
	db, err := xgorm.Open(ctx, xgorm.Configs{"default": cfg})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	_, _ = db.Migrate(ctx, xgorm.Migrations{Models: []any{&Order{}, &Stock{}}})
	db.Conn(ctx).Create(&Stock{Item: "pen", Left: 1})

	// Two repositories, one transaction: each uses db.Conn(ctx).
	placeOrder := func(ctx context.Context, o *Order) error { return db.Conn(ctx).Create(o).Error }
	takeStock := func(ctx context.Context, item string) error {
		res := db.Conn(ctx).Model(&Stock{}).Where("item = ? AND left > 0", item).Update("left", 0)
		if res.RowsAffected == 0 {
			return fmt.Errorf("%s is out of stock", item)
		}
		return res.Error
	}
	for i := range 2 {
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := placeOrder(ctx, &Order{Total: 3}); err != nil {
				return err
			}
			return takeStock(ctx, "pen")
		})
		fmt.Println("order", i+1, "error:", err)
	}
	var orders int64
	db.Conn(ctx).Model(&Order{}).Count(&orders)
	fmt.Println("orders stored:", orders)
	// Output:
	// order 1 error: <nil>
	// order 2 error: pen is out of stock
	// orders stored: 1
}
