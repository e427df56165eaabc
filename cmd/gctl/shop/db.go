// scaffolded by gctl; safe to edit.

package main

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/config"
	xgorm "github.com/goxkit/gox/contrib/database/gorm"
	"github.com/goxkit/gox/log"

	"shop/configs"
	"shop/internal/migrations"
	"shop/internal/model"
)

// dbCommand is `db migrate | rollback | status` on the default connection.
func dbCommand() *cli.Command {
	run := func(do func(ctx context.Context, db *xgorm.DB, m xgorm.Migrations) error) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			cfg := configs.Default()
			if err := config.Load(&cfg, config.WithFile(cmd.String("config")), config.WithEnvPrefix(configs.EnvPrefix)); err != nil {
				return err
			}
			logger, err := log.New(cfg.Log, cfg.App.Production())
			if err != nil {
				return err
			}
			defer logger.Close()
			db, err := xgorm.Open(ctx, cfg.Database, xgorm.WithLogger(logger.Logger))
			if err != nil {
				return err
			}
			defer db.Close()
			sqlFS, err := fs.Sub(migrations.FS, ".")
			if err != nil {
				return err
			}
			models := model.All()
			return do(ctx, db, xgorm.Migrations{Models: models, SQL: sqlFS})
		}
	}
	return &cli.Command{
		Name:  "db",
		Usage: "database migrations (models in internal/model, SQL files in internal/migrations)",
		Commands: []*cli.Command{
			{Name: "migrate", Usage: "apply the models and every pending SQL migration", Action: run(
				func(ctx context.Context, db *xgorm.DB, m xgorm.Migrations) error {
					done, err := db.Migrate(ctx, m)
					for _, d := range done {
						fmt.Println("migrated", d)
					}
					return err
				})},
			{Name: "rollback", Usage: "revert the most recent SQL migration", Action: run(
				func(ctx context.Context, db *xgorm.DB, m xgorm.Migrations) error {
					file, err := db.Rollback(ctx, m)
					if err == nil && file == "" {
						fmt.Println("nothing to roll back")
					} else if err == nil {
						fmt.Println("rolled back", file)
					}
					return err
				})},
			{Name: "status", Usage: "list the SQL migrations and whether each ran", Action: run(
				func(ctx context.Context, db *xgorm.DB, m xgorm.Migrations) error {
					st, err := db.Status(ctx, m)
					for _, s := range st {
						state := "pending"
						if s.Applied {
							state = "applied"
						}
						fmt.Printf("%-8s %s\n", state, s.File)
					}
					return err
				})},
		},
	}
}
