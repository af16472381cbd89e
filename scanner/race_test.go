//go:build race

package scanner

// raceEnabled: the corpus tests take minutes under the race detector; their floors are checked
// in the runs without it.
const raceEnabled = true
