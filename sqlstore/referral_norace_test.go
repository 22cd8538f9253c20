//go:build !race

package sqlstore

// refRace tells that the race detector is on.
const refRace = false
