package dtmx

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// Branch credentials (README "Security model"). A DTM branch is a gRPC method anyone who
// reaches the port could call with hand-made dtm-* metadata. The initiator of every global
// transaction therefore puts a credential into the transaction's branch headers, which
// DTM sends with every branch call, retry and check-back (and the DTM client with the
// calls it makes itself): an HMAC-SHA256, under the platform's internal branch key, of the
// transaction type and gid. Participants serve their branch services only to calls whose
// credential matches the gid and type in the call's own metadata, so a transaction
// nobody with the key started reaches no branch.
//
// DTM sends the same headers for every branch and op of a transaction, so the credential
// cannot bind the op: what a Confirm may do is still bounded by the barrier (a Confirm
// finds only what its Try reserved) and by the payload, whose secret parts are sealed to
// the gid (Seal below) so that they cannot be chosen by whoever holds a credential.

// BranchKeyEnv holds the internal branch key: generated into .run/secrets.env by the
// local stack, into deploy/.env by compose. Every service that starts or serves a DTM
// transaction needs it; the bank does not.
const BranchKeyEnv = "P2P_BRANCH_KEY"

// MinBranchKey is the shortest branch key accepted, in bytes.
const MinBranchKey = 32

// CredentialHeader is the branch header that carries the credential.
const CredentialHeader = "p2p-branch-credential"

// ReasonCredential is the reason of the refusal a branch call without a valid credential
// gets (gRPC Unauthenticated; DTM retries it, so a misconfigured key shows up as a
// transaction that never finishes, never as one half done).
const ReasonCredential = "BRANCH_CREDENTIAL_REQUIRED"

// Metadata DTM's clients and server put on every branch call.
const (
	mdGID       = "dtm-gid"
	mdTransType = "dtm-trans_type"
)

// BranchKey signs and checks branch credentials and seals branch payload secrets. Its
// two subkeys are derived from the one secret with distinct labels, so a credential is
// never a usable encryption key or the reverse.
type BranchKey struct {
	mac  []byte
	aead cipher.AEAD
}

// BranchKeyFromEnv reads BranchKeyEnv, refusing a missing or short key with one line that
// names the variable: a service that runs DTM transactions does not start without it.
func BranchKeyFromEnv() (*BranchKey, error) {
	return NewBranchKey(os.Getenv(BranchKeyEnv))
}

// NewBranchKey derives the key's subkeys from secret.
func NewBranchKey(secret string) (*BranchKey, error) {
	if secret == "" {
		return nil, fmt.Errorf("%s: not set (the internal DTM branch key; the local stack generates it into .run/secrets.env)", BranchKeyEnv)
	}
	if len(secret) < MinBranchKey {
		return nil, fmt.Errorf("%s: %d bytes, need at least %d", BranchKeyEnv, len(secret), MinBranchKey)
	}
	block, err := aes.NewCipher(derive(secret, "p2p-dtx dtm payload seal v1"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BranchKeyEnv, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BranchKeyEnv, err)
	}
	return &BranchKey{mac: derive(secret, "p2p-dtx dtm branch credential v1"), aead: aead}, nil
}

func derive(secret, label string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(label))
	return h.Sum(nil)
}

// Credential is the credential of the transaction gid of type transType ("tcc", "xa",
// "msg", ...).
func (k *BranchKey) Credential(transType, gid string) string {
	h := hmac.New(sha256.New, k.mac)
	h.Write([]byte(transType + "\n" + gid))
	return "v1." + hex.EncodeToString(h.Sum(nil))
}

// Authorize puts the credential of t into its branch headers; call it from the options
// of every global transaction (TransBase's type and gid are set by then).
func (k *BranchKey) Authorize(t *dtmimp.TransBase) {
	if t.BranchHeaders == nil {
		t.BranchHeaders = map[string]string{}
	}
	t.BranchHeaders[CredentialHeader] = k.Credential(t.TransType, t.Gid)
}

// verify says whether the call in ctx carries the credential of its own gid and type.
func (k *BranchKey) verify(ctx context.Context) bool {
	tr, ok := transport.FromServerContext(ctx)
	if !ok {
		return false
	}
	h := tr.RequestHeader()
	gid, transType, presented := h.Get(mdGID), h.Get(mdTransType), h.Get(CredentialHeader)
	if gid == "" || transType == "" || presented == "" {
		return false
	}
	return hmac.Equal([]byte(presented), []byte(k.Credential(transType, gid)))
}

// Guard is server middleware that serves the given gRPC services (their full names, e.g.
// v1.AccountRegistration_ServiceDesc.ServiceName) only to calls with a valid credential;
// any other call is refused with Unauthenticated BRANCH_CREDENTIAL_REQUIRED before the
// handler runs, so it changes nothing. Operations of other services pass through.
func (k *BranchKey) Guard(services ...string) middleware.Middleware {
	prefixes := make([]string, len(services))
	for i, s := range services {
		prefixes[i] = "/" + s + "/"
	}
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok || !hasAnyPrefix(tr.Operation(), prefixes) || k.verify(ctx) {
				return next(ctx, req)
			}
			return nil, kerrors.Unauthorized(ReasonCredential, "DTM branch call without a valid p2p-branch-credential")
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ErrUnsealed refuses a sealed payload field that does not open under this key for this
// gid: tampered, sealed for another transaction, or not sealed at all.
var ErrUnsealed = errors.New("dtmx: sealed value does not open for this transaction")

// Seal encrypts a secret that has to travel in a branch payload (AES-256-GCM under the
// key's seal subkey, the gid as associated data): DTM stores and logs only the
// ciphertext, and a value sealed for one transaction does not open in another.
func (k *BranchKey) Seal(gid string, plaintext []byte) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("dtmx: seal: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plaintext, []byte(gid))), nil
}

// Open decrypts what Seal made for gid.
func (k *BranchKey) Open(gid, sealed string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	n := k.aead.NonceSize()
	if err != nil || len(b) < n+k.aead.Overhead() {
		return nil, ErrUnsealed
	}
	plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(gid))
	if err != nil {
		return nil, ErrUnsealed
	}
	return plain, nil
}

// GID is the gid of the DTM branch call in ctx ("" outside one).
func GID(ctx context.Context) string {
	if tr, ok := transport.FromServerContext(ctx); ok {
		return tr.RequestHeader().Get(mdGID)
	}
	return ""
}
