package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretsKey reads the key that seals secrets in the database, from
// --secrets-key-file, or from secrets.key in the data directory, which it
// makes (mode 0600) the first time.
func (c *Config) secretsKey() ([]byte, error) {
	path := c.SecretsKeyFile
	if path == "" {
		path = filepath.Join(c.DataDir, "secrets.key")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			key := make([]byte, 32)
			rand.Read(key)
			if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("making the secrets key %s: %w", path, err)
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the secrets key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("the secrets key %s must hold 32 bytes in base64 (made with: head -c 32 /dev/urandom | base64)", path)
	}
	return key, nil
}
