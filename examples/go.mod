// The examples are a module of their own so that the database drivers the erp example needs
// (through the sqlstore module) never enter the core module's dependencies.
//
// From the repository root, the go.work file there ties the three modules together
// (use . ./examples ./sqlstore): `go run ./examples/<name>` and
// `go test ./... ./sqlstore/... ./examples/...` build the core and sqlstore from this
// checkout. Neither is published, so they must never be fetched from a module proxy: the
// replace directives below point at the same directories for builds outside the workspace
// (GOWORK=off, or a copy of the repository without go.work), e.g.
// `cd examples && GOWORK=off go test ./...`. The versions v0.0.0 are placeholders that the
// replacements make meaningless. The other requirements come from the Go module proxy.
module github.com/loyaltykit/loyalty/examples

go 1.24.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/loyaltykit/loyalty v0.0.0
	github.com/shopspring/decimal v1.6.0
)

replace (
	github.com/loyaltykit/loyalty => ../
	github.com/loyaltykit/loyalty/sqlstore => ../sqlstore
)
