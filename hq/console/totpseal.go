package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// TOTP secrets are kept sealed in operators.totp_secret: AES-256-GCM under the setting
// operator_totp_key (made on first use, first writer wins, like citizen_data_key), the
// operator's name as associated data, so a sealed secret copied to another operator does not
// open. A stored value without the prefix is a plain secret of an older HQ: it is used once and
// sealed in its place.
const (
	setTOTPKey  = "operator_totp_key"
	sealedTOTP  = "sealed1:"
	maxSealedLn = 512
)

func totpAD(name string) []byte { return []byte("checkpoint/console/totp/v1\x00" + name) }

// aead returns the cipher of operator_totp_key, reading (or making) the key once.
func (a *accounts) aead(ctx context.Context) (cipher.AEAD, error) {
	a.keyMu.Lock()
	defer a.keyMu.Unlock()
	if a.gcm != nil {
		return a.gcm, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	v, err := a.db.InitSetting(ctx, setTOTPKey, base64.StdEncoding.EncodeToString(fresh))
	if err != nil {
		return nil, fmt.Errorf("console: totp key: %w", err)
	}
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("console: setting %s is not a base64 32-byte key", setTOTPKey)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	a.gcm = g
	return g, nil
}

// sealTOTP returns what operators.totp_secret keeps for name's secret.
func (a *accounts) sealTOTP(ctx context.Context, name, secret string) (string, error) {
	g, err := a.aead(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedTOTP + base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(secret), totpAD(name))), nil
}

// openTOTP returns the base32 secret of a stored value; plain says it was stored unsealed.
func (a *accounts) openTOTP(ctx context.Context, name, stored string) (secret string, plain bool, err error) {
	if stored == "" {
		return "", false, nil
	}
	if !strings.HasPrefix(stored, sealedTOTP) {
		return stored, true, nil
	}
	if len(stored) > maxSealedLn {
		return "", false, errors.New("console: sealed TOTP secret malformed")
	}
	g, err := a.aead(ctx)
	if err != nil {
		return "", false, err
	}
	b, err := base64.StdEncoding.DecodeString(stored[len(sealedTOTP):])
	if err != nil || len(b) < g.NonceSize() {
		return "", false, errors.New("console: sealed TOTP secret malformed")
	}
	ns := g.NonceSize()
	out, err := g.Open(nil, b[:ns], b[ns:], totpAD(name))
	if err != nil {
		return "", false, errors.New("console: sealed TOTP secret does not open")
	}
	return string(out), false, nil
}

// migrateTOTP seals a plain stored secret in place (only if it is still the stored value).
func (a *accounts) migrateTOTP(ctx context.Context, name, stored, secret string) error {
	s, err := a.sealTOTP(ctx, name, secret)
	if err != nil {
		return err
	}
	return a.db.ReplaceOperatorTOTPSecret(ctx, name, stored, s, a.now())
}
