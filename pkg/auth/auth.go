// Package auth issues and checks the platform's bearer tokens: HS256 JWTs carrying the
// login account's id and role, signed with a secret shared by the platform's services.
package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	kjwt "github.com/go-kratos/kratos/v2/middleware/auth/jwt"
	"github.com/golang-jwt/jwt/v5"
)

// Roles of a login account.
const (
	RoleBorrower = "BORROWER"
	RoleInvestor = "INVESTOR"
	RoleAdmin    = "ADMIN"
)

// Claims is what a token asserts.
type Claims struct {
	UserID int64  `json:"uid"`
	Role   string `json:"role"`
	jwt.RegisteredClaims
}

// Issuer signs tokens.
type Issuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewIssuer refuses an empty or short secret: a guessable key would let anyone mint an
// ADMIN token.
func NewIssuer(secret string, ttl time.Duration) (*Issuer, error) {
	if len(secret) < 32 {
		return nil, errors.New("auth: token secret must be at least 32 characters")
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return &Issuer{secret: []byte(secret), ttl: ttl, now: time.Now}, nil
}

// Issue returns a signed token for the account and when it expires.
func (i *Issuer) Issue(userID int64, role string) (string, time.Time, error) {
	now := i.now()
	exp := now.Add(i.ttl)
	claims := Claims{
		UserID: userID,
		Role:   role,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   fmt.Sprint(userID),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(i.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, exp, nil
}

// Server is the Kratos middleware that rejects requests without a valid token (401) and
// puts the claims in the context for FromContext.
func Server(secret string) middleware.Middleware {
	key := []byte(secret)
	return kjwt.Server(
		func(*jwt.Token) (any, error) { return key, nil },
		kjwt.WithSigningMethod(jwt.SigningMethodHS256),
		kjwt.WithClaims(func() jwt.Claims { return &Claims{} }),
	)
}

// FromContext returns the caller's claims set by Server.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := kjwt.FromContext(ctx)
	if !ok {
		return nil, false
	}
	claims, ok := c.(*Claims)
	return claims, ok
}
