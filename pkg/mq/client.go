package mq

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"time"
)

// Shutdowner is a started RocketMQ producer or consumer.
type Shutdowner interface{ Shutdown() error }

// Started holds the client a Kratos server started, so its Stop, its /healthz check and
// its callers agree on whether it runs. The zero value holds nothing.
type Started[T Shutdowner] struct {
	mu      sync.Mutex
	client  T
	running bool
}

// Set records the started client.
func (s *Started[T]) Set(c T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client, s.running = c, true
}

// Get returns the client and whether one is running.
func (s *Started[T]) Get() (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client, s.running
}

// Shutdown takes the client out and shuts it down; without one it does nothing.
func (s *Started[T]) Shutdown() error {
	s.mu.Lock()
	c, running := s.client, s.running
	var zero T
	s.client, s.running = zero, false
	s.mu.Unlock()
	if !running {
		return nil
	}
	return c.Shutdown()
}

// Ready fails with "<what> not started" until Set.
func (s *Started[T]) Ready(what string) error {
	if _, ok := s.Get(); !ok {
		return errors.New(what + " not started")
	}
	return nil
}

// InstanceName is unique per client and process. rocketmq-client-go routes check-backs
// by client id (IP and instance name): two clients sharing one drop each other's.
func InstanceName(service string) string {
	return service + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}
