package users

import (
	"strings"
	"unicode"
)

// productNames are context words no password may contain.
var productNames = []string{"switchboard"}

// commonPasswords are passwords that appear at the top of every breach
// list. A password equal to one of these (ignoring case and a trailing run
// of digits or punctuation) is refused by the strength check.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`password passw0rd p@ssw0rd p@ssword letmein welcome admin administrator
		root toor qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm iloveyou monkey dragon master login princess
		sunshine football baseball shadow superman batman trustno1 starwars whatever freedom hello
		secret changeme default guest abc123 test tester testing operator cisco meeting video conference
		user access passpass mustang michael jennifer hunter ranger buster soccer hockey killer charlie
		summer winter spring autumn computer internet letmein1 pokemon cheese flower tigger ninja jordan`) {
		commonPasswords[p] = true
	}
}

// keyboardRows are sequences that "sequential" passwords walk along.
var keyboardRows = []string{
	"abcdefghijklmnopqrstuvwxyz", "0123456789", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
	"qwertzuiop", "azertyuiop", "1qaz2wsx3edc", "!@#$%^&*()",
}

// strengthViolations returns why password is weak, one description per
// broken rule, checking: a common password or a single dictionary word,
// a repeated pattern, a sequence, and context words (the username, the
// user's names, the product name).
func strengthViolations(password string, dict map[string]bool, context ...string) []string {
	var out []string
	lower := strings.ToLower(strings.TrimSpace(password))
	core := strings.TrimRightFunc(lower, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	if commonPasswords[lower] || commonPasswords[core] || dict[lower] || (core != "" && dict[core]) {
		out = append(out, "is a commonly used password or a single dictionary word")
	}
	if repetitive(lower) {
		out = append(out, "repeats a character or a short pattern")
	}
	if sequential(lower) {
		out = append(out, "is a sequence of letters, digits or keyboard keys")
	}
	for _, c := range append(context, productNames...) {
		c = strings.ToLower(strings.TrimSpace(c))
		if len([]rune(c)) >= 3 && strings.Contains(lower, c) {
			out = append(out, "contains the username, your name or the product name")
			break
		}
	}
	return out
}

// repetitive reports whether s is one short unit repeated: "aaaaaa",
// "abab", "abcabcabc", "123123".
func repetitive(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return false
	}
	for unit := 1; unit <= len(r)/2 && unit <= 4; unit++ {
		if len(r)%unit != 0 && unit > 1 {
			continue
		}
		ok := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i%unit] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// sequential reports whether s (at least 4 characters) is a run of
// consecutive code points up or down ("abcd", "4321"), or a stretch of a
// keyboard row or the alphabet, forwards or backwards.
func sequential(s string) bool {
	r := []rune(s)
	if len(r) < 4 {
		return false
	}
	up, down := true, true
	for i := 1; i < len(r); i++ {
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	if up || down {
		return true
	}
	rev := reverse(s)
	for _, row := range keyboardRows {
		if strings.Contains(row, s) || strings.Contains(row, rev) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
