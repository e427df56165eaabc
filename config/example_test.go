package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/config/configtest"
)

func ExampleLoad() {
	type Config struct {
		HTTP struct {
			Addr        string        `yaml:"addr"`
			ReadTimeout time.Duration `yaml:"read_timeout"`
		} `yaml:"http"`
		Log struct {
			Level string `yaml:"level"`
		} `yaml:"log"`
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.yaml")
	_ = os.WriteFile(path, []byte("http:\n  addr: \":${PORT:-8080}\"\n"), 0o644)
	os.Setenv("SHOP_LOG_LEVEL", "debug") // the file does not set log.level: the environment does
	defer os.Unsetenv("SHOP_LOG_LEVEL")

	var c Config
	c.HTTP.ReadTimeout, c.Log.Level = 5*time.Second, "info" // defaults
	if err := config.Load(&c, config.WithFile(path), config.WithEnvPrefix("SHOP")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.HTTP.Addr, c.HTTP.ReadTimeout, c.Log.Level)

	_ = os.WriteFile(path, []byte("http:\n  read_timeout: soon\n"), 0o644)
	fmt.Println(config.Load(&c, config.WithFile(path)) != nil)
	// Output:
	// :8080 5s debug
	// true
}

func ExampleWithSource() {
	type Config struct {
		Log struct {
			Level string `yaml:"level"`
		} `yaml:"log"`
	}
	// In a service: consul.Open(...) or etcd.Open(...) from contrib/config.
	src := configtest.NewMemory(`consul key "config/shop"`, "log: {level: debug}\n")
	var c Config
	c.Log.Level = "info" // default
	if err := config.Load(&c, config.WithSource(src), config.WithNoEnv()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Log.Level)

	src.Set("log:\n  levle: warn\n")
	fmt.Println(config.Load(&c, config.WithSource(src), config.WithNoEnv()))
	fmt.Println(c.Log.Level)
	// Output:
	// debug
	// config: consul key "config/shop":2: key "log.levle": unknown key; known keys here: level
	// debug
}
