package campaign

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Format is the format of an order history read by [Simulate] and written by
// [GenerateHistory]. It is a plain string value, safe for concurrent use.
//
// Both formats carry one order line per row with the same columns (fields):
//
//	order     the order ID; required. The rows of one order are adjacent.
//	kind      "sale" (the default when empty or absent) or "return".
//	date      when the order was placed (or the goods returned): RFC 3339
//	          ("2026-03-02T10:00:00Z") or a date ("2026-03-02", midnight in
//	          SimulateOptions.Location); required. Rows are in time order.
//	account   the buying company account; required.
//	buyer     the individual buyer; optional.
//	sku       the product; required.
//	category  the product's category; optional.
//	quantity  a positive decimal quantity ("2", "12.5"); required. A negative
//	          quantity makes the row a return of that quantity.
//	price     the unit price in the history's currency ("199.90"); required on
//	          sales, ignored on returns.
//	cost      the seller's unit cost; required on sales (margins need it),
//	          ignored on returns.
//
// A return row names the order it returns goods from, and the SKU of the line returned; the
// adjacent return rows of one order with the same date make one return (a row with kind "return" and a row with a
// negative quantity are the same thing). An order can only be returned while it is within
// SimulateOptions.ReturnWindow of its date.
//
// CSV histories start with a header row naming the columns, in any order (case-insensitive);
// unknown columns are errors. JSON histories are JSON Lines: one object per line with the
// columns as keys, values as strings (numbers are accepted for quantity, price and cost);
// unknown keys are errors and blank lines are skipped. Row numbers in errors are line numbers
// of the input (the CSV header is row 1).
type Format string

// The history formats.
const (
	CSV       Format = "csv"
	JSONLines Format = "jsonl"
)

// history columns.
const (
	colOrder    = "order"
	colKind     = "kind"
	colDate     = "date"
	colAccount  = "account"
	colBuyer    = "buyer"
	colSKU      = "sku"
	colCategory = "category"
	colQuantity = "quantity"
	colPrice    = "price"
	colCost     = "cost"
)

var historyColumns = [...]string{colOrder, colKind, colDate, colAccount, colBuyer, colSKU, colCategory, colQuantity, colPrice, colCost}

// rowVals are the values of one row, indexed like historyColumns ("" when absent).
type rowVals [len(historyColumns)]string

// RowError is a malformed row of a history: its row number (the line of the input), the
// column at fault ("" when the row as a whole is at fault, such as an order the program
// refuses), the value and what is wrong. It matches loyalty.ErrInvalid with errors.Is. It is
// plain data, safe for concurrent use.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// Error implements the error interface.
func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "campaign: history row %d", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Value != "" {
		fmt.Fprintf(&b, " (got %q)", e.Value)
	}
	return b.String()
}

// Is reports whether target is loyalty.ErrInvalid.
func (e *RowError) Is(target error) bool { return target == loyalty.ErrInvalid }

// histRow is one parsed row.
type histRow struct {
	row      int
	ret      bool
	order    loyalty.OrderID
	at       time.Time
	account  loyalty.AccountID
	buyer    loyalty.BuyerID
	sku      loyalty.SKU
	category loyalty.CategoryID
	qty      loyalty.Quantity
	price    loyalty.Price
	cost     loyalty.Price
}

// rowReader reads raw rows: a map from column to value, keyed by the column index.
type rowReader interface {
	// next returns the next row's values (indexed like historyColumns, "" when absent) and
	// its row number; io.EOF at the end. A *RowError is a malformed row the reader can
	// continue after; other errors are fatal.
	next(vals *rowVals) (row int, err error)
}

func newRowReader(r io.Reader, f Format) (rowReader, error) {
	switch f {
	case CSV:
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		cr.TrimLeadingSpace = true
		return &csvRows{r: cr}, nil
	case JSONLines:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		return &jsonRows{sc: sc}, nil
	}
	return nil, loyalty.Invalid("format", string(f), `must be "csv" or "jsonl"`)
}

type csvRows struct {
	r      *csv.Reader
	index  []int // column of each CSV field in historyColumns
	header bool
}

func (c *csvRows) next(vals *rowVals) (int, error) {
	if !c.header {
		rec, err := c.r.Read()
		if err == io.EOF {
			return 0, &RowError{Row: 1, Reason: "missing header row"}
		}
		if err != nil {
			return 0, csvErr(err)
		}
		c.header = true
		seen := map[int]bool{}
		for _, name := range rec {
			name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
			i := columnIndex(name)
			if i < 0 {
				return 0, &RowError{Row: 1, Column: name, Reason: "unknown column; want " + strings.Join(historyColumns[:], ", ")}
			}
			if seen[i] {
				return 0, &RowError{Row: 1, Column: name, Reason: "column named twice"}
			}
			seen[i] = true
			c.index = append(c.index, i)
		}
		for _, req := range []string{colOrder, colDate, colAccount, colSKU, colQuantity} {
			if !seen[columnIndex(req)] {
				return 0, &RowError{Row: 1, Column: req, Reason: "required column missing"}
			}
		}
	}
	rec, err := c.r.Read()
	if err != nil {
		if err == io.EOF {
			return 0, io.EOF
		}
		return 0, csvErr(err)
	}
	line, _ := c.r.FieldPos(0)
	*vals = rowVals{}
	if len(rec) != len(c.index) {
		return line, &RowError{Row: line, Reason: fmt.Sprintf("has %d fields, the header %d", len(rec), len(c.index))}
	}
	for j, v := range rec {
		vals[c.index[j]] = strings.TrimSpace(v)
	}
	return line, nil
}

// csvErr turns a CSV syntax error into a RowError the reader cannot always continue after:
// encoding/csv resumes at the next line, so it is reported as a malformed row.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{Row: pe.Line, Reason: pe.Err.Error()}
	}
	return fmt.Errorf("campaign: reading history: %w", err)
}

func columnIndex(name string) int {
	for i, c := range historyColumns {
		if c == name {
			return i
		}
	}
	return -1
}

type jsonRows struct {
	sc   *bufio.Scanner
	line int
}

// jsonValue accepts a JSON string or number as text.
type jsonValue string

func (v *jsonValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = jsonValue(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*v = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("must be a string or a number")
	}
	*v = jsonValue(n)
	return nil
}

type jsonRow struct {
	Order    jsonValue `json:"order"`
	Kind     jsonValue `json:"kind"`
	Date     jsonValue `json:"date"`
	Account  jsonValue `json:"account"`
	Buyer    jsonValue `json:"buyer"`
	SKU      jsonValue `json:"sku"`
	Category jsonValue `json:"category"`
	Quantity jsonValue `json:"quantity"`
	Price    jsonValue `json:"price"`
	Cost     jsonValue `json:"cost"`
}

func (j *jsonRows) next(vals *rowVals) (int, error) {
	for j.sc.Scan() {
		j.line++
		b := bytes.TrimSpace(j.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r jsonRow
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err := dec.Decode(&r)
		if err == nil && dec.More() {
			err = errors.New("trailing data after the object")
		}
		if err != nil {
			re := &RowError{Row: j.line, Reason: err.Error()}
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				re.Column, re.Reason = te.Field, "must be a string or a number"
			} else if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
				re.Column, re.Reason = strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "unknown field; want "+strings.Join(historyColumns[:], ", ")
			}
			return j.line, re
		}
		*vals = rowVals{
			string(r.Order), string(r.Kind), string(r.Date), string(r.Account), string(r.Buyer),
			string(r.SKU), string(r.Category), string(r.Quantity), string(r.Price), string(r.Cost),
		}
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		return j.line, nil
	}
	if err := j.sc.Err(); err != nil {
		return j.line + 1, fmt.Errorf("campaign: reading history line %d: %w", j.line+1, err)
	}
	return 0, io.EOF
}

// parseRow checks and converts one row's values.
func parseRow(row int, v *rowVals, cur loyalty.Currency, loc *time.Location) (histRow, error) {
	r := histRow{row: row}
	bad := func(col, val, reason string) error {
		return &RowError{Row: row, Column: col, Value: val, Reason: reason}
	}
	get := func(col string) string { return v[columnIndex(col)] }
	req := func(col string) (string, error) {
		s := get(col)
		if s == "" {
			return "", bad(col, "", "required")
		}
		return s, nil
	}
	s, err := req(colOrder)
	if err != nil {
		return r, err
	}
	r.order = loyalty.OrderID(s)
	switch k := strings.ToLower(get(colKind)); k {
	case "", "sale":
	case "return":
		r.ret = true
	default:
		return r, bad(colKind, get(colKind), `must be "sale" or "return"`)
	}
	if s, err = req(colDate); err != nil {
		return r, err
	}
	if r.at, err = time.Parse(time.RFC3339Nano, s); err != nil {
		if r.at, err = time.ParseInLocation(time.DateOnly, s, loc); err != nil {
			return r, bad(colDate, s, "must be an RFC 3339 time or a date YYYY-MM-DD")
		}
	}
	if s, err = req(colAccount); err != nil {
		return r, err
	}
	r.account = loyalty.AccountID(s)
	r.buyer = loyalty.BuyerID(get(colBuyer))
	if s, err = req(colSKU); err != nil {
		return r, err
	}
	r.sku = loyalty.SKU(s)
	r.category = loyalty.CategoryID(get(colCategory))
	if s, err = req(colQuantity); err != nil {
		return r, err
	}
	if r.qty, err = loyalty.ParseQuantity(s); err != nil {
		return r, bad(colQuantity, s, "must be a decimal quantity")
	}
	switch r.qty.Sign() {
	case 0:
		return r, bad(colQuantity, s, "must not be zero")
	case -1:
		if r.ret {
			return r, bad(colQuantity, s, "a return row's quantity must be positive (a negative quantity alone marks a return)")
		}
		r.ret = true
		r.qty = loyalty.QuantityFromMicros(-r.qty.Micros())
	}
	if r.ret {
		return r, nil
	}
	if s, err = req(colPrice); err != nil {
		return r, err
	}
	if r.price, err = loyalty.ParsePrice(s, cur.Code()); err != nil || r.price.Sign() <= 0 {
		return r, bad(colPrice, s, "must be a positive amount")
	}
	if s, err = req(colCost); err != nil {
		return r, err
	}
	if r.cost, err = loyalty.ParsePrice(s, cur.Code()); err != nil || r.cost.Sign() < 0 {
		return r, bad(colCost, s, "must be an amount, not negative")
	}
	return r, nil
}
