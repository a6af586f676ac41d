package driver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// RawAnswer is an answer to PostRaw: its status, headers and, for a non-2xx answer, the
// Kratos error body.
type RawAnswer struct {
	Status int
	Header http.Header
	Err    *Error
}

// PostRaw posts body exactly as given as application/json — for bodies Call cannot make
// (too large, not UTF-8, not JSON). A body of a known length (bytes.Reader and the like)
// is sent with its Content-Length, any other chunked.
func (p *Platform) PostRaw(ctx context.Context, url string, body io.Reader) (RawAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return RawAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return RawAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return RawAnswer{}, err
	}
	a := RawAnswer{Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode >= 300 {
		a.Err = &Error{Method: http.MethodPost, Path: req.URL.Path, Status: resp.StatusCode}
		if json.Unmarshal(raw, a.Err) != nil {
			a.Err.Message = string(raw)
		}
	}
	return a, nil
}
