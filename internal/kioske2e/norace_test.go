//go:build gocv && !race

package kioske2e

const raceEnabled = false
