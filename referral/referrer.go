package referral

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/loyaltykit/loyalty"
)

// ReferrerKind says who refers: a company account, an individual buyer of a company, or a
// partner (a dealer in a channel program).
type ReferrerKind string

// The referrer kinds.
const (
	KindAccount ReferrerKind = "account"
	KindBuyer   ReferrerKind = "buyer"
	KindPartner ReferrerKind = "partner"
)

// Referrer is who earns for a referral: a company account, a buyer of a company account,
// or a partner. It is a plain value, safe for concurrent use.
//
//   - KindAccount: Account is required; Buyer and Partner are empty.
//   - KindBuyer: Buyer and the buyer's company Account are required; Partner is empty.
//   - KindPartner: Partner is required; Account is the partner's own customer account, if it
//     has one (so that a dealer cannot refer itself); Buyer is empty.
type Referrer struct {
	Kind    ReferrerKind      `json:"kind"`
	Account loyalty.AccountID `json:"account,omitempty"`
	Buyer   loyalty.BuyerID   `json:"buyer,omitempty"`
	Partner loyalty.PartnerID `json:"partner,omitempty"`
}

// AccountReferrer returns the [Referrer] for a company account.
func AccountReferrer(a loyalty.AccountID) Referrer { return Referrer{Kind: KindAccount, Account: a} }

// BuyerReferrer returns the [Referrer] for buyer b of company account a.
func BuyerReferrer(a loyalty.AccountID, b loyalty.BuyerID) Referrer {
	return Referrer{Kind: KindBuyer, Account: a, Buyer: b}
}

// PartnerReferrer returns the [Referrer] for partner p; own is the partner's own customer
// account, or empty.
func PartnerReferrer(p loyalty.PartnerID, own loyalty.AccountID) Referrer {
	return Referrer{Kind: KindPartner, Partner: p, Account: own}
}

// ReferrerID identifies a referrer in stores and reports: "account:acme", "buyer:b-17",
// "partner:dealer-3". Buyer identifiers are taken to be unique across accounts.
type ReferrerID string

// ID returns r's [ReferrerID].
func (r Referrer) ID() ReferrerID {
	switch r.Kind {
	case KindBuyer:
		return ReferrerID("buyer:" + string(r.Buyer))
	case KindPartner:
		return ReferrerID("partner:" + string(r.Partner))
	}
	return ReferrerID("account:" + string(r.Account))
}

// String describes r in words: "account acme", "buyer b-1 of account acme", "partner d-3".
func (r Referrer) String() string {
	switch r.Kind {
	case KindBuyer:
		return "buyer " + string(r.Buyer) + " of account " + string(r.Account)
	case KindPartner:
		return "partner " + string(r.Partner)
	}
	return "account " + string(r.Account)
}

// Validate checks that r is one of the three shapes documented on [Referrer].
func (r Referrer) Validate() error {
	var errs []error
	switch r.Kind {
	case KindAccount:
		if r.Account == "" {
			errs = append(errs, loyalty.Invalid("account", nil, "is required for an account referrer"))
		}
		if r.Buyer != "" {
			errs = append(errs, loyalty.Invalid("buyer", r.Buyer, "must be empty for an account referrer"))
		}
		if r.Partner != "" {
			errs = append(errs, loyalty.Invalid("partner", r.Partner, "must be empty for an account referrer"))
		}
	case KindBuyer:
		if r.Account == "" {
			errs = append(errs, loyalty.Invalid("account", nil, "is required for a buyer referrer (the buyer's company)"))
		}
		if r.Buyer == "" {
			errs = append(errs, loyalty.Invalid("buyer", nil, "is required for a buyer referrer"))
		}
		if r.Partner != "" {
			errs = append(errs, loyalty.Invalid("partner", r.Partner, "must be empty for a buyer referrer"))
		}
	case KindPartner:
		if r.Partner == "" {
			errs = append(errs, loyalty.Invalid("partner", nil, "is required for a partner referrer"))
		}
		if r.Buyer != "" {
			errs = append(errs, loyalty.Invalid("buyer", r.Buyer, "must be empty for a partner referrer"))
		}
	default:
		errs = append(errs, loyalty.Invalid("kind", string(r.Kind), "must be account, buyer or partner"))
	}
	return errors.Join(errs...)
}

// Identity is what the caller knows about a party's contacts and legal identity: e-mail
// addresses, phone numbers and tax identifiers (INN, VAT number). The service never looks
// them up; it compares a referee's identity with its referrer's to refuse self-referrals.
// Comparison is on normalised forms: e-mails in lower case without surrounding space, phones
// by their digits only, tax identifiers in upper case letters and digits only.
// A Identity is a plain value, safe for concurrent use when not modified.
type Identity struct {
	Emails []string `json:"emails,omitempty"`
	Phones []string `json:"phones,omitempty"`
	TaxIDs []string `json:"tax_ids,omitempty"`
}

// IdentifierKind names a kind of identifier of an [Identity].
type IdentifierKind string

// The identifier kinds.
const (
	IdentifierEmail IdentifierKind = "email"
	IdentifierPhone IdentifierKind = "phone"
	IdentifierTaxID IdentifierKind = "tax-id"
)

// Each calls fn with every identifier of id and its kind: e-mails, then phones, then tax
// identifiers.
func (id Identity) Each(fn func(kind IdentifierKind, value string)) {
	for _, v := range id.Emails {
		fn(IdentifierEmail, v)
	}
	for _, v := range id.Phones {
		fn(IdentifierPhone, v)
	}
	for _, v := range id.TaxIDs {
		fn(IdentifierTaxID, v)
	}
}

// normalized returns id with every identifier in its comparison form, sorted and without
// duplicates or empty values.
func (id Identity) normalized() Identity {
	return Identity{
		Emails: normalizeAll(id.Emails, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }),
		Phones: normalizeAll(id.Phones, func(s string) string { return keepOnly(s, unicode.IsDigit, false) }),
		TaxIDs: normalizeAll(id.TaxIDs, func(s string) string {
			return keepOnly(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }, true)
		}),
	}
}

func (id Identity) clone() Identity {
	return Identity{Emails: slices.Clone(id.Emails), Phones: slices.Clone(id.Phones), TaxIDs: slices.Clone(id.TaxIDs)}
}

// merge returns the union of two normalised identities.
func (id Identity) merge(o Identity) Identity {
	return Identity{
		Emails: union(id.Emails, o.Emails),
		Phones: union(id.Phones, o.Phones),
		TaxIDs: union(id.TaxIDs, o.TaxIDs),
	}
}

func normalizeAll(in []string, f func(string) string) []string {
	var out []string
	for _, s := range in {
		if n := f(s); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func keepOnly(s string, keep func(rune) bool, upper bool) string {
	var b strings.Builder
	for _, r := range s {
		if keep(r) {
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// firstCommon returns a value present in both sorted slices.
func firstCommon(a, b []string) (string, bool) {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return a[i], true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return "", false
}

// Profile is a registered referrer as the store keeps it: its stable code, the identity the
// caller supplied, and the running counters the service needs for velocity limits,
// milestones and caps. It is a plain value, safe for concurrent use when not
// modified; copies do not share memory with the store.
type Profile struct {
	Referrer     Referrer  `json:"referrer"`
	Code         string    `json:"code"` // canonical form (see loyalty.NormalizeCode)
	Identity     Identity  `json:"identity"`
	RegisteredAt time.Time `json:"registered_at"`

	// Recent holds the attribution times that velocity limits still look at, oldest first.
	Recent []time.Time `json:"recent,omitempty"`
	// Finalized counts the referrer's conversions that became final; milestones are reached
	// on it.
	Finalized int `json:"finalized"`
	// Superseded counts referrals taken over by a later referrer (last-within-window
	// attribution).
	Superseded int `json:"superseded"`
	// Usage holds, per capped period, how much of the caps the current period has used.
	Usage []CapUsage `json:"usage,omitempty"`
}

// CapUsage is what a referrer has used of its caps in the period starting at Start.
// Cancelled rewards give their share back while the period lasts.
// A CapUsage is a plain value, safe for concurrent use when not modified.
type CapUsage struct {
	Period      loyalty.Period `json:"period"`
	Start       time.Time      `json:"start"`
	Conversions int            `json:"conversions"`
	Points      int64          `json:"points"`
	Credit      loyalty.Money  `json:"credit"`
}

// Clone returns a deep copy of p.
func (p Profile) Clone() Profile {
	p.Identity = p.Identity.clone()
	p.Recent = slices.Clone(p.Recent)
	p.Usage = slices.Clone(p.Usage)
	return p
}
