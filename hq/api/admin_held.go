package api

import (
	"errors"
	"net/http"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
)

// handleListHeld lists the records HQ holds without having accepted them, hq.HeldPage at a
// time (?after=ID for the next page).
func (a *API) handleListHeld(w http.ResponseWriter, r *http.Request) {
	held, err := a.core.Held(r.Context(), r.URL.Query().Get("after"))
	if errors.Is(err, hq.ErrBadCursor) {
		httpx.WriteError(w, http.StatusBadRequest, "bad_query", "after 参数过长 / after is too long")
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, held)
}
