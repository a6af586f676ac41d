package data

import (
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/password"
)

// NewTokenIssuer signs tokens with the configured secret.
func NewTokenIssuer(c *conf.Bootstrap) (biz.TokenIssuer, error) {
	return auth.NewIssuer(c.GetAuth().GetTokenSecret(), c.GetAuth().GetTokenTtl().AsDuration())
}

// Bcrypt is the production PasswordHasher.
type Bcrypt struct{}

func (Bcrypt) Hash(plain string) (string, error) { return password.Hash(plain) }
func (Bcrypt) Matches(hash, plain string) bool   { return password.Matches(hash, plain) }
func (Bcrypt) IsHash(s string) bool              { return password.IsHash(s) }

// NewPasswordHasher returns bcrypt.
func NewPasswordHasher() biz.PasswordHasher { return Bcrypt{} }
