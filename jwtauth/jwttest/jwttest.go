// Package jwttest makes the keys, tokens and key sets tests of user
// tokens need.
package jwttest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Signer signs test tokens with one key.
type Signer struct {
	Alg jwa.SignatureAlgorithm
	key jwk.Key
}

// NewSigner makes a key of the algorithm, with its kid (none for HS256,
// whose key is secret).
func NewSigner(t testing.TB, alg jwa.SignatureAlgorithm, kid string, secret []byte) Signer {
	t.Helper()
	var raw any
	switch alg {
	case jwa.HS256():
		raw = secret
	case jwa.RS256():
		raw, _ = rsa.GenerateKey(rand.Reader, 2048)
	case jwa.ES256():
		raw, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwa.EdDSA():
		_, raw, _ = ed25519.GenerateKey(rand.Reader)
	}
	key, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		key.Set(jwk.KeyIDKey, kid)
	}
	return Signer{alg, key}
}

// Public returns the signer's public key, for a JWKS.
func (s Signer) Public(t testing.TB) jwk.Key {
	t.Helper()
	pub, err := s.key.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// Sign returns a token with the claims (iss, aud, sub, exp, …).
func (s Signer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := jwt.Sign(tok, jwt.WithKey(s.Alg, s.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Claims are a valid token's claims for the issuer, audience and user,
// changed by the name and value pairs given (a nil value removes a claim).
func Claims(iss, aud, sub string, now time.Time, change ...any) map[string]any {
	c := map[string]any{"iss": iss, "aud": aud, "sub": sub, "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
	for i := 0; i+1 < len(change); i += 2 {
		if change[i+1] == nil {
			delete(c, change[i].(string))
		} else {
			c[change[i].(string)] = change[i+1]
		}
	}
	return c
}

// WriteJWKS writes the public keys of the signers as a JWKS file.
func WriteJWKS(t testing.TB, signers ...Signer) string {
	t.Helper()
	set := jwk.NewSet()
	for _, s := range signers {
		set.AddKey(s.Public(t))
	}
	b, _ := json.Marshal(set)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
