package points

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/loyaltykit/loyalty"
	"pgregory.net/rapid"
)

// TestAppendDecimalIsAppendInt checks the fingerprints' integer encoding against strconv.
func TestAppendDecimalIsAppendInt(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.Int64Range(-200, 200), rapid.Int64()).Draw(t, "v")
		if got, want := string(appendDecimal([]byte("x"), v)), "x"+strconv.FormatInt(v, 10); got != want {
			t.Fatalf("appendDecimal(%d) = %q, want %q", v, got, want)
		}
	})
}

// TestFingerprintEncoding checks the earn and spend fingerprints against the encoding they
// are defined by, written out with fmt: stores keep fingerprints, so a change of encoding
// would make a retry after an upgrade conflict with its own first attempt.
func TestFingerprintEncoding(t *testing.T) {
	str := func(s string) string { return fmt.Sprintf("%d:%s", len(s), s) }
	num := func(v int64) string { return fmt.Sprintf("%d;", v) }
	sum := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.StringMatching(`[a-z0-9/-]{0,120}`)
		h := Holder{Kind: HolderKind(text.Draw(t, "kind")), ID: text.Draw(t, "id")}
		earn := EarnRequest{Key: loyalty.IdempotencyKey(text.Draw(t, "key")), Holder: h,
			Issuer: loyalty.PartnerID(text.Draw(t, "issuer")),
			Plan:   Plan{Order: loyalty.OrderID(text.Draw(t, "order")), Event: text.Draw(t, "event"), Total: Points(rapid.Int64().Draw(t, "total"))}}
		want := str("earn") + str(string(earn.Key)) + str(string(h.Kind)) + str(h.ID) + str(string(earn.Issuer)) +
			str(string(earn.Plan.Order)) + str(earn.Plan.Event) + num(int64(earn.Plan.Total))
		n := rapid.IntRange(0, 120).Draw(t, "lines")
		want += num(int64(n))
		for i := range n {
			l := LinePlan{Quantity: loyalty.MustQuantity(strconv.Itoa(rapid.IntRange(1, 1000).Draw(t, "quantity"))),
				Points: Points(rapid.Int64().Draw(t, "points")), Rate: rapid.IntRange(-1, 150).Draw(t, "rate"), Excluded: i%3 == 0}
			earn.Plan.Lines = append(earn.Plan.Lines, l)
			want += num(l.Quantity.Micros()) + num(int64(l.Points)) + num(int64(l.Rate))
			if l.Excluded {
				want += "x"
			}
		}
		if got := fingerprintEarn(&earn); got != sum(want) {
			t.Fatalf("earn fingerprint %s, want the SHA-256 of %.200q", got, want)
		}
		spend := SpendRequest{Key: earn.Key, Holder: h, Points: Points(rapid.Int64().Draw(t, "spend")),
			Acceptor: loyalty.PartnerID(text.Draw(t, "acceptor")), Reward: strings.Repeat("r", rapid.IntRange(0, 150).Draw(t, "reward"))}
		want = str("spend") + str(string(spend.Key)) + str(string(h.Kind)) + str(h.ID) + num(int64(spend.Points)) +
			str(string(spend.Acceptor)) + str(spend.Reward)
		if got := fingerprintSpend(&spend); got != sum(want) {
			t.Fatalf("spend fingerprint %s, want the SHA-256 of %.200q", got, want)
		}
	})
}

// fingerprintEarn and fingerprintSpend are the fingerprints of earn and spend requests as
// stores keep them, in hex.
func fingerprintEarn(r *EarnRequest) string {
	s := sumEarn(r)
	return hex.EncodeToString(s[:])
}

func fingerprintSpend(r *SpendRequest) string {
	s := sumSpend(r)
	return hex.EncodeToString(s[:])
}
