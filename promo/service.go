package promo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/loyaltykit/loyalty"
)

// DefaultReservationTTL is how long a reservation holds a use when neither the request nor
// the [Config] says otherwise.
const DefaultReservationTTL = 15 * time.Minute

// Config configures a [Service]. Zero fields mean the documented defaults.
type Config struct {
	// Store holds the state. Defaults to a new [MemoryStore].
	Store Store
	// Clock tells the time of validations and reservations. Defaults to the system clock.
	Clock loyalty.Clock
	// Location is the program's time zone, in which periods of limits and issue dates are
	// computed. Defaults to UTC.
	Location *time.Location
	// Formats are the shapes of generated codes. A typed code that has the shape of one of
	// them is checked against it (alphabet and check character) before any lookup, so a
	// mistyped code is refused with [ErrCheckCharacter] without touching the store. Codes
	// of no known shape (vanity codes such as SKIDKA30) are looked up.
	Formats []Format
	// ReservationTTL is how long a reservation holds a use. Defaults to
	// [DefaultReservationTTL].
	ReservationTTL time.Duration
}

// Service validates, reserves, redeems, releases and rolls back uses of promo codes, and
// defines, adds, generates and issues codes, over a [Store]. Limits hold exactly under
// concurrency: every check-and-count runs in one store transaction. It is safe for
// concurrent use.
type Service struct {
	store   Store
	clock   loyalty.Clock
	loc     *time.Location
	schemes []*Scheme
	ttl     time.Duration
	vals    sync.Pool // *validation: the state of finished Validate calls, reused
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	s := &Service{store: cfg.Store, clock: cfg.Clock, loc: cfg.Location, ttl: cfg.ReservationTTL}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.clock == nil {
		s.clock = loyalty.SystemClock()
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	var errs []error
	switch {
	case s.ttl == 0:
		s.ttl = DefaultReservationTTL
	case s.ttl < 0:
		errs = append(errs, loyalty.Invalid("reservation_ttl", s.ttl, "must be positive"))
	}
	for i, f := range cfg.Formats {
		sc, err := NewScheme(f)
		if err != nil {
			errs = append(errs, loyalty.InField(fmt.Sprintf("formats[%d]", i), err))
			continue
		}
		s.schemes = append(s.schemes, sc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("promo: config: %w", err)
	}
	return s, nil
}

// Parse normalises a typed code ([Normalize]) and, when it has the shape of one of the
// configured formats, checks it against that format ([Scheme.Check]). It needs no store.
func (s *Service) Parse(typed string) (string, error) {
	code, err := Normalize(typed)
	if err != nil {
		return "", err
	}
	var first error
	for _, sc := range s.schemes {
		if !sc.Matches(code) {
			continue
		}
		err := sc.Check(code)
		if err == nil {
			return code, nil
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return "", first
	}
	return code, nil
}

// Define creates or replaces a definition after validating it.
func (s *Service) Define(ctx context.Context, d Definition) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("promo: definition %q: %w", d.ID, err)
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.PutDefinition(d) })
}

// DefineAll validates rules as a whole and then creates or replaces all of its definitions in
// one transaction: either all are stored or none.
func (s *Service) DefineAll(ctx context.Context, rules Rules) error {
	if err := rules.Validate(); err != nil {
		return fmt.Errorf("promo: rules: %w", err)
	}
	return s.store.Update(ctx, func(tx Tx) error {
		for _, d := range rules.Definitions {
			if err := tx.PutDefinition(d); err != nil {
				return err
			}
		}
		return nil
	})
}

// Definition returns the definition id, or an error wrapping [loyalty.ErrNotFound].
func (s *Service) Definition(ctx context.Context, id DefinitionID) (Definition, error) {
	var d Definition
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		d, err = tx.Definition(id)
		return err
	})
	return d, err
}

// AddCode adds one code chosen by the shop, such as the vanity code "SKIDKA30"; c.Code is
// parsed first like a typed code ([Service.Parse]), so a code that customers could not use
// (one of a configured format's shape with a wrong check character) is refused. Adding the
// same code again with the same data changes nothing; a code that exists with other data is
// an error wrapping [loyalty.ErrConflict].
func (s *Service) AddCode(ctx context.Context, c Code) (Code, error) {
	code, err := s.Parse(c.Code)
	if err != nil {
		return Code{}, fmt.Errorf("promo: code: %w", err)
	}
	c.Code = code
	if err := loyalty.InField("valid", c.Valid.Validate()); err != nil {
		return Code{}, fmt.Errorf("promo: code: %w", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		d, err := tx.Definition(c.Definition)
		if err != nil {
			return err
		}
		if d.kind() == Personal && c.Account == "" {
			return loyalty.Invalid("account", nil, "is required for a personal code")
		}
		if old, err := tx.Code(code); err == nil {
			if sameCode(old, c) {
				return nil
			}
			return fmt.Errorf("promo: code %s already exists with other data: %w", code, loyalty.ErrConflict)
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		return tx.InsertCode(c)
	})
	if err != nil {
		return Code{}, err
	}
	return c, nil
}

// Code returns the stored code for a typed code (normalised first), revoked or not, or an
// error wrapping [loyalty.ErrNotFound]. It is meant for back offices; checkouts use
// [Service.Validate].
func (s *Service) Code(ctx context.Context, typed string) (Code, error) {
	code, err := Normalize(typed)
	if err != nil {
		return Code{}, err
	}
	var c Code
	err = s.store.View(ctx, func(tx ReadTx) (err error) {
		c, err = tx.Code(code)
		return err
	})
	return c, err
}

// RevokeRequest asks to withdraw one code.
type RevokeRequest struct {
	Key    loyalty.IdempotencyKey // required: a retried request returns the same revocation
	Code   string                 // as typed; normalised like a typed code
	Reason string                 // required: why ("order o-42 returned"); kept with the code and shown when a use is refused
}

// Revoke withdraws a code: from then on every use of it is refused with [ErrRevoked] (a
// [*RefusalError] whose detail gives the code, the time and the reason).
//
// Policy: a code with a use that holds — redeemed and not rolled back, or reserved and not
// expired — is not revoked: Revoke fails with an error wrapping [ErrCodeInUse] and changes
// nothing, because what that use granted belongs to its order (roll the use back, or
// release it, first). Revocation is final: there is no un-revoke.
//
// Revoke is idempotent by key: the same key with the same code and reason returns the first
// [Revocation] and changes nothing; with another code or reason it is an error wrapping
// [loyalty.ErrConflict]. A code revoked earlier by another request is not revoked again:
// the answer, recorded under the new key, has Earlier set and the time of the first
// revocation. An unknown code is an error wrapping [loyalty.ErrNotFound].
func (s *Service) Revoke(ctx context.Context, req RevokeRequest) (Revocation, error) {
	var errs []error
	if req.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if strings.TrimSpace(req.Reason) == "" {
		errs = append(errs, loyalty.Invalid("reason", req.Reason, "is required"))
	}
	code, err := Normalize(req.Code)
	if err != nil {
		errs = append(errs, loyalty.InField("code", loyalty.Invalid("", req.Code, err.Error())))
	}
	if err := errors.Join(errs...); err != nil {
		return Revocation{}, fmt.Errorf("promo: revoke: %w", err)
	}
	now := s.clock.Now()
	var out Revocation
	err = s.store.Update(ctx, func(tx Tx) error {
		if r, err := tx.Revocation(req.Key); err == nil {
			if r.Code != code || r.Reason != req.Reason {
				return fmt.Errorf("promo: revoke: key %q was used to revoke %s (%q): %w", req.Key, r.Code, r.Reason, loyalty.ErrConflict)
			}
			out = r
			return nil
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		c, err := tx.Code(code)
		if err != nil {
			return fmt.Errorf("promo: revoke: %w", err)
		}
		r := Revocation{Key: req.Key, Code: code, Definition: c.Definition, Reason: req.Reason, At: now}
		if c.Revoked() {
			r.At, r.Earlier = c.RevokedAt, true
		} else {
			n, err := s.codeUses(tx, c, now)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("promo: revoke: code %s has %d use(s) that hold: %w", code, n, ErrCodeInUse)
			}
			c.RevokedAt, c.RevokedReason = now, req.Reason
			if err := tx.UpdateCode(c); err != nil {
				return err
			}
		}
		out = r
		return tx.InsertRevocation(r)
	})
	if err != nil {
		return Revocation{}, err
	}
	return out, nil
}

// Revocation returns the revocation recorded under key, or an error wrapping
// [loyalty.ErrNotFound].
func (s *Service) Revocation(ctx context.Context, key loyalty.IdempotencyKey) (Revocation, error) {
	var r Revocation
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		r, err = tx.Revocation(key)
		return err
	})
	return r, err
}

// codeUses counts the uses of c that hold at now: its per-code count less the expired
// reservations still counted.
func (s *Service) codeUses(tx ReadTx, c Code, now time.Time) (int, error) {
	counter := Counter{Definition: c.Definition, Code: c.Code}
	n, err := tx.Usage(counter)
	if err != nil || n == 0 {
		return n, err
	}
	expired, err := tx.ExpiredReservations(c.Definition, now)
	if err != nil {
		return 0, err
	}
	for _, r := range expired {
		for _, rc := range r.Counters {
			if rc == counter {
				n--
			}
		}
	}
	return n, nil
}

// revokedRefusal is the refusal of a use of the revoked code c; times are shown in loc.
func revokedRefusal(c Code, loc *time.Location) error {
	detail := c.Code + " revoked " + c.RevokedAt.In(loc).Format("2006-01-02 15:04 MST")
	if c.RevokedReason != "" {
		detail += ": " + c.RevokedReason
	}
	return refuse(ErrRevoked, detail)
}

// sameCode compares what AddCode sets; a revocation since is not a difference.
func sameCode(a, b Code) bool {
	return a.Code == b.Code && a.Definition == b.Definition && a.Account == b.Account && a.IssuedTo == b.IssuedTo &&
		a.Valid.From.Equal(b.Valid.From) && a.Valid.Until.Equal(b.Valid.Until) && a.IssuedAt.Equal(b.IssuedAt)
}

// GenerateRequest asks for a batch of new codes of one definition.
type GenerateRequest struct {
	Key        loyalty.IdempotencyKey // required: a retried request returns the same batch
	Definition DefinitionID
	Format     Format            // the shape of the codes; list it in Config.Formats too
	Count      int               // how many codes
	Account    loyalty.AccountID // personal codes: the account every code belongs to
	Valid      Window            // each code's own window, within the definition's
}

// Generate creates a batch of new unique codes (never one already in the store) in one
// transaction and returns it. A large batch holds the store's write transaction while it is
// generated and stored (a few seconds per million codes in memory); split huge batches
// into several keys if checkouts must not wait. The same key with the same request returns the first batch;
// with a different request it is an error wrapping [loyalty.ErrConflict].
func (s *Service) Generate(ctx context.Context, req GenerateRequest) (Batch, error) {
	if err := s.checkBatchRequest(req.Key, req.Definition, req.Count); err != nil {
		return Batch{}, err
	}
	sc, err := NewScheme(req.Format)
	if err != nil {
		return Batch{}, fmt.Errorf("promo: generate: %w", loyalty.InField("format", err))
	}
	if err := loyalty.InField("valid", req.Valid.Validate()); err != nil {
		return Batch{}, fmt.Errorf("promo: generate: %w", err)
	}
	fp := fingerprint("generate", req.Definition, sc.Format(), req.Count, req.Account, req.Valid.From.UnixNano(), req.Valid.Until.UnixNano())
	now := s.clock.Now()
	return s.insertBatch(ctx, req.Key, req.Definition, sc, fp, func(d Definition) ([]Code, error) {
		if d.kind() == Personal && req.Account == "" {
			return nil, loyalty.Invalid("account", nil, "is required for personal codes")
		}
		codes := make([]Code, req.Count)
		for i := range codes {
			codes[i] = Code{Definition: d.ID, Account: req.Account, Valid: req.Valid, IssuedAt: now}
		}
		return codes, nil
	})
}

// IssueRequest asks for the periodic codes of one issue date.
type IssueRequest struct {
	Key        loyalty.IdempotencyKey // required: a retried request returns the same batch
	Definition DefinitionID           // a definition with an Issuance schedule
	Format     Format                 // the shape of the codes
	At         time.Time              // the issue date
	Buyers     []Buyer                // candidates; those who bought recently receive a code
}

// Issue gives every recent buyer (per the definition's [Issuance]) one fresh code, valid
// from the issue day for the issuance's validity, recorded as issued to that buyer (and
// bound to it when the definition is [Personal]). Batch.Codes[i] goes to
// Batch.IssuedTo[i]. Idempotent by key like [Service.Generate].
func (s *Service) Issue(ctx context.Context, req IssueRequest) (Batch, error) {
	if err := s.checkBatchRequest(req.Key, req.Definition, 0); err != nil {
		return Batch{}, err
	}
	if req.At.IsZero() {
		return Batch{}, fmt.Errorf("promo: issue: %w", loyalty.Invalid("at", nil, "is required"))
	}
	sc, err := NewScheme(req.Format)
	if err != nil {
		return Batch{}, fmt.Errorf("promo: issue: %w", loyalty.InField("format", err))
	}
	h := sha256.New()
	for _, b := range req.Buyers {
		fmt.Fprintf(h, "%q %d\n", b.Account, b.LastPurchase.UnixNano())
	}
	fp := fingerprint("issue", req.Definition, sc.Format(), req.At.UnixNano(), hex.EncodeToString(h.Sum(nil)))
	return s.insertBatch(ctx, req.Key, req.Definition, sc, fp, func(d Definition) ([]Code, error) {
		if d.Issuance.IsZero() {
			return nil, loyalty.Invalid("definition", string(d.ID), "has no issuance schedule")
		}
		win := d.Issuance.Window(req.At, s.loc)
		var codes []Code
		for _, a := range d.Issuance.Recipients(req.At, req.Buyers, s.loc) {
			c := Code{Definition: d.ID, IssuedTo: a, Valid: win, IssuedAt: req.At}
			if d.kind() == Personal {
				c.Account = a
			}
			codes = append(codes, c)
		}
		return codes, nil
	})
}

func (s *Service) checkBatchRequest(key loyalty.IdempotencyKey, def DefinitionID, count int) error {
	var errs []error
	if key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if def == "" {
		errs = append(errs, loyalty.Invalid("definition", nil, "is required"))
	}
	if count < 0 {
		errs = append(errs, loyalty.Invalid("count", count, "must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("promo: %w", err)
	}
	return nil
}

func fingerprint(parts ...any) string { return fmt.Sprintf("%q", parts) }

// insertBatch generates codes for the records plan returns and stores them with the batch,
// or returns the batch already stored under key.
func (s *Service) insertBatch(ctx context.Context, key loyalty.IdempotencyKey, def DefinitionID, sc *Scheme, fp string,
	plan func(d Definition) ([]Code, error)) (Batch, error) {
	var out Batch
	err := s.store.Update(ctx, func(tx Tx) error {
		if b, err := tx.Batch(key); err == nil {
			if b.Request != fp {
				return fmt.Errorf("promo: batch key %q reused with a different request: %w", key, loyalty.ErrConflict)
			}
			out = b
			return nil
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		d, err := tx.Definition(def)
		if err != nil {
			return err
		}
		recs, err := plan(d)
		if err != nil {
			return err
		}
		var lookupErr error
		texts, err := sc.Generate(len(recs), func(c string) bool {
			_, err := tx.Code(c)
			if err != nil && !errors.Is(err, loyalty.ErrNotFound) && lookupErr == nil {
				lookupErr = err
			}
			return err == nil
		})
		if lookupErr != nil {
			return lookupErr
		}
		if err != nil {
			return err
		}
		b := Batch{Key: key, Definition: def, Request: fp, Codes: texts, IssuedTo: make([]loyalty.AccountID, len(recs))}
		for i := range recs {
			recs[i].Code = texts[i]
			b.IssuedTo[i] = recs[i].IssuedTo
			if err := tx.InsertCode(recs[i]); err != nil {
				return err
			}
		}
		if err := tx.InsertBatch(b); err != nil {
			return err
		}
		out = b
		return nil
	})
	return out, err
}

// Request asks to reserve or redeem one code for a checkout.
type Request struct {
	Key      loyalty.IdempotencyKey // required: names this use of the code ("order-42/SKIDKA30")
	Code     string                 // as the customer typed it
	Checkout Checkout
	TTL      time.Duration // how long a reservation holds; 0 means the service's default
}

// Validate checks a typed code against a checkout without reserving anything (a dry run):
// normalisation, format, existence, conditions and limits, at the clock's time. A refusal is
// a [*RefusalError] matching one of the refusal sentinels.
func (s *Service) Validate(ctx context.Context, typed string, co Checkout) (Grant, error) {
	return s.validate(ctx, typed, &co, false, nil, nil)
}

// ValidateChecked is [Service.Validate] for a checkout the caller has already validated
// ([Checkout.Validate] returned nil): it does not check the order again. totals, when not
// nil, are the order's line totals ([loyalty.Line.Total] of every line, in order, as
// [loyalty.Order.LineTotals] returns them), which it then does not compute again. The result
// is Validate's for such a checkout; on a checkout that is not valid it is undefined.
func (s *Service) ValidateChecked(ctx context.Context, typed string, co Checkout, totals []loyalty.Money) (Grant, error) {
	return s.validate(ctx, typed, &co, true, totals, nil)
}

// ValidateCheckedInto is [Service.ValidateChecked] with the grant's Lines in the memory of
// lines when its capacity holds one index per order line (they are then a prefix of
// lines[:cap(lines)], nothing else of it written), and in new memory otherwise: a caller
// that keeps grants in memory of its own, such as a quote's, spares an allocation. The
// grant is the same. On a refusal or an error the contents of lines are unspecified.
func (s *Service) ValidateCheckedInto(ctx context.Context, lines []int, typed string, co Checkout, totals []loyalty.Money) (Grant, error) {
	return s.validate(ctx, typed, &co, true, totals, lines)
}

func (s *Service) validate(ctx context.Context, typed string, co *Checkout, checked bool, totals []loyalty.Money, lines []int) (Grant, error) {
	code, err := s.Parse(typed)
	if err != nil {
		return Grant{}, err
	}
	v, _ := s.vals.Get().(*validation)
	if v == nil {
		v = new(validation)
		v.fn = v.run // bound once: a pooled validation's view needs no new closure
	}
	now := s.clock.Now()
	v.s, v.code, v.account, v.now = s, code, co.Order.Account, now
	err = s.store.View(ctx, v.fn)
	d, c, limits := v.d, v.c, v.limits
	if d == &v.def { // copies, from a store that lends none
		def, cd := v.def, v.code1
		v.def, v.code1 = Definition{}, Code{}
		d, c = &def, &cd
	}
	// The pool keeps no definition, code or service.
	v.s, v.code, v.account, v.now, v.d, v.c, v.limits = nil, "", "", time.Time{}, nil, nil, nil
	s.vals.Put(v)
	if err != nil {
		return Grant{}, err
	}
	// The checks that need no store, in the order Evaluate makes them, come before the
	// refusal of a limit.
	if !checked {
		if err := co.Validate(); err != nil {
			return Grant{}, err
		}
	}
	g, err := evaluateChecked(d, c, co, totals, now.In(s.loc), lines)
	if err != nil {
		return Grant{}, err
	}
	if limits != nil {
		return Grant{}, limits
	}
	return g, nil
}

// validation is the state of one Validate: its view reads the code, its definition and
// its limits. The code and definition lent by a store stay valid after the view: stores
// that lend replace them whole, never modify them.
type validation struct {
	s       *Service
	code    string
	account loyalty.AccountID
	now     time.Time
	d       *Definition        // the code's definition: lent, or def
	def     Definition         // a copy, from a store that lends none
	c       *Code              // the code: lent, or code1
	code1   Code               // a copy, from a store that lends none
	limits  error              // the limits' refusal, or an error reading them
	fn      func(ReadTx) error // run, bound to this validation
}

func (v *validation) run(tx ReadTx) error {
	d, c, err := v.s.find(tx, v.code, &v.def, &v.code1)
	if err != nil {
		return err
	}
	v.d, v.c = d, c
	var cs [5]Counter
	_, v.limits = v.s.checkLimits(tx, d, v.s.countersInto(cs[:0], d, v.code, v.account, v.now), v.now)
	return nil
}

// Reserve validates the code like [Service.Validate] and holds one use of it for the
// checkout until the reservation's time-to-live runs out; an expired reservation frees its
// use by itself. The same key with the same code, account and order returns the reservation
// already made (in its current state) and changes nothing; with anything else it is an
// error wrapping [loyalty.ErrConflict].
func (s *Service) Reserve(ctx context.Context, req Request) (Reservation, error) {
	return s.reserve(ctx, req, false)
}

// RedeemNow reserves and redeems in one step, for checkouts that do not hold codes. With a
// key already reserved it redeems that reservation, like [Service.Redeem].
func (s *Service) RedeemNow(ctx context.Context, req Request) (Reservation, error) {
	return s.reserve(ctx, req, true)
}

func (s *Service) reserve(ctx context.Context, req Request, redeem bool) (Reservation, error) {
	var errs []error
	if req.Key == "" {
		errs = append(errs, loyalty.Invalid("key", nil, "is required"))
	}
	if req.TTL < 0 {
		errs = append(errs, loyalty.Invalid("ttl", req.TTL, "must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return Reservation{}, fmt.Errorf("promo: %w", err)
	}
	code, err := s.Parse(req.Code)
	if err != nil {
		return Reservation{}, err
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = s.ttl
	}
	now := s.clock.Now()
	var out Reservation
	err = s.store.Update(ctx, func(tx Tx) error {
		if r, err := tx.Reservation(req.Key); err == nil {
			if r.Grant.Code != code || r.Account != req.Checkout.Order.Account || r.Order != req.Checkout.Order.ID {
				return fmt.Errorf("promo: key %q reused for another code or order: %w", req.Key, loyalty.ErrConflict)
			}
			if redeem {
				out, err = s.redeem(tx, r, now)
				return err
			}
			out = r.at(now)
			return nil
		} else if !errors.Is(err, loyalty.ErrNotFound) {
			return err
		}
		var buf Definition
		var cbuf Code
		d, c, err := s.find(tx, code, &buf, &cbuf)
		if err != nil {
			return err
		}
		if err := req.Checkout.Validate(); err != nil {
			return err
		}
		g, err := evaluateChecked(d, c, &req.Checkout, nil, now.In(s.loc), nil)
		if err != nil {
			return err
		}
		cs := s.counters(d, code, req.Checkout.Order.Account, now)
		expired, err := s.checkLimits(tx, d, cs, now)
		if err != nil {
			return err
		}
		for _, e := range expired {
			if err := s.end(tx, e, Expired, e.ExpiresAt); err != nil {
				return err
			}
		}
		for _, c := range cs {
			if err := tx.AddUsage(c, 1); err != nil {
				return err
			}
		}
		r := Reservation{Key: req.Key, State: Reserved, Grant: g, Account: req.Checkout.Order.Account,
			Order: req.Checkout.Order.ID, Counters: cs, ReservedAt: now, ExpiresAt: now.Add(ttl)}
		if redeem {
			r.State, r.RedeemedAt = Redeemed, now
		}
		out = r
		return tx.PutReservation(r)
	})
	if err != nil {
		return Reservation{}, err
	}
	return out, nil
}

// Redeem consumes the reservation made under key: the use becomes permanent (until rolled
// back). Redeeming again returns the redemption. A reservation that expired is refused with
// [ErrReservationExpired]; a released or rolled-back one with an error wrapping
// [loyalty.ErrConflict]; an unknown key with one wrapping [loyalty.ErrNotFound].
func (s *Service) Redeem(ctx context.Context, key loyalty.IdempotencyKey) (Reservation, error) {
	return s.transition(ctx, key, func(tx Tx, r Reservation, now time.Time) (Reservation, error) {
		return s.redeem(tx, r, now)
	})
}

func (s *Service) redeem(tx Tx, r Reservation, now time.Time) (Reservation, error) {
	switch r = r.at(now); r.State {
	case Reserved:
		r.State, r.RedeemedAt = Redeemed, now
		return r, tx.PutReservation(r)
	case Redeemed:
		return r, nil
	case Expired:
		return r, refuse(ErrReservationExpired, "expired "+r.ExpiresAt.In(s.loc).Format("2006-01-02 15:04:05 MST"))
	}
	return r, fmt.Errorf("promo: reservation %q is %s: %w", r.Key, r.State, loyalty.ErrConflict)
}

// Release cancels the reservation made under key, freeing its use. Releasing again, or
// releasing an expired reservation, returns it unchanged. A redeemed use cannot be released
// (roll it back instead): that is an error wrapping [loyalty.ErrConflict].
func (s *Service) Release(ctx context.Context, key loyalty.IdempotencyKey) (Reservation, error) {
	return s.transition(ctx, key, func(tx Tx, r Reservation, now time.Time) (Reservation, error) {
		switch r.State {
		case Reserved:
			if !now.Before(r.ExpiresAt) {
				return r.at(now), s.end(tx, r, Expired, r.ExpiresAt)
			}
			r2 := r
			r2.State, r2.EndedAt = Released, now
			return r2, s.end(tx, r, Released, now)
		case Released, Expired:
			return r, nil
		}
		return r, fmt.Errorf("promo: reservation %q is %s and cannot be released: %w", key, r.State, loyalty.ErrConflict)
	})
}

// Rollback reverses the redemption made under key, on a return: the use no longer counts
// against the limits. Rolling back again returns it unchanged; rolling back a use that was
// not redeemed is an error wrapping [loyalty.ErrConflict].
func (s *Service) Rollback(ctx context.Context, key loyalty.IdempotencyKey) (Reservation, error) {
	return s.transition(ctx, key, func(tx Tx, r Reservation, now time.Time) (Reservation, error) {
		switch r.State {
		case Redeemed:
			r2 := r
			r2.State, r2.EndedAt = RolledBack, now
			return r2, s.end(tx, r, RolledBack, now)
		case RolledBack:
			return r, nil
		}
		return r.at(now), fmt.Errorf("promo: reservation %q is %s and cannot be rolled back: %w", key, r.at(now).State, loyalty.ErrConflict)
	})
}

// Reservation returns the use recorded under key, in its state at the clock's time, or an
// error wrapping [loyalty.ErrNotFound].
func (s *Service) Reservation(ctx context.Context, key loyalty.IdempotencyKey) (Reservation, error) {
	now := s.clock.Now()
	var out Reservation
	err := s.store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Reservation(key)
		out = r.at(now)
		return err
	})
	if err != nil {
		return Reservation{}, err
	}
	return out, nil
}

// Usage returns the number of uses counted by c at the clock's time: redemptions and
// reservations that have not expired.
func (s *Service) Usage(ctx context.Context, c Counter) (int, error) {
	now := s.clock.Now()
	var n int
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if n, err = tx.Usage(c); err != nil {
			return err
		}
		expired, err := tx.ExpiredReservations(c.Definition, now)
		for _, r := range expired {
			for _, rc := range r.Counters {
				if rc == c {
					n--
				}
			}
		}
		return err
	})
	return n, err
}

func (s *Service) transition(ctx context.Context, key loyalty.IdempotencyKey, fn func(tx Tx, r Reservation, now time.Time) (Reservation, error)) (Reservation, error) {
	if key == "" {
		return Reservation{}, fmt.Errorf("promo: %w", loyalty.Invalid("key", nil, "is required"))
	}
	now := s.clock.Now()
	var out Reservation
	err := s.store.Update(ctx, func(tx Tx) error {
		r, err := tx.Reservation(key)
		if err != nil {
			return err
		}
		out, err = fn(tx, r, now)
		return err
	})
	return out, err
}

// at returns r as it stands at now: a reservation past its time-to-live is expired.
func (r Reservation) at(now time.Time) Reservation {
	if r.State == Reserved && !now.Before(r.ExpiresAt) {
		r.State, r.EndedAt = Expired, r.ExpiresAt
	}
	return r
}

// end moves a holding use to a final state and frees its counts.
func (s *Service) end(tx Tx, r Reservation, st State, at time.Time) error {
	for _, c := range r.Counters {
		if err := tx.AddUsage(c, -1); err != nil {
			return err
		}
	}
	r.State, r.EndedAt = st, at
	return tx.PutReservation(r)
}

// find reads a code and its definition, as lookup does: as stored when tx is a
// [MemoryStore]'s, which lends them (to be read only), otherwise copies in buf and cbuf.
// A MemoryStore replaces codes and definitions whole and never modifies one stored, so
// what it lends stays as it is: validations and reservations read them and keep nothing
// of them that can be modified (a Grant's Benefit holds no slices).
func (s *Service) find(tx ReadTx, code string, buf *Definition, cbuf *Code) (*Definition, *Code, error) {
	l, ok := tx.(*memTx)
	if !ok {
		var err error
		*buf, *cbuf, err = s.lookup(tx, code)
		return buf, cbuf, err
	}
	d, c, err := l.lookup(code)
	if errors.Is(err, loyalty.ErrNotFound) {
		return nil, nil, refuse(ErrUnknownCode, "")
	}
	return d, c, err
}

// lookup reads a code and its definition; either missing is an unknown code.
func (s *Service) lookup(tx ReadTx, code string) (Definition, Code, error) {
	c, err := tx.Code(code)
	if errors.Is(err, loyalty.ErrNotFound) {
		return Definition{}, Code{}, refuse(ErrUnknownCode, "")
	} else if err != nil {
		return Definition{}, Code{}, err
	}
	d, err := tx.Definition(c.Definition)
	if errors.Is(err, loyalty.ErrNotFound) {
		return Definition{}, Code{}, refuse(ErrUnknownCode, "")
	} else if err != nil {
		return Definition{}, Code{}, err
	}
	return d, c, nil
}

// counters returns the counts a use of code by account at now holds, in the order of
// limitReasons.
func (s *Service) counters(d *Definition, code string, account loyalty.AccountID, now time.Time) []Counter {
	return s.countersInto(nil, d, code, account, now)
}

// countersInto is counters appended to cs.
func (s *Service) countersInto(cs []Counter, d *Definition, code string, account loyalty.AccountID, now time.Time) []Counter {
	cs = append(cs, Counter{Definition: d.ID}, Counter{Definition: d.ID, Code: code}, Counter{Definition: d.ID, Account: account})
	if p := d.Limits.Period; p != "" {
		key := string(p) + "/" + p.Start(now.In(s.loc)).Format(time.DateOnly)
		cs = append(cs, Counter{Definition: d.ID, Period: key}, Counter{Definition: d.ID, Account: account, Period: key})
	}
	return cs
}

var limitReasons = [...]error{ErrExhausted, ErrExhausted, ErrAccountLimit, ErrPeriodLimit, ErrPeriodLimit}

// checkLimits refuses a new use that would exceed a limit. Expired reservations still in
// the store do not count; when they made the difference they are returned, for the caller
// to end them.
func (s *Service) checkLimits(tx ReadTx, d *Definition, cs []Counter, now time.Time) ([]Reservation, error) {
	l := d.limits()
	limits := [...]int{l.Total, l.PerCode, l.PerAccount, l.PerPeriod, l.PerAccountPerPeriod}
	var expired []Reservation
	var freed map[Counter]int
	for pass := 0; ; pass++ {
		var refusal error
		for i := range cs {
			if limits[i] == 0 {
				continue
			}
			c := &cs[i]
			n, err := tx.Usage(*c)
			if err != nil {
				return nil, err
			}
			if freed != nil {
				n -= freed[*c]
			}
			if n >= limits[i] {
				detail := ""
				if i >= 3 {
					detail = "available again from " + d.Limits.Period.Next(now.In(s.loc)).Format(time.DateOnly)
				}
				refusal = refuse(limitReasons[i], detail)
				break
			}
		}
		if refusal == nil {
			return expired, nil
		}
		if pass > 0 {
			return nil, refusal
		}
		var err error
		if expired, err = tx.ExpiredReservations(d.ID, now); err != nil {
			return nil, err
		}
		if len(expired) == 0 {
			return nil, refusal
		}
		freed = make(map[Counter]int)
		for _, r := range expired {
			for _, c := range r.Counters {
				freed[c]++
			}
		}
	}
}
