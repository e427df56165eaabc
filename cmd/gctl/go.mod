module github.com/goxkit/gox/cmd/gctl

go 1.26.0

require (
	github.com/urfave/cli/v3 v3.14.0
	golang.org/x/mod v0.42.0
)
