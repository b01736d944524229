// Package suggest finds the closest known name to a mistyped one, so that every "unknown X"
// answer can say what the user probably meant.
package suggest

import "strings"

// Closest returns the candidate nearest to s by edit distance (ignoring case), or "" when none
// is near enough to be a typo of s.
func Closest(s string, candidates []string) string {
	best, bestD := "", len([]rune(s))/2+2
	for _, c := range candidates {
		if d := Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance. Inputs over 64 runes are not compared in detail (a typo
// is short); their distance is the longer length.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb))
	}
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
