package sqlstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer seals the secrets the store must read back, such as the keys that
// sign webhooks: AES-256-GCM under the deployment's secrets key, so that
// the database alone, or a dump of it, holds none of them.
type sealer struct{ aead cipher.AEAD }

// newSealer returns a sealer under key, 32 bytes; under a random key, for
// one process alone, when key is nil.
func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("sqlstore: the secrets key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead}, nil
}

func (s *sealer) seal(secret string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(secret), nil))
}

var errSealedElsewhere = errors.New("a webhook secret was sealed with another secrets key: give every replica the same --secrets-key-file")

func (s *sealer) open(sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", errSealedElsewhere
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errSealedElsewhere
	}
	return string(plain), nil
}
