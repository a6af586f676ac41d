// Package transporttest puts a Kratos server transport into a context, so unit tests of
// middleware and handlers can set request headers and read reply headers without a
// server. It is the one fake transport of the repo; tests import it instead of writing
// their own.
package transporttest

import (
	"context"

	"github.com/go-kratos/kratos/v2/transport"
)

// Header is a transport.Header holding one value per key, keyed exactly as set.
type Header map[string]string

func (h Header) Get(k string) string      { return h[k] }
func (h Header) Set(k, v string)          { h[k] = v }
func (h Header) Add(k, v string)          { h[k] = v }
func (h Header) Keys() []string           { return nil }
func (h Header) Values(k string) []string { return []string{h[k]} }

// Server is the server side of one call: its kind, operation and headers.
type Server struct {
	kind      transport.Kind
	operation string
	// Request is what the caller sent; Reply collects what the handler answers.
	Request, Reply Header
}

// NewServer is a call of operation over kind carrying request (nil: no headers).
func NewServer(kind transport.Kind, operation string, request Header) *Server {
	if request == nil {
		request = Header{}
	}
	return &Server{kind: kind, operation: operation, Request: request, Reply: Header{}}
}

// Context is a background context whose server transport is s.
func (s *Server) Context() context.Context {
	return transport.NewServerContext(context.Background(), s)
}

func (s *Server) Kind() transport.Kind            { return s.kind }
func (s *Server) Endpoint() string                { return "" }
func (s *Server) Operation() string               { return s.operation }
func (s *Server) RequestHeader() transport.Header { return s.Request }
func (s *Server) ReplyHeader() transport.Header   { return s.Reply }

// HTTP is the context of an HTTP call of operation with request headers.
func HTTP(operation string, request Header) context.Context {
	return NewServer(transport.KindHTTP, operation, request).Context()
}

// GRPC is the context of a gRPC call of operation with request metadata.
func GRPC(operation string, request Header) context.Context {
	return NewServer(transport.KindGRPC, operation, request).Context()
}
