//go:build race

package sqlstore

func init() { promoRaceEnabled = true }
