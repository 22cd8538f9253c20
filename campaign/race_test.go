//go:build race

package campaign_test

// raceEnabled tells that the tests run under the race detector, whose sync.Pool drops
// pooled items at random (allocation counts are then not exact).
const raceEnabled = true
