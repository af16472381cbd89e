package ui

import (
	"encoding/json"
	"fmt"
	gosync "sync"

	"github.com/yongji-county/checkpoint/assets"
)

// Languages the kiosk speaks. Chinese is the default; staff may switch on the login screen.
const (
	LangZH = "zh"
	LangEN = "en"
)

// catalogue holds the UI strings of every language. It is read once from assets.I18N.
type catalogue struct {
	mu    gosync.RWMutex
	lang  string
	texts map[string]map[string]string
}

func loadCatalogue(lang string) (*catalogue, error) {
	c := &catalogue{lang: lang, texts: map[string]map[string]string{}}
	for _, l := range []string{LangZH, LangEN} {
		b, err := assets.I18N.ReadFile("i18n/" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("ui: read strings %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("ui: parse strings %s: %w", l, err)
		}
		c.texts[l] = m
	}
	if _, ok := c.texts[lang]; !ok {
		c.lang = LangZH
	}
	return c, nil
}

// T returns the text for key in the current language, formatted with args. A key missing in
// English falls back to Chinese; a key missing everywhere shows itself, so a gap is visible.
func (c *catalogue) T(key string, args ...any) string {
	c.mu.RLock()
	s, ok := c.texts[c.lang][key]
	if !ok {
		s, ok = c.texts[LangZH][key]
	}
	c.mu.RUnlock()
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func (c *catalogue) Lang() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lang
}

func (c *catalogue) SetLang(l string) {
	if _, ok := c.texts[l]; !ok {
		return
	}
	c.mu.Lock()
	c.lang = l
	c.mu.Unlock()
}
