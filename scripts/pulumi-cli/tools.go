//go:build tools

// Package tools pins the Pulumi CLI main package so that `go build` in this
// module builds it at the version required in go.mod. It is never compiled
// into anything; scripts/bootstrap-pulumi.sh builds the CLI from here.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
