package users

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed" // the built-in word list
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/passphrasedictionary"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// MaxDictionaryBytes is the largest dictionary upload: 10 MiB (AU-25,
// SPEC §12 A2).
const MaxDictionaryBytes = 10 << 20

// maxWordBytes bounds one dictionary word, so that a file of one huge line
// cannot make passphrases megabytes long.
const maxWordBytes = 256

// builtinWords is the built-in English list used until an administrator
// uploads one: common, short, unambiguous words written for Switchboard.
//
//go:embed words.txt
var builtinWords []byte

// Dictionary errors name the broken rule; each is a field violation on
// "content" with its own description (AU-25).
var (
	errDictionaryTooLarge = errs.Invalid("content", "the dictionary is larger than 10 MiB (10485760 bytes)")
	errDictionaryUTF8     = errs.Invalid("content", "the dictionary is not valid UTF-8 text")
	errDictionaryNUL      = errs.Invalid("content", "the dictionary contains a NUL character")
	errDictionaryEmpty    = errs.Invalid("content", "the dictionary has no words")
	errDictionaryLongWord = errs.Invalid("content", "a line of the dictionary is longer than 256 bytes")
	errDictionaryControl  = errs.Invalid("content", "a word of the dictionary contains a control character")
)

// ParseDictionary checks an uploaded word list and returns its distinct
// words in file order: one word per line (LF or CRLF), surrounding
// whitespace trimmed, empty lines ignored, duplicates kept once (AU-28).
func ParseDictionary(content []byte) ([]string, error) {
	switch {
	case len(content) > MaxDictionaryBytes:
		return nil, errDictionaryTooLarge
	case bytes.IndexByte(content, 0) >= 0:
		return nil, errDictionaryNUL
	case !utf8.Valid(content):
		return nil, errDictionaryUTF8
	}
	content = bytes.TrimPrefix(content, []byte("\uFEFF")) // a byte-order mark is not a word
	// LF, CRLF and a lone CR all end a line.
	text := strings.ReplaceAll(strings.ReplaceAll(string(content), "\r\n", "\n"), "\r", "\n")
	seen := map[string]bool{}
	var words []string
	for line := range strings.Lines(text) {
		w := strings.TrimSpace(line)
		if w == "" || seen[w] {
			continue
		}
		if len(w) > maxWordBytes {
			return nil, errDictionaryLongWord
		}
		if strings.IndexFunc(w, unicode.IsControl) >= 0 {
			return nil, errDictionaryControl
		}
		seen[w] = true
		words = append(words, w)
	}
	if len(words) == 0 {
		return nil, errDictionaryEmpty
	}
	return words, nil
}

// DictionaryInfo describes the word list in use.
type DictionaryInfo struct {
	WordCount  int
	SHA256     string
	BuiltIn    bool
	UploadTime time.Time
	UploadedBy string
}

type dictionary struct {
	info  DictionaryInfo
	words []string
	set   map[string]bool // lower-cased, for the strength check
}

func newDictionary(words []string, info DictionaryInfo) *dictionary {
	d := &dictionary{info: info, words: words, set: make(map[string]bool, len(words))}
	for _, w := range words {
		d.set[strings.ToLower(w)] = true
	}
	d.info.WordCount = len(words)
	sum := sha256.Sum256([]byte(strings.Join(words, "\n")))
	d.info.SHA256 = hex.EncodeToString(sum[:])
	return d
}

var builtin = sync.OnceValue(func() *dictionary {
	words, err := ParseDictionary(builtinWords)
	if err != nil {
		panic("users: the built-in dictionary is broken: " + err.Error())
	}
	return newDictionary(words, DictionaryInfo{BuiltIn: true})
})

// dictionary returns the word list in use. The parsed upload is cached by
// its checksum, so that reading it costs one small query per use.
func (s *Service) dictionary(ctx context.Context) (*dictionary, error) {
	row, err := s.db.PassphraseDictionary.Query().
		Select(passphrasedictionary.FieldID, passphrasedictionary.FieldSha256).
		Order(ent.Desc(passphrasedictionary.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return builtin(), nil
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	s.mu.Lock()
	cached := s.dict
	s.mu.Unlock()
	if cached != nil && cached.info.SHA256 == row.Sha256 {
		return cached, nil
	}
	full, err := s.db.PassphraseDictionary.Get(ctx, row.ID)
	if err != nil {
		return nil, database.Translate(err)
	}
	words := strings.Split(full.Words, "\n")
	d := newDictionary(words, DictionaryInfo{UploadTime: full.CreateTime, UploadedBy: full.UploadedBy})
	s.mu.Lock()
	s.dict = d
	s.mu.Unlock()
	return d, nil
}

// Dictionary describes the word list in use.
func (s *Service) Dictionary(ctx context.Context) (DictionaryInfo, error) {
	d, err := s.dictionary(ctx)
	if err != nil {
		return DictionaryInfo{}, err
	}
	return d.info, nil
}

// UploadDictionary replaces the passphrase dictionary.
func (s *Service) UploadDictionary(ctx context.Context, content []byte, by *principal.Principal) (DictionaryInfo, error) {
	words, err := ParseDictionary(content)
	if err != nil {
		return DictionaryInfo{}, err
	}
	d := newDictionary(words, DictionaryInfo{UploadTime: s.now().UTC(), UploadedBy: by.Username})
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "passphrase dictionary sha256:" + d.info.SHA256[:16] })
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if _, err := tx.PassphraseDictionary.Delete().Exec(ctx); err != nil {
			return err
		}
		return tx.PassphraseDictionary.Create().SetWords(strings.Join(words, "\n")).SetWordCount(len(words)).
			SetSha256(d.info.SHA256).SetUploadedBy(by.Username).SetCreateTime(d.info.UploadTime).Exec(ctx)
	})
	if err != nil {
		return DictionaryInfo{}, database.Translate(err)
	}
	s.mu.Lock()
	s.dict = d
	s.mu.Unlock()
	return d.info, nil
}

// DeleteDictionary removes the uploaded dictionary; the built-in one is
// used again.
func (s *Service) DeleteDictionary(ctx context.Context) (DictionaryInfo, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "passphrase dictionary" })
	if _, err := s.db.PassphraseDictionary.Delete().Exec(ctx); err != nil {
		return DictionaryInfo{}, database.Translate(err)
	}
	return builtin().info, nil
}

// SuggestPassphrase returns the configured number of words drawn uniformly
// with a cryptographically secure source, joined by single spaces (AU-27).
func (s *Service) SuggestPassphrase(ctx context.Context) (string, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return "", err
	}
	if !pol.Generator.Enabled {
		return "", errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"the passphrase generator is off; an administrator can turn it on in the security policy")
	}
	d, err := s.dictionary(ctx)
	if err != nil {
		return "", err
	}
	return generate(d.words, pol.Generator.WordCount)
}

func generate(words []string, n int) (string, error) {
	out := make([]string, n)
	max := big.NewInt(int64(len(words)))
	for i := range out {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = words[k.Int64()]
	}
	return strings.Join(out, " "), nil
}
