package servers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Limits every HTTP endpoint keeps (API.md "Limits every endpoint keeps").
const (
	// MaxBodyBytes is the largest request body any endpoint reads.
	MaxBodyBytes = 1 << 20
	// ReadHeaderTimeout bounds how long a client may take to send its headers, so a
	// slow client cannot hold a connection open forever (slowloris).
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request; 1 MiB arrives well within it.
	ReadTimeout = 30 * time.Second
	// IdleTimeout closes keep-alive connections nobody uses.
	IdleTimeout = 2 * time.Minute
	// DefaultMaxInFlight is how many requests one HTTP server handles at once before it
	// refuses more with 503. The registration load test keeps well under 100 in flight
	// per service; the cap is for floods, where queueing only turns into timeouts.
	DefaultMaxInFlight = 512
)

// Reasons of the errors the limits answer with (Kratos error body).
const (
	ReasonBodyTooLarge = "BODY_TOO_LARGE"
	ReasonInvalidBody  = "INVALID_BODY"
	ReasonOverloaded   = "OVERLOADED"
)

// errBodyTooLarge is answered both for a declared Content-Length over the limit and for
// a body that turns out longer while it is read.
func errBodyTooLarge() error {
	return kerrors.New(nethttp.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
		fmt.Sprintf("body: larger than %d bytes", MaxBodyBytes))
}

// limitBody refuses a body declared over MaxBodyBytes before anything reads it, and caps
// every other body (chunked, or lying about its length) at MaxBodyBytes while it is read.
// It wraps the whole server, so the plain net/http handlers get the cap too.
func limitBody(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.ContentLength > MaxBodyBytes {
			// Close: the client may still be sending a body nobody will read.
			w.Header().Set("Connection", "close")
			http.DefaultErrorEncoder(w, r, errBodyTooLarge())
			return
		}
		if r.Body != nil && r.Body != nethttp.NoBody {
			r.Body = nethttp.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// decodeBody is Kratos' request-body decoder with the API's answers: 413 for a body over
// the limit and 400 INVALID_BODY for a body that is not UTF-8 or not what the codec of
// its Content-Type accepts, so no client input ends as a 500.
func decodeBody(r *nethttp.Request, v any) error {
	codec, ok := http.CodecForRequest(r, "Content-Type")
	if !ok {
		return kerrors.BadRequest(ReasonInvalidBody,
			fmt.Sprintf("Content-Type: %q is not supported", r.Header.Get("Content-Type")))
	}
	data, err := io.ReadAll(r.Body)
	// Later readers (signature checks, logging) see the same bytes.
	r.Body = io.NopCloser(bytes.NewReader(data))
	var tooLarge *nethttp.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errBodyTooLarge()
	case err != nil:
		return kerrors.BadRequest(ReasonInvalidBody, "body: "+err.Error())
	case len(data) == 0:
		return nil
	case !utf8.Valid(data):
		return kerrors.BadRequest(ReasonInvalidBody, "body: not valid UTF-8")
	}
	if err := codec.Unmarshal(data, v); err != nil {
		e := kerrors.BadRequest(ReasonInvalidBody, fmt.Sprintf("body: not valid %s: %v", codec.Name(), err))
		if f := fieldInDecodeError.FindStringSubmatch(err.Error()); f != nil {
			// Named as validation errors name it (the API's lowerCamelCase JSON name).
			e = e.WithMetadata(map[string]string{"field": f[1]})
		}
		return e
	}
	return nil
}

// fieldInDecodeError finds the field protojson names when a value has the wrong type or a
// field comes twice ("invalid value for string field amount: 12", `duplicate field
// "amount"`). Its messages are not an API: when they change, the answer is still the
// same 400, only without metadata.field.
var fieldInDecodeError = regexp.MustCompile(`(?:invalid value for \w+ field |duplicate field "?)([A-Za-z_][A-Za-z0-9_]*)`)

// limitInFlight answers 503 OVERLOADED at once when max requests are already being
// handled, instead of letting a flood queue until every request times out. Health
// checks are exempt so an orchestrator does not kill a busy but healthy instance, and so
// is the metrics scrape, which is most needed when the service is busiest.
func limitInFlight(max int) http.FilterFunc {
	slots := make(chan struct{}, max)
	return func(next nethttp.Handler) nethttp.Handler {
		return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if r.URL.Path == "/healthz" || r.URL.Path == telemetry.MetricsPath {
				next.ServeHTTP(w, r)
				return
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				next.ServeHTTP(w, r)
			default:
				w.Header().Set("Retry-After", strconv.Itoa(1))
				http.DefaultErrorEncoder(w, r, kerrors.New(nethttp.StatusServiceUnavailable, ReasonOverloaded,
					fmt.Sprintf("server: more than %d requests in flight, retry later", max)))
			}
		})
	}
}
