// Command rmqacl makes a RocketMQ 5 broker's ACL 2.0 users, their permissions and the
// platform's topics match a JSON spec, signed as the broker's super user; every step is
// an upsert, so it runs after every broker start. The spec holds passwords: it is read
// from a file (mode 0600 in the run directory), never from the command line, and nothing
// secret is printed.
//
//	rmqacl -broker 127.0.0.1:10911 -namesrv 127.0.0.1:9876 -spec <file>
//
// The super user comes from RMQ_ADMIN_USER and RMQ_ADMIN_SECRET. With -namesrv it then
// waits (up to 60 s) until the name server routes every topic of the spec: a broker
// registers with the name server some seconds after "boot success", and clients started
// before that find no route.
//
// Spec: {"users":[{"username":"u","password":"p","acl":[{"resource":"Topic:T","actions":["Pub"]}]}],
// "topics":[{"name":"T","queues":4}]}. A resource is Topic:<name> or Group:<name>; a
// trailing * makes it a prefix. Actions: Pub, Sub, Create, Update, Delete, Get, List, All.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type spec struct {
	Users  []user  `json:"users"`
	Topics []topic `json:"topics"`
}

type user struct {
	Username string  `json:"username"`
	Password string  `json:"password"`
	ACL      []grant `json:"acl"`
}

type grant struct {
	Resource string   `json:"resource"`
	Actions  []string `json:"actions"`
	Decision string   `json:"decision,omitempty"` // Allow (default) or Deny
}

type topic struct {
	Name   string `json:"name"`
	Queues int    `json:"queues"`
}

func main() {
	broker := flag.String("broker", "127.0.0.1:10911", "broker address")
	file := flag.String("spec", "", "JSON spec of users, permissions and topics")
	namesrv := flag.String("namesrv", "", "name server to wait for the topics' routes on (optional)")
	flag.Parse()
	err := run(*broker, *file, os.Getenv("RMQ_ADMIN_USER"), os.Getenv("RMQ_ADMIN_SECRET"))
	if err == nil && *namesrv != "" {
		err = waitRoutes(*namesrv, os.Getenv("RMQ_ADMIN_USER"), os.Getenv("RMQ_ADMIN_SECRET"), *file)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rmqacl: %v\n", err)
		os.Exit(1)
	}
}

func readSpec(file string) (spec, error) {
	var sp spec
	raw, err := os.ReadFile(file)
	if err != nil {
		return sp, err
	}
	if err := json.Unmarshal(raw, &sp); err != nil {
		return sp, fmt.Errorf("spec %s: %w", file, err)
	}
	return sp, nil
}

func run(broker, file, adminUser, adminSecret string) error {
	if adminUser == "" || adminSecret == "" {
		return fmt.Errorf("RMQ_ADMIN_USER and RMQ_ADMIN_SECRET must be set")
	}
	sp, err := readSpec(file)
	if err != nil {
		return err
	}
	t0 := time.Now()
	s, err := dial(broker, adminUser, adminSecret)
	if err != nil {
		return err
	}
	defer s.conn.Close()
	for _, u := range sp.Users {
		if err := s.ensureUser(u); err != nil {
			return err
		}
		if err := s.ensureACL(u); err != nil {
			return err
		}
	}
	for _, t := range sp.Topics {
		if err := s.ensureTopic(t); err != nil {
			return err
		}
	}
	fmt.Printf("rmqacl: %d users, %d topics in %v\n", len(sp.Users), len(sp.Topics), time.Since(t0).Round(time.Millisecond))
	return nil
}

// ensureUser creates u, or sets its password when it differs.
func (s *session) ensureUser(u user) error {
	info, err := json.Marshal(map[string]string{"username": u.Username, "password": u.Password, "userType": "Normal"})
	if err != nil {
		return err
	}
	ext := func() map[string]string { return map[string]string{"username": u.Username} }
	cur, err := s.call("get user "+u.Username, codeGetUser, ext(), nil)
	if err != nil {
		return err
	}
	if len(cur) == 0 {
		_, err = s.call("create user "+u.Username, codeCreateUser, ext(), info)
		return err
	}
	var existing struct{ Password string }
	if json.Unmarshal(cur, &existing) == nil && existing.Password == u.Password {
		return nil
	}
	_, err = s.call("update user "+u.Username, codeUpdateUser, ext(), info)
	return err
}

// ensureACL writes u's grants; the broker merges by resource, replacing that resource's
// actions, so the call is an upsert.
func (s *session) ensureACL(u user) error {
	if len(u.ACL) == 0 {
		return nil
	}
	entries := make([]grant, len(u.ACL))
	var shown []string
	for i, g := range u.ACL {
		if g.Decision == "" {
			g.Decision = "Allow"
		}
		entries[i] = g
		shown = append(shown, g.Resource+"="+strings.Join(g.Actions, "|"))
	}
	subject := "User:" + u.Username
	body, err := json.Marshal(map[string]any{"subject": subject,
		"policies": []any{map[string]any{"policyType": "Custom", "entries": entries}}})
	if err != nil {
		return err
	}
	if _, err := s.call("acl of "+u.Username, codeCreateACL, map[string]string{"subject": subject}, body); err != nil {
		return err
	}
	fmt.Printf("rmqacl: %s: %s\n", subject, strings.Join(shown, " "))
	return nil
}

// ensureTopic creates t, or sets its queue counts.
func (s *session) ensureTopic(t topic) error {
	q := strconv.Itoa(max(t.Queues, 1))
	_, err := s.call("topic "+t.Name, codeUpdateAndCreateTopic, map[string]string{
		"topic": t.Name, "defaultTopic": "TBW102", "readQueueNums": q, "writeQueueNums": q,
		"perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}, nil)
	return err
}

// codeGetRouteInfo asks the name server for a topic's route (any other answer than
// success means it has none yet).
const codeGetRouteInfo = 105

// waitRoutes polls the name server until it routes every topic of the spec.
func waitRoutes(namesrv, user, secret, file string) error {
	sp, err := readSpec(file)
	if err != nil {
		return err
	}
	t0, deadline := time.Now(), time.Now().Add(60*time.Second)
	for _, t := range sp.Topics {
		for {
			err := routed(namesrv, user, secret, t.Name)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("name server %s: no route to %s after 60s: %w", namesrv, t.Name, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	fmt.Printf("rmqacl: name server routes all %d topics (%v)\n", len(sp.Topics), time.Since(t0).Round(time.Millisecond))
	return nil
}

func routed(namesrv, user, secret, topic string) error {
	s, err := dial(namesrv, user, secret)
	if err != nil {
		return err
	}
	defer s.conn.Close()
	_, err = s.call("route of "+topic, codeGetRouteInfo, map[string]string{"topic": topic}, nil)
	return err
}
