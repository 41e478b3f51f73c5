package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeyFileName is the name of the key file inside the data directory.
const KeyFileName = "secret.key"

// KeySize is the length of the key: AES-256.
const KeySize = 32

// version1 marks a value sealed with AES-256-GCM, a random 96-bit nonce and
// the key in the key file. A future key rotation adds a version, or a key
// id, after it.
const version1 byte = 1

// Errors from Open. Both mean the value cannot be trusted; neither says
// more, so that an attacker probing with forged values learns nothing.
var (
	// ErrMalformed means the value is too short or of an unknown version.
	ErrMalformed = errors.New("secrets: malformed sealed value")
	// ErrAuthentication means the value was altered, sealed under another
	// key, or opened with other associated data.
	ErrAuthentication = errors.New("secrets: sealed value failed authentication")
)

// Box seals and opens secrets under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	// The AEAD draws a fresh random nonce for every Seal and prepends it.
	// Random 96-bit nonces are safe for 2^32 values per key, far beyond
	// the number of secrets Switchboard stores.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// LoadOrCreate returns a Box for the key in <dataDir>/secret.key, creating
// dataDir (0700) and the key file (0600, 32 random bytes) when the file does
// not exist. It refuses an existing key file that is not a regular file, is
// readable or writable by group or others, or is not exactly 32 bytes long:
// each of those means the key may have leaked or been damaged, and silently
// making a new one would lose every secret sealed with the old one.
func LoadOrCreate(dataDir string) (*Box, error) {
	if dataDir == "" {
		return nil, errors.New("secrets: no data directory")
	}
	path := filepath.Join(dataDir, KeyFileName)
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(dataDir, path)
	}
	if err != nil {
		return nil, err
	}
	return New(key)
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("secrets: key file %s has mode %04o, so users other than its owner can read or change it; "+
			"if the key may have leaked, rotate the stored secrets, then run chmod 600 %s", path, perm, path)
	}
	// Read one byte more than a key, to notice a longer file without
	// reading all of it.
	key := make([]byte, KeySize+1)
	n, err := io.ReadFull(f, key)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	}
	switch {
	case n > KeySize:
		return nil, fmt.Errorf("secrets: key file %s is damaged: it must hold exactly %d bytes, it holds more", path, KeySize)
	case n < KeySize:
		return nil, fmt.Errorf("secrets: key file %s is damaged: it must hold exactly %d bytes, it holds %d", path, KeySize, n)
	}
	return key[:KeySize], nil
}

// createKey writes a new key to path atomically: the key is written to a
// temporary file which is then hard-linked into place, and linking fails if
// another process created the key first, in which case that key is used.
// Nobody can ever read a half-written key file.
func createKey(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: create data directory: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".secret.key.*")
	if err != nil {
		return nil, fmt.Errorf("secrets: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod makes it independent of that.
	err = errors.Join(tmp.Chmod(0o600), write(tmp, key), tmp.Sync(), tmp.Close())
	if err != nil {
		return nil, fmt.Errorf("secrets: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKey(path)
		}
		return nil, fmt.Errorf("secrets: create key file: %w", err)
	}
	return key, nil
}

func write(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

// Seal encrypts and authenticates plaintext, and authenticates
// associatedData, which is not stored: Open must be given the same bytes.
// The result is version byte ‖ nonce ‖ ciphertext ‖ tag, 29 bytes longer
// than plaintext, and differs on every call. The error is always nil today;
// it is there for key sources (a KMS, a rotation in progress) that can fail.
func (b *Box) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, 1, 1+b.aead.Overhead()+len(plaintext))
	out[0] = version1
	return b.aead.Seal(out, nil, plaintext, b.additional(version1, associatedData)), nil
}

// Open checks and decrypts a value made by Seal with the same key and
// associatedData. It returns ErrMalformed or ErrAuthentication, and never
// part of the plaintext, when that fails.
func (b *Box) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < 1+b.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrMalformed
	}
	plaintext, err := b.aead.Open(nil, nil, sealed[1:], b.additional(sealed[0], associatedData))
	if err != nil {
		return nil, ErrAuthentication
	}
	return plaintext, nil
}

// additional authenticates the version byte along with the caller's data,
// so that a value cannot be relabelled as another format.
func (b *Box) additional(version byte, associatedData []byte) []byte {
	return append([]byte{version}, associatedData...)
}

// SealString is Seal for text, returning unpadded URL-safe base64, which
// fits in a text column or a configuration file.
func (b *Box) SealString(plaintext, associatedData string) (string, error) {
	sealed, err := b.Seal([]byte(plaintext), []byte(associatedData))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenString opens a value made by SealString.
func (b *Box) OpenString(sealed, associatedData string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", ErrMalformed
	}
	plaintext, err := b.Open(raw, []byte(associatedData))
	if err != nil {
		return "", err
	}
	return string(plaintext), nil
}
