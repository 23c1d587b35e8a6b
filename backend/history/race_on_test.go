//go:build race

package history

const raceOn = true
