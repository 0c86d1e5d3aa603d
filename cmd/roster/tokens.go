package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/jwtauth"
)

// tokens returns the verifier of the users' tokens the flags configure, or
// nil when they configure none.
func (c *Config) tokens(ctx context.Context) (roster.TokenVerifier, error) {
	if c.JWTIssuer == "" && c.JWTAudience == "" && c.JWTHS256SecretFile == "" && c.JWTJWKS == "" {
		return nil, nil
	}
	opt := jwtauth.Options{Issuer: c.JWTIssuer, Audience: c.JWTAudience, JWKS: c.JWTJWKS, CommunityClaim: c.JWTCommunityClaim}
	if c.JWTHS256SecretFile != "" {
		b, err := os.ReadFile(c.JWTHS256SecretFile)
		if err != nil {
			return nil, fmt.Errorf("--jwt-hs256-secret-file: %w", err)
		}
		opt.HS256Secret = []byte(strings.TrimSpace(string(b)))
	}
	v, err := jwtauth.New(ctx, opt)
	if err != nil {
		return nil, err
	}
	return v, nil
}
