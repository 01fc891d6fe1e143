// Package suggest finds the word that a mistyped one was probably meant to be, for "did you mean" hints.
package suggest

import "strings"

// Closest returns the candidate closest to s when it is close enough to be a typo of it, else "". Case is
// ignored; a longer word may differ by more edits.
func Closest(s string, candidates []string) string {
	best, bestDistance := "", 1<<30
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	// A word whose every letter would change is no typo of it ("42" is not "ad").
	if bestDistance <= limit && bestDistance < len([]rune(s)) {
		return best
	}
	return ""
}

// distance is the Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
