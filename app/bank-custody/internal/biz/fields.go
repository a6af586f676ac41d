package biz

import "github.com/p2p-dtx/p2p-dtx/pkg/money"

// The checks of the fields several orders share, one way each. An order's Validate
// returns the first that fails (cmp.Or), in the order of its fields.

func validRequestNo(no string) error { return validNumber("requestNo", no) }

// validNumber checks a number the platform gives a request, a project or a freeze.
func validNumber(field, no string) error {
	if !isToken(no, 1, 64) {
		return &ValidationError{field, "required: 1 to 64 letters, digits, '-' or '_'"}
	}
	return nil
}

// validProjectNo checks the project an order names (registration checks the letters too).
func validProjectNo(no string) error {
	if no == "" || len(no) > 64 {
		return &ValidationError{"projectNo", "required, at most 64 characters"}
	}
	return nil
}

// validUserNo checks a bank user number an order names in field.
func validUserNo(field, no string) error {
	if no == "" || len(no) > 32 {
		return &ValidationError{field, "required, at most 32 characters"}
	}
	return nil
}

// positiveAmount checks the amount an order moves.
func positiveAmount(a money.Amount) error {
	if !a.IsPositive() {
		return &ValidationError{"amount", "must be more than 0.00"}
	}
	return nil
}

func isDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// isToken: letters, digits, '-' and '_' — what request, project and user numbers use.
func isToken(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
