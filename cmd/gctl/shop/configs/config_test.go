// scaffolded by gctl; safe to edit.

package configs_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/goxkit/gox/config"

	"shop/configs"
)

// config.yaml documents every setting: when you add one to Config, add it
// (with its default) to config.yaml too.
func TestConfigFileDocumentsEveryKey(t *testing.T) {
	documented, err := config.FileKeys("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys(configs.Default()) {
		if !slices.Contains(documented, k) {
			t.Errorf("config.yaml does not document %q", k)
		}
	}
}

// The values config.yaml shows are the defaults. Variables it expands with
// ${VAR:-default} are emptied for the test, so that a developer's or CI's
// environment does not change what the file means here.
func TestConfigFileShowsTheDefaults(t *testing.T) {
	raw, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{(\w+):-`).FindAllStringSubmatch(string(raw), -1) {
		t.Setenv(m[1], "")
	}
	c := configs.Default()
	if err := config.Load(&c, config.WithFile("../config.yaml"), config.WithoutEnv()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, configs.Default()) {
		t.Fatalf("config.yaml differs from configs.Default():\n file:    %+v\n default: %+v", c, configs.Default())
	}
}
