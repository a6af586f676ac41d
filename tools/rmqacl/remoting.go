package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"time"
)

// RocketMQ remoting request codes (RequestCode) this tool sends, and the success code.
const (
	codeUpdateAndCreateTopic = 17
	codeCreateUser           = 3001
	codeUpdateUser           = 3002
	codeGetUser              = 3004
	codeCreateACL            = 3006
	codeSuccess              = 0
)

// header is a remoting command's header in the JSON serialization.
type header struct {
	Code      int               `json:"code"`
	Language  string            `json:"language"`
	Version   int               `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int               `json:"flag"`
	Remark    string            `json:"remark,omitempty"`
	ExtFields map[string]string `json:"extFields,omitempty"`
}

// session is one connection to the broker, every request signed as the super user the
// broker created from initAuthenticationUser.
type session struct {
	conn      net.Conn
	user, key string
	opaque    int32
}

func dial(addr, user, key string) (*session, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &session{conn: c, user: user, key: key}, nil
}

// sign adds AccessKey and Signature to ext the way the clients do: HMAC-SHA1 over the
// ext values in key order, then the body, base64.
func (s *session) sign(ext map[string]string, body []byte) {
	ext["AccessKey"] = s.user
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(s.key))
	for _, k := range keys {
		mac.Write([]byte(ext[k]))
	}
	mac.Write(body)
	ext["Signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// call sends one request and returns the response body; a response code other than
// success is an error carrying the broker's remark.
func (s *session) call(what string, code int, ext map[string]string, body []byte) ([]byte, error) {
	if ext == nil {
		ext = map[string]string{}
	}
	s.sign(ext, body)
	s.opaque++
	h, err := json.Marshal(header{Code: code, Language: "GO", Version: 500, Opaque: s.opaque, ExtFields: ext})
	if err != nil {
		return nil, err
	}
	// Frame: total length, then the header length (top byte 0: JSON), header, body.
	frame := make([]byte, 8, 8+len(h)+len(body))
	binary.BigEndian.PutUint32(frame[0:4], uint32(4+len(h)+len(body)))
	binary.BigEndian.PutUint32(frame[4:8], uint32(len(h)))
	frame = append(append(frame, h...), body...)
	if err := s.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := s.conn.Write(frame); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var lens [8]byte
	if _, err := io.ReadFull(s.conn, lens[:]); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	total, hlen := binary.BigEndian.Uint32(lens[0:4]), binary.BigEndian.Uint32(lens[4:8])&0xFFFFFF
	if total < 4+hlen {
		return nil, fmt.Errorf("%s: malformed response frame", what)
	}
	rest := make([]byte, total-4)
	if _, err := io.ReadFull(s.conn, rest); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var rh header
	if err := json.Unmarshal(rest[:hlen], &rh); err != nil {
		return nil, fmt.Errorf("%s: response header: %w", what, err)
	}
	if rh.Code != codeSuccess {
		return nil, fmt.Errorf("%s: broker answered code %d: %s", what, rh.Code, rh.Remark)
	}
	return rest[hlen:], nil
}
