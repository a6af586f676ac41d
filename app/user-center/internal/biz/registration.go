package biz

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// FaultInitiatorFail makes the initiator fail after both Tries succeeded (API.md).
const FaultInitiatorFail = "register.initiator.fail"

// Mode is the distributed-transaction scheme of one registration.
type Mode string

// The two schemes a registration can run with.
const (
	ModeTCC Mode = "TCC"
	ModeXA  Mode = "XA"
)

// Registration failures.
var (
	ErrUsernameTaken = errors.New("username taken")
	ErrMobileTaken   = errors.New("mobile taken")
	// ErrRolledBack: a participant failed or timed out and everything was undone.
	ErrRolledBack = errors.New("registration rolled back")
	// ErrOutcomeUnknown: the transaction's Submit or Abort failed and DTM had not decided
	// it (submitted or rolled back) within the settle wait — DTM or its store was
	// unreachable. DTM finishes it later, one way or the other.
	ErrOutcomeUnknown = errors.New("registration outcome unknown")
	// ErrFaultInjected is an armed fault point firing.
	ErrFaultInjected = errors.New("fault injected")
)

// ValidationError names the request field that is wrong.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

// Registration is what a person submits to become a user.
type Registration struct {
	Mobile   string
	Username string
	Password string
	Role     string
	Mode     Mode
}

// NewUser is what the participants store: the password only as a hash.
type NewUser struct {
	Username     string
	Mobile       string
	PasswordHash string
	Role         string
}

// Registered is the outcome of a registration's global transaction.
type Registered struct {
	UserID int64
	GID    string
	// Settled: DTM finished the transaction, so both rows are ACTIVE.
	Settled bool
}

// Registrar runs a registration as one DTM global transaction: the login account in
// unified-account and the consumer here, both or neither. afterTries runs inside the
// transaction once every Try (or XA branch) succeeded; its error rolls everything back.
// Register returns once DTM has settled the transaction, or its settle wait ran out.
type Registrar interface {
	Register(ctx context.Context, mode Mode, u NewUser, afterTries func(context.Context) error) (Registered, error)
}

// RegistrationRepo is what the consumer branches change.
type RegistrationRepo interface {
	Create(ctx context.Context, c Consumer, gid string) error
	SetStatus(ctx context.Context, gid string, from, to ConsumerStatus) error
	DeleteByStatus(ctx context.Context, gid string, status ConsumerStatus) error
}

// BranchRunner runs a branch's change exactly once per DTM operation, in one local
// transaction with DTM's record of it (see unified-account's biz for the same contract).
type BranchRunner interface {
	InBarrier(ctx context.Context, fn func(ctx context.Context, gid string) error) error
	InXA(ctx context.Context, fn func(ctx context.Context, gid string) error) error
}

// PasswordHasher hashes passwords before they leave this service.
type PasswordHasher interface {
	Hash(plain string) (string, error)
}

// RegistrationUsecase registers users; user-center is both the initiator of the global
// transaction and one of its participants.
type RegistrationUsecase struct {
	registrar Registrar
	runner    BranchRunner
	consumers RegistrationRepo
	profiles  ConsumerRepo
	hasher    PasswordHasher
	faults    *faults.Registry
}

// NewRegistrationUsecase returns the registration use cases. f is nil in production.
func NewRegistrationUsecase(registrar Registrar, runner BranchRunner, consumers RegistrationRepo,
	profiles ConsumerRepo, hasher PasswordHasher, f *faults.Registry) *RegistrationUsecase {
	return &RegistrationUsecase{registrar: registrar, runner: runner, consumers: consumers,
		profiles: profiles, hasher: hasher, faults: f}
}

var (
	mobilePattern   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	usernamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{2,31}$`)
)

// Validate checks a registration and fills the default mode; the error names the field.
func (r *Registration) Validate() error {
	r.Mode = Mode(strings.ToUpper(string(r.Mode)))
	switch {
	case !mobilePattern.MatchString(r.Mobile):
		return &ValidationError{"mobile", "must be an 11-digit mobile number starting with 1"}
	case !usernamePattern.MatchString(r.Username):
		// A letter first keeps usernames and mobiles apart, so either can be the login.
		return &ValidationError{"username", "must be 3-32 letters, digits or _ and start with a letter"}
	case len(r.Password) < 8 || len(r.Password) > 72:
		return &ValidationError{"password", "must be 8 to 72 bytes"}
	case r.Role != auth.RoleBorrower && r.Role != auth.RoleInvestor:
		return &ValidationError{"role", "must be BORROWER or INVESTOR"}
	}
	switch r.Mode {
	case "":
		r.Mode = ModeTCC
	case ModeTCC, ModeXA:
	default:
		return &ValidationError{"mode", "must be TCC or XA"}
	}
	return nil
}

// Register validates, hashes the password and runs the global transaction. It returns the
// consumer as it stands once DTM has settled: ACTIVE, or PENDING if a Confirm is still
// being retried when the settle wait runs out.
func (uc *RegistrationUsecase) Register(ctx context.Context, r Registration) (*Consumer, string, error) {
	if err := r.Validate(); err != nil {
		return nil, "", err
	}
	hash, err := uc.hasher.Hash(r.Password)
	if err != nil {
		return nil, "", fmt.Errorf("hash password: %w", err)
	}
	u := NewUser{Username: r.Username, Mobile: r.Mobile, PasswordHash: hash, Role: r.Role}
	res, err := uc.registrar.Register(ctx, r.Mode, u, func(context.Context) error {
		if uc.faults.Hit(FaultInitiatorFail).Fire {
			return ErrFaultInjected
		}
		return nil
	})
	if err != nil {
		return nil, res.GID, err
	}
	// The consumer the transaction wrote, as it wrote it.
	written := func(status ConsumerStatus) *Consumer {
		return &Consumer{ID: res.UserID, Username: r.Username, Mobile: r.Mobile, Role: r.Role,
			Status: status, CustodyStatus: CustodyNone}
	}
	if res.Settled {
		// Nothing to read back: the Confirm (or the XA commit) made the row exactly this.
		return written(StatusActive), res.GID, nil
	}
	// Committed, phase 2 still on its way: TCC's row is PENDING until its Confirm; XA's is
	// not visible at all until its commit (DTM retries it), so it is answered PENDING too.
	c, err := uc.profiles.Get(ctx, res.UserID)
	if errors.Is(err, ErrNotFound) {
		return written(StatusPending), res.GID, nil
	}
	if err != nil {
		return nil, res.GID, err
	}
	return c, res.GID, nil
}

// validateBranch guards the consumer branch's own invariants (the initiator validated
// the person's input).
func (c Consumer) validateBranch() error {
	switch {
	case c.ID <= 0:
		return &ValidationError{"userId", "must be a positive id"}
	case c.Username == "":
		return &ValidationError{"username", "required"}
	case c.Mobile == "":
		return &ValidationError{"mobile", "required"}
	case c.Role != auth.RoleBorrower && c.Role != auth.RoleInvestor:
		return &ValidationError{"role", "must be BORROWER or INVESTOR"}
	}
	return nil
}

// TryConsumer reserves username and mobile with a PENDING consumer.
func (uc *RegistrationUsecase) TryConsumer(ctx context.Context, c Consumer) error {
	if err := c.validateBranch(); err != nil {
		return err
	}
	c.Status, c.CustodyStatus = StatusPending, CustodyNone
	return uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		return uc.consumers.Create(ctx, c, gid)
	})
}

// ConfirmConsumer activates the consumer the Try reserved.
func (uc *RegistrationUsecase) ConfirmConsumer(ctx context.Context) error {
	return uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		return uc.consumers.SetStatus(ctx, gid, StatusPending, StatusActive)
	})
}

// CancelConsumer removes the PENDING consumer so its names are free again.
func (uc *RegistrationUsecase) CancelConsumer(ctx context.Context) error {
	return uc.runner.InBarrier(ctx, func(ctx context.Context, gid string) error {
		return uc.consumers.DeleteByStatus(ctx, gid, StatusPending)
	})
}

// CreateConsumerXA inserts the consumer ACTIVE inside the XA branch. DTM calls the same
// method again for phase 2 with an empty body, so c is validated only where it is used.
func (uc *RegistrationUsecase) CreateConsumerXA(ctx context.Context, c Consumer) error {
	c.Status, c.CustodyStatus = StatusActive, CustodyNone
	return uc.runner.InXA(ctx, func(ctx context.Context, gid string) error {
		if err := c.validateBranch(); err != nil {
			return err
		}
		return uc.consumers.Create(ctx, c, gid)
	})
}
