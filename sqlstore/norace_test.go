//go:build !race

package sqlstore

// raceEnabled tells that the tests run under the race detector.
const raceEnabled = false
