package referral

import (
	"strings"
	"time"
)

// Explain tells the referral's story in plain sentences, one per line: who referred the
// referee and when, how it converted or why it was cancelled, and every grant with its
// status. Dates are written in the location of the referral's times.
func (r Referral) Explain() string {
	var b strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	line("Account ", string(r.Referee), " was referred by ", r.Referrer.String(), " with code ", r.Code, " on ", day(r.AttributedAt), ".")
	for _, p := range r.Previous {
		line("It was first referred by ", string(p), ", and taken over.")
	}
	switch r.Status {
	case StatusAttributed:
		line("It has not converted; it can until ", day(r.ConvertBy), ".")
	default:
		by := "order " + string(r.Order) + " of " + r.Amount.String()
		if r.Event != "" {
			by = "event " + r.Event
		}
		line("It converted by ", by, " on ", day(r.ConvertedAt), ".")
		switch r.Status {
		case StatusPending:
			line("The rewards become final on ", day(r.FinalAt), " unless the order is returned.")
		case StatusFinal:
			line("The rewards are final.")
		case StatusCancelled:
			line("The conversion was cancelled on ", day(r.CancelledAt), ": ", r.CancelReason, ".")
		}
	}
	for _, g := range r.Grants {
		to := "the referee"
		if g.Side == SideReferrer {
			to = "the referrer"
		}
		s := "- " + g.Reward.String() + " to " + to + ": " + string(g.Status)
		if g.Note != "" && !strings.HasPrefix(g.Note, "cancelled: ") {
			s += " (" + g.Note + ")"
		}
		line(s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
