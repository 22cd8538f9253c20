package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
)

// A rowError is a malformed row of an input file: its row (the line of the file, the header
// being row 1), the column at fault, the value and what is wrong.
type rowError struct {
	file   string
	row    int
	column string
	value  string
	reason string
}

func (e rowError) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s row %d", e.file, e.row)
	if e.column != "" {
		fmt.Fprintf(&b, ", column %s", e.column)
	}
	fmt.Fprintf(&b, ": %s", e.reason)
	if e.value != "" {
		fmt.Fprintf(&b, " (got %q)", e.value)
	}
	return b.String()
}

// orderDoc is one order document of the ERP (an invoice): the order it carries, and the
// idempotency key derived from its document number, under which it is committed.
type orderDoc struct {
	document string
	row      int // the row of its first line
	key      loyalty.IdempotencyKey
	order    loyalty.Order
}

// returnDoc is one return document of the ERP (a credit note): the order it returns goods
// from, the SKUs and quantities returned, and the key derived from its document number.
type returnDoc struct {
	document string
	row      int
	key      loyalty.IdempotencyKey
	at       time.Time
	order    loyalty.OrderID
	lines    []returnRow
}

type returnRow struct {
	row int
	sku loyalty.SKU
	qty loyalty.Quantity
}

// The columns of the two files. A header row names them, in any order.
var (
	orderColumns  = []string{"date", "document", "order", "account", "buyer", "sku", "category", "quantity", "price", "cost"}
	orderRequired = []string{"date", "document", "order", "account", "sku", "quantity", "price"}
	returnColumns = []string{"date", "document", "order", "sku", "quantity"}
)

// The keys under which documents are committed: the ERP's document numbers, which it sends
// again unchanged when it retries a batch.
func orderKey(document string) loyalty.IdempotencyKey {
	return loyalty.IdempotencyKey("erp/order/" + document)
}

func returnKey(document string) loyalty.IdempotencyKey {
	return loyalty.IdempotencyKey("erp/return/" + document)
}

// table is a CSV file read with its header: each row as a map from column to value.
type table struct {
	file string
	rows []tableRow
}

type tableRow struct {
	row  int
	vals map[string]string
}

// readTable reads a CSV file whose header names some of columns (case-insensitive) and all of
// required. A bad header, or a file that is no CSV at all, is an error; a row with the wrong
// number of fields is a rowError.
func readTable(file string, r io.Reader, columns, required []string) (table, []rowError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	t := table{file: file}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return t, nil, fmt.Errorf("%s: empty file, a header row is required", file)
	}
	if err != nil {
		return t, nil, fmt.Errorf("%s: %w", file, err)
	}
	names := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range columns {
			known = known || c == name
		}
		switch {
		case !known:
			return t, nil, fmt.Errorf("%s: unknown column %q in the header (the columns are %s)", file, h, strings.Join(columns, ", "))
		case seen[name]:
			return t, nil, fmt.Errorf("%s: column %q appears twice in the header", file, name)
		}
		seen[name] = true
		names[i] = name
	}
	for _, c := range required {
		if !seen[c] {
			return t, nil, fmt.Errorf("%s: the header has no column %q (required: %s)", file, c, strings.Join(required, ", "))
		}
	}
	var bad []rowError
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, rowError{file: file, row: pe.StartLine, reason: pe.Err.Error()})
				continue
			}
			return t, bad, fmt.Errorf("%s: %w", file, err)
		}
		if len(rec) != len(names) {
			bad = append(bad, rowError{file: file, row: line, reason: fmt.Sprintf("has %d fields, the header %d", len(rec), len(names))})
			continue
		}
		vals := make(map[string]string, len(names))
		for i, v := range rec {
			vals[names[i]] = strings.TrimSpace(v)
		}
		t.rows = append(t.rows, tableRow{row: line, vals: vals})
	}
	return t, bad, nil
}

// parser turns the values of a row into typed values, collecting the first error of each
// column.
type parser struct {
	file string
	row  tableRow
	loc  *time.Location
	cur  loyalty.Currency
	errs []rowError
}

func (p *parser) fail(column, reason string) {
	p.errs = append(p.errs, rowError{file: p.file, row: p.row.row, column: column, value: p.row.vals[column], reason: reason})
}

func (p *parser) text(column string, required bool) string {
	v := p.row.vals[column]
	if v == "" && required {
		p.fail(column, "is required")
	}
	return v
}

// date reads a local date and time of the program's time zone: "2026-03-02 10:00", or a
// date alone ("2026-03-02", midnight); RFC 3339 times are accepted too.
func (p *parser) date(column string) time.Time {
	v := p.row.vals[column]
	if v == "" {
		p.fail(column, "is required")
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, p.loc); err == nil {
			return t
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(p.loc)
	}
	p.fail(column, `must be a date and time such as "2026-03-02 10:00"`)
	return time.Time{}
}

func (p *parser) quantity(column string) loyalty.Quantity {
	v := p.row.vals[column]
	q, err := loyalty.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		p.fail(column, `must be a positive decimal number such as "2" or "12.5"`)
	}
	return q
}

func (p *parser) price(column string, required bool) loyalty.Price {
	v := p.row.vals[column]
	if v == "" && !required {
		return loyalty.Price{}
	}
	pr, err := loyalty.ParsePrice(v, p.cur.Code())
	if err != nil || pr.Micros() < 0 {
		p.fail(column, `must be a price such as "199.90", not negative, in `+p.cur.Code())
	}
	return pr
}

// orderRow is one row of the orders file: an order line and the order it belongs to.
type orderRow struct {
	at      time.Time
	id      loyalty.OrderID
	account loyalty.AccountID
	buyer   loyalty.BuyerID
	line    loyalty.Line
}

// readOrders reads the orders file: one order line per row, the rows of one document
// adjacent. A document with a malformed row is not imported at all (its rows are reported),
// so that an order never commits without some of its lines. A document number that comes
// again after other documents is the ERP sending the document again: it is read again, and
// the commit tells whether it is the same order.
func readOrders(file string, r io.Reader, loc *time.Location, cur loyalty.Currency) ([]orderDoc, []rowError, error) {
	t, bad, err := readTable(file, r, orderColumns, orderRequired)
	if err != nil {
		return nil, bad, err
	}
	docs, bad := groupDocuments(t, loc, cur, bad,
		func(p *parser) orderRow {
			return orderRow{
				at:      p.date("date"),
				id:      loyalty.OrderID(p.text("order", true)),
				account: loyalty.AccountID(p.text("account", true)),
				line: loyalty.Line{
					SKU:       loyalty.SKU(p.text("sku", true)),
					Category:  loyalty.CategoryID(p.text("category", false)),
					Quantity:  p.quantity("quantity"),
					UnitPrice: p.price("price", true),
					UnitCost:  p.price("cost", false),
				},
				buyer: loyalty.BuyerID(p.text("buyer", false)),
			}
		},
		func(doc string, row int, r orderRow) orderDoc {
			return orderDoc{document: doc, row: row, key: orderKey(doc), order: loyalty.Order{
				ID: r.id, Account: r.account, Buyer: r.buyer, Currency: cur, PlacedAt: r.at,
			}}
		},
		func(p *parser, d *orderDoc, r orderRow) {
			o := d.order
			switch {
			case r.id != o.ID:
				p.fail("order", fmt.Sprintf("differs from the document's first row (%s)", o.ID))
			case r.account != o.Account:
				p.fail("account", fmt.Sprintf("differs from the document's first row (%s)", o.Account))
			case r.buyer != o.Buyer:
				p.fail("buyer", fmt.Sprintf("differs from the document's first row (%s)", o.Buyer))
			case !r.at.Equal(o.PlacedAt):
				p.fail("date", "differs from the document's first row")
			}
		},
		func(d *orderDoc, r orderRow) { d.order.Lines = append(d.order.Lines, r.line) })
	return docs, bad, nil
}

// returnFileRow is one row of the returns file: a returned SKU and the return it belongs to.
type returnFileRow struct {
	at   time.Time
	id   loyalty.OrderID
	line returnRow
}

// readReturns reads the returns file: one returned SKU of an order per row, the rows of one
// return document adjacent. A document with a malformed row is not imported.
func readReturns(file string, r io.Reader, loc *time.Location, cur loyalty.Currency) ([]returnDoc, []rowError, error) {
	t, bad, err := readTable(file, r, returnColumns, returnColumns)
	if err != nil {
		return nil, bad, err
	}
	docs, bad := groupDocuments(t, loc, cur, bad,
		func(p *parser) returnFileRow {
			return returnFileRow{
				at:   p.date("date"),
				id:   loyalty.OrderID(p.text("order", true)),
				line: returnRow{row: p.row.row, sku: loyalty.SKU(p.text("sku", true)), qty: p.quantity("quantity")},
			}
		},
		func(doc string, row int, r returnFileRow) returnDoc {
			return returnDoc{document: doc, row: row, key: returnKey(doc), at: r.at, order: r.id}
		},
		func(p *parser, d *returnDoc, r returnFileRow) {
			switch {
			case r.id != d.order:
				p.fail("order", fmt.Sprintf("differs from the document's first row (%s)", d.order))
			case !r.at.Equal(d.at):
				p.fail("date", "differs from the document's first row")
			}
		},
		func(d *returnDoc, r returnFileRow) { d.lines = append(d.lines, r.line) })
	return docs, bad, nil
}

// groupDocuments groups the rows of t into documents: adjacent rows with the same
// "document" column. read parses a row's other columns, start makes the document of its
// first row, differs reports (through p) how a further row disagrees with its document's
// first row, and add adds a well-formed row to its document. A document with a malformed
// row is left out and its malformed rows are reported, so that no document is committed
// without some of its rows.
func groupDocuments[R, D any](t table, loc *time.Location, cur loyalty.Currency, bad []rowError,
	read func(p *parser) R, start func(doc string, row int, r R) D,
	differs func(p *parser, d *D, r R), add func(d *D, r R)) ([]D, []rowError) {
	var docs []D
	var open *D // the document being read
	var openDoc string
	var openBad bool
	flush := func() {
		if open != nil && !openBad {
			docs = append(docs, *open)
		}
		open, openBad = nil, false
	}
	for _, row := range t.rows {
		p := parser{file: t.file, row: row, loc: loc, cur: cur}
		doc := p.text("document", true)
		r := read(&p)
		if doc == "" {
			bad = append(bad, p.errs...)
			continue
		}
		if open == nil || openDoc != doc {
			flush()
			d := start(doc, row.row, r)
			open, openDoc = &d, doc
		} else if len(p.errs) == 0 && !openBad {
			differs(&p, open, r)
		}
		if len(p.errs) > 0 {
			bad = append(bad, p.errs...)
			openBad = true
			continue
		}
		add(open, r)
	}
	flush()
	return docs, bad
}
