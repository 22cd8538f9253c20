package loyalty

// Identifiers are distinct string types so that the compiler catches swapped arguments: an
// AccountID cannot be passed where a BuyerID is expected. They are opaque to the library:
// compared for equality, never parsed.
type (
	// AccountID identifies a customer company account (a legal entity that buys).
	AccountID string
	// BuyerID identifies an individual buyer: an employee or member of a company account.
	BuyerID string
	// PartnerID identifies a partner: a dealer in a channel program, or a coalition member
	// that issues or accepts points.
	PartnerID string
	// OrderID identifies an order.
	OrderID string
	// SKU identifies a product (stock-keeping unit).
	SKU string
	// CategoryID identifies a product category ("fuel", "beans").
	CategoryID string
	// ProgramID identifies a loyalty program.
	ProgramID string
	// CampaignID identifies a campaign or promotion within a program.
	CampaignID string
	// IdempotencyKey names one logical mutation that a caller may retry: applying the same
	// key twice changes nothing and returns the first result.
	IdempotencyKey string
)
