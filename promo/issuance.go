package promo

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Issuance is a schedule of periodic codes: on given days of every month, each recent buyer
// receives a fresh code valid for a while. The coffee shop's "every two weeks, mid-month and
// month end, codes for 30 % valid 2.5 months, kept by one purchase every 2 months" is
//
//	Issuance{DaysOfMonth: []int{15, 31}, ValidMonths: 2, ValidDays: 15, ActiveMonths: 2}
//
// All dates are computed in the program's time zone. The zero Issuance issues nothing.
type Issuance struct {
	// DaysOfMonth are the days codes are issued on, 1 to 31; a day past the end of a month
	// means its last day, so 31 is "month end" in every month.
	DaysOfMonth []int `json:"days_of_month,omitempty"`
	// ValidMonths and ValidDays give each code's validity from the start of its issue day:
	// calendar months (with month-end clamping, [loyalty.AddMonths]) then days.
	ValidMonths int `json:"valid_months,omitempty"`
	ValidDays   int `json:"valid_days,omitempty"`
	// ActiveMonths keeps the codes coming: an account receives codes only if it bought
	// within this many calendar months before the issue date. Zero means every buyer given.
	ActiveMonths int `json:"active_months,omitempty"`
}

// IsZero reports whether is is the zero Issuance.
func (is Issuance) IsZero() bool {
	return len(is.DaysOfMonth) == 0 && is.ValidMonths == 0 && is.ValidDays == 0 && is.ActiveMonths == 0
}

// Validate checks the schedule; errors name the field.
func (is Issuance) Validate() error {
	var errs []error
	if len(is.DaysOfMonth) == 0 {
		errs = append(errs, loyalty.Invalid("days_of_month", nil, "must not be empty"))
	}
	for i, d := range is.DaysOfMonth {
		if d < 1 || d > 31 {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("days_of_month[%d]", i), d, "must be from 1 to 31"))
		} else if slices.Contains(is.DaysOfMonth[:i], d) {
			errs = append(errs, loyalty.Invalid(fmt.Sprintf("days_of_month[%d]", i), d, "must not repeat a day"))
		}
	}
	if is.ValidMonths < 0 {
		errs = append(errs, loyalty.Invalid("valid_months", is.ValidMonths, "must not be negative"))
	}
	if is.ValidDays < 0 {
		errs = append(errs, loyalty.Invalid("valid_days", is.ValidDays, "must not be negative"))
	}
	if is.ValidMonths == 0 && is.ValidDays == 0 {
		errs = append(errs, loyalty.Invalid("valid_months", nil, "or valid_days must be positive"))
	}
	if is.ActiveMonths < 0 {
		errs = append(errs, loyalty.Invalid("active_months", is.ActiveMonths, "must not be negative"))
	}
	return errors.Join(errs...)
}

// Dates returns the issue dates (midnight in loc) in [from, until), in order.
func (is Issuance) Dates(from, until time.Time, loc *time.Location) []time.Time {
	if loc == nil {
		loc = time.UTC
	}
	var out []time.Time
	f := from.In(loc)
	month := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc)
	for month.Before(until) {
		days := make([]int, 0, len(is.DaysOfMonth))
		last := time.Date(month.Year(), month.Month()+1, 0, 0, 0, 0, 0, loc).Day()
		for _, d := range is.DaysOfMonth {
			days = append(days, min(d, last))
		}
		slices.Sort(days)
		for _, d := range slices.Compact(days) {
			t := time.Date(month.Year(), month.Month(), d, 0, 0, 0, 0, loc)
			if !t.Before(from) && t.Before(until) {
				out = append(out, t)
			}
		}
		month = month.AddDate(0, 1, 0)
	}
	return out
}

// Window returns the validity of a code issued at at: from the start of its day in loc for
// ValidMonths months and ValidDays days. Issued on 15 November, valid 2 months 15 days, a
// code works through 29 January and expires at the start of 30 January, local time.
func (is Issuance) Window(at time.Time, loc *time.Location) Window {
	if loc == nil {
		loc = time.UTC
	}
	a := at.In(loc)
	day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, loc)
	return Window{From: day, Until: loyalty.AddMonths(day, is.ValidMonths).AddDate(0, 0, is.ValidDays)}
}

// Buyer is a recipient candidate for issued codes: an account and its last purchase.
type Buyer struct {
	Account      loyalty.AccountID `json:"account"`
	LastPurchase time.Time         `json:"last_purchase"`
}

// Active reports whether a buyer whose last purchase was at last still receives codes issued
// at at: the purchase is no later than at and no earlier than ActiveMonths calendar months
// before it (in loc).
func (is Issuance) Active(last, at time.Time, loc *time.Location) bool {
	if last.IsZero() || last.After(at) {
		return false
	}
	if is.ActiveMonths == 0 {
		return true
	}
	if loc == nil {
		loc = time.UTC
	}
	return !last.Before(loyalty.AddMonths(at.In(loc), -is.ActiveMonths))
}

// Recipients returns the accounts among buyers that receive codes issued at at, in the
// order given, each once.
func (is Issuance) Recipients(at time.Time, buyers []Buyer, loc *time.Location) []loyalty.AccountID {
	var out []loyalty.AccountID
	seen := make(map[loyalty.AccountID]bool)
	for _, b := range buyers {
		if b.Account != "" && !seen[b.Account] && is.Active(b.LastPurchase, at, loc) {
			seen[b.Account] = true
			out = append(out, b.Account)
		}
	}
	return out
}
