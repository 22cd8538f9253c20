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
	github.com/loyaltykit/loyalty/sqlstore v0.0.0
	github.com/shopspring/decimal v1.6.0
)

require (
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/pgx/v5 v5.8.0 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/ncruces/go-strftime v0.1.9 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/exp v0.0.0-20250620022241-b7579e27df2b // indirect
	golang.org/x/sync v0.17.0 // indirect
	golang.org/x/sys v0.36.0 // indirect
	golang.org/x/text v0.29.0 // indirect
	modernc.org/libc v1.66.10 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.11.0 // indirect
	modernc.org/sqlite v1.40.1 // indirect
)

replace (
	github.com/loyaltykit/loyalty => ../
	github.com/loyaltykit/loyalty/sqlstore => ../sqlstore
)
