package users

import (
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
)

func httpClient() http.Client { return http.Client{Timeout: 10 * time.Second} }

func pageSizeOf(n int) int { return paging.Size(n) }

// offsetToken and offsetCursor page through lists computed in memory.
func offsetToken(kind string, offset int) string { return paging.Token(kind, strconv.Itoa(offset)) }

func offsetCursor(kind, token string) (int, error) {
	key, ok, err := paging.Cursor(kind, token)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.Atoi(key)
	if err != nil || n < 0 {
		return 0, errs.Invalid("page_token", "is not a page token of this list; start again without one")
	}
	return n, nil
}
