// Package biz holds trade-center's domain: projects (loan listings), tenders and the
// full-loan approval that starts repayment, and the interfaces it needs from storage,
// user-center, the custody bank and the message broker.
package biz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewProjectUsecase, NewTenderUsecase, NewLoanLedger, NewLoanUsecase,
	NewRefundUsecase, NewFailureUsecase, NewInstallmentUsecase, NewOutboxUsecase)

// ProjectStatus is where a project is in its life.
type ProjectStatus string

// A project is PENDING_REVIEW until an admin approves (COLLECTING) or rejects (REJECTED)
// it; it is FULL once raised equals amount, REPAYING after the loan is confirmed and
// FINISHED once every installment is repaid. A COLLECTING or FULL project FAILED when its
// loan is rejected or it is still COLLECTING after its collection days: its tenders are
// refunded.
const (
	ProjectPendingReview ProjectStatus = "PENDING_REVIEW"
	ProjectCollecting    ProjectStatus = "COLLECTING"
	ProjectFull          ProjectStatus = "FULL"
	ProjectRepaying      ProjectStatus = "REPAYING"
	ProjectFinished      ProjectStatus = "FINISHED"
	ProjectFailed        ProjectStatus = "FAILED"
	ProjectRejected      ProjectStatus = "REJECTED"
)

// ProjectStatuses lists every status in life-cycle order.
var ProjectStatuses = []ProjectStatus{
	ProjectPendingReview, ProjectCollecting, ProjectFull, ProjectRepaying, ProjectFinished, ProjectFailed,
	ProjectRejected,
}

// MaxListedProjects caps one project listing.
const MaxListedProjects = 100

// Limits of a project a borrower may publish.
const (
	MaxProjectNameLen = 64
	MaxPeriods        = 360 // repayment's amortization accepts at most thirty years
	// A project collects tenders for DefaultCollectDays days once opened, unless the
	// borrower asks for 1 to MaxCollectDays.
	DefaultCollectDays = 7
	MaxCollectDays     = 90
)

var (
	// MaxProjectAmount is the largest loan one project may ask for.
	MaxProjectAmount = money.MustParseAmount("100000000.00")
	// MaxAnnualRate is the highest borrower's rate the platform lists.
	MaxAnnualRate = money.MustParseRate("0.36")
)

var (
	// ErrProjectNotFound: no project has the id.
	ErrProjectNotFound = errors.New("project not found")
	// ErrUnknownProjectStatus: a status filter names no status.
	ErrUnknownProjectStatus = errors.New("unknown project status")
	// ErrForbidden: the caller's role may not do this.
	ErrForbidden = errors.New("not allowed for this role")
	// ErrCustodyNotOpen: the caller has no OPEN custody account.
	ErrCustodyNotOpen = errors.New("no open custody account")
	// ErrProjectNotPendingReview: the project was already reviewed differently.
	ErrProjectNotPendingReview = errors.New("project is not waiting for review")
	// ErrProjectNotFailable: only a COLLECTING or FULL project whose loan has not been
	// requested at the bank may fail.
	ErrProjectNotFailable = errors.New("project cannot fail now")
)

// InvalidArgumentError names the request field that is wrong and why.
type InvalidArgumentError struct {
	Field  string
	Reason string
}

func (e *InvalidArgumentError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &InvalidArgumentError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ParseProjectStatus returns the status s names exactly (statuses are upper case), or an
// error wrapping ErrUnknownProjectStatus that lists the valid ones.
func ParseProjectStatus(s string) (ProjectStatus, error) {
	for _, st := range ProjectStatuses {
		if s == string(st) {
			return st, nil
		}
	}
	names := make([]string, len(ProjectStatuses))
	for i, st := range ProjectStatuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("%w %q: must be one of %s", ErrUnknownProjectStatus, s, strings.Join(names, ", "))
}

// Project is a loan listing.
type Project struct {
	ID         int64
	BorrowerID int64
	// BorrowerUserNo is the borrower's custody user number, taken at publication.
	BorrowerUserNo string
	Name           string
	Amount         money.Amount
	Raised         money.Amount
	// AnnualRate is what the borrower pays; InvestorRate what investors earn. The spread
	// is the platform's commission.
	AnnualRate   money.Rate
	InvestorRate money.Rate
	Periods      int
	Status       ProjectStatus
	// CollectDays is how long the project collects once opened; CollectDeadline is set
	// when the review opens it.
	CollectDays     int
	CollectDeadline *time.Time
	// BankProjectNo is empty until the bank registers the project.
	BankProjectNo string
	// LoanRequestNo is empty until the loan confirmation is requested at the bank.
	LoanRequestNo string
	LoanedAt      *time.Time
	// FailedAt is when the project became FAILED.
	FailedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Remaining is what the project still needs.
func (p *Project) Remaining() money.Amount { return p.Amount.Sub(p.Raised) }

// Reserve adds a tender's amount to what is raised; the project is FULL once nothing
// remains. The caller checked the amount fits (TenderUsecase.checkFits) under the lock.
func (p *Project) Reserve(amount money.Amount) {
	p.Raised = p.Raised.Add(amount)
	if p.Raised.Equal(p.Amount) {
		p.Status = ProjectFull
	}
}

// Release gives back a failed tender's reservation: a FULL project collects again.
func (p *Project) Release(amount money.Amount) {
	p.Raised = p.Raised.Sub(amount)
	if p.Status == ProjectFull {
		p.Status = ProjectCollecting
	}
}

// StartRepaying marks the loan made: the project is REPAYING.
func (p *Project) StartRepaying() { p.Status = ProjectRepaying }

// Open starts the collection: the project is COLLECTING under its bank number until
// CollectDays after now.
func (p *Project) Open(now time.Time) {
	deadline := now.UTC().AddDate(0, 0, p.CollectDays)
	p.Status, p.BankProjectNo, p.CollectDeadline = ProjectCollecting, bankProjectNo(p.ID), &deadline
}

// CollectionOverdue says whether the project is still COLLECTING with its deadline before
// asOf.
func (p *Project) CollectionOverdue(asOf time.Time) bool {
	return p.Status == ProjectCollecting && p.CollectDeadline != nil && p.CollectDeadline.Before(asOf)
}

// Fail ends a COLLECTING or FULL project whose loan nobody asked the bank for: once the
// loan request number is set the bank may have moved the frozen money already, so only
// the approval may finish that project. Failing twice is not an error.
func (p *Project) Fail(now time.Time) error {
	switch {
	case p.Status == ProjectFailed:
		return nil
	case p.Status != ProjectCollecting && p.Status != ProjectFull:
		return fmt.Errorf("%w: project %d is %s", ErrProjectNotFailable, p.ID, p.Status)
	case p.LoanRequestNo != "":
		return fmt.Errorf("%w: project %d: its loan %s was requested at the bank", ErrProjectNotFailable, p.ID, p.LoanRequestNo)
	}
	at := now.UTC()
	p.Status, p.FailedAt = ProjectFailed, &at
	return nil
}

// Finish marks a REPAYING project whose every installment is repaid.
func (p *Project) Finish() {
	if p.Status == ProjectRepaying {
		p.Status = ProjectFinished
	}
}

// Bank numbers of a project. The project's id makes them unique and stable, so a retried
// registration or loan confirmation reuses the same request number and the bank does it
// once (docs/custody-protocol.md: PJ… registration, LN… loan confirmation).
func bankProjectNo(id int64) string     { return fmt.Sprintf("PRJ%012d", id) }
func registerRequestNo(id int64) string { return fmt.Sprintf("PJ%012d", id) }
func loanRequestNo(id int64) string     { return fmt.Sprintf("LN%012d", id) }

// ProjectFilter selects projects; the zero value selects all.
type ProjectFilter struct {
	Status ProjectStatus // empty: any status
	Limit  int           // at most this many, newest first
}

// ProjectRepo reads and writes projects.
type ProjectRepo interface {
	// Project returns ErrProjectNotFound when no project has the id.
	Project(ctx context.Context, id int64) (*Project, error)
	// Projects returns the matching projects ordered by id, newest first.
	Projects(ctx context.Context, f ProjectFilter) ([]Project, error)
	// CreateProject inserts p and returns it with its id and timestamps.
	CreateProject(ctx context.Context, p *Project) (*Project, error)
	// LockProject reads the project FOR UPDATE: inside Transaction.InTx only, where the
	// lock lasts until the transaction ends. ErrProjectNotFound when absent.
	LockProject(ctx context.Context, id int64) (*Project, error)
	// UpdateProject writes the project's mutable fields: raised, status, bank project
	// number, collection deadline, loan request number, loan date and failure date.
	UpdateProject(ctx context.Context, p *Project) error
	// OverdueProjects returns up to limit COLLECTING projects whose collection deadline
	// is before asOf, by id.
	OverdueProjects(ctx context.Context, asOf time.Time, limit int) ([]Project, error)
}

// LendingRules are the platform's configured terms.
type LendingRules struct {
	// CommissionRate is the platform's spread: investors earn the borrower's rate minus it.
	CommissionRate money.Rate
	// MinimumTender is the smallest tender, unless a tender takes exactly what remains.
	MinimumTender money.Amount
}

// ProjectUsecase publishes, reviews and answers queries about projects.
type ProjectUsecase struct {
	repo    ProjectRepo
	tx      Transaction
	custody CustodyDirectory
	bank    Bank
	rules   LendingRules
	now     func() time.Time
}

// NewProjectUsecase returns the project use cases.
func NewProjectUsecase(repo ProjectRepo, tx Transaction, custody CustodyDirectory, bank Bank, rules LendingRules) *ProjectUsecase {
	return &ProjectUsecase{repo: repo, tx: tx, custody: custody, bank: bank, rules: rules, now: time.Now}
}

// Project returns one project, or ErrProjectNotFound.
func (uc *ProjectUsecase) Project(ctx context.Context, id int64) (*Project, error) {
	return uc.repo.Project(ctx, id)
}

// Projects lists the newest MaxListedProjects projects, optionally only those in status
// (empty means any); an unknown status fails with ErrUnknownProjectStatus.
func (uc *ProjectUsecase) Projects(ctx context.Context, status string) ([]Project, error) {
	f := ProjectFilter{Limit: MaxListedProjects}
	if status != "" {
		st, err := ParseProjectStatus(status)
		if err != nil {
			return nil, err
		}
		f.Status = st
	}
	return uc.repo.Projects(ctx, f)
}

// NewProject is what a borrower asks for.
type NewProject struct {
	Name       string
	Amount     money.Amount
	AnnualRate money.Rate
	Periods    int
	// CollectDays is 1 to MaxCollectDays (callers pass DefaultCollectDays when the
	// borrower did not choose).
	CollectDays int
}

// Validate checks the terms against the rules; the error is an *InvalidArgumentError.
func (n NewProject) Validate(rules LendingRules) error {
	name := strings.TrimSpace(n.Name)
	switch {
	case name == "" || name != n.Name:
		return invalid("name", "must not be empty or start or end with spaces")
	case utf8.RuneCountInString(name) > MaxProjectNameLen:
		return invalid("name", "must have at most %d characters", MaxProjectNameLen)
	case !n.Amount.IsPositive():
		return invalid("amount", "must be positive")
	case n.Amount.Cmp(rules.MinimumTender) < 0:
		return invalid("amount", "must be at least the minimum tender %s", rules.MinimumTender)
	case n.Amount.Cmp(MaxProjectAmount) > 0:
		return invalid("amount", "must be at most %s", MaxProjectAmount)
	case n.AnnualRate.Cmp(rules.CommissionRate) <= 0:
		return invalid("annualRate", "must be above the platform's commission %s", rules.CommissionRate)
	case n.AnnualRate.Cmp(MaxAnnualRate) > 0:
		return invalid("annualRate", "must be at most %s", MaxAnnualRate)
	case n.Periods < 1 || n.Periods > MaxPeriods:
		return invalid("periods", "must be 1 to %d", MaxPeriods)
	case n.CollectDays < 1 || n.CollectDays > MaxCollectDays:
		return invalid("collectDays", "must be 1 to %d", MaxCollectDays)
	}
	return nil
}

// Publish lists a borrower's project for review. The borrower needs an OPEN custody
// account: the bank registers the project under it and the loan is paid into it.
func (uc *ProjectUsecase) Publish(ctx context.Context, caller Caller, n NewProject) (*Project, error) {
	if caller.Role != RoleBorrower {
		return nil, fmt.Errorf("%w: only a borrower publishes projects", ErrForbidden)
	}
	if err := n.Validate(uc.rules); err != nil {
		return nil, err
	}
	custody, err := uc.custody.CallerCustody(ctx, caller)
	if err != nil {
		return nil, err
	}
	if custody.Status != CustodyOpen || custody.UserNo == "" {
		return nil, fmt.Errorf("%w: custody account is %s", ErrCustodyNotOpen, custody.Status)
	}
	return uc.repo.CreateProject(ctx, &Project{
		BorrowerID: caller.UserID, BorrowerUserNo: custody.UserNo, Name: n.Name,
		Amount: n.Amount, AnnualRate: n.AnnualRate, InvestorRate: n.AnnualRate.Sub(uc.rules.CommissionRate),
		Periods: n.Periods, CollectDays: n.CollectDays, Status: ProjectPendingReview,
	})
}

// Review approves or rejects a project waiting for review. Approval registers the project
// at the bank first (idempotent by its request number) and only then opens it for
// tenders, so no tender can reach the bank for a project the bank does not know. A
// repeated review with the same decision answers the status again; a different decision
// on a reviewed project fails with ErrProjectNotPendingReview.
func (uc *ProjectUsecase) Review(ctx context.Context, caller Caller, id int64, approve bool) (ProjectStatus, error) {
	if caller.Role != RoleAdmin {
		return "", fmt.Errorf("%w: only an admin reviews projects", ErrForbidden)
	}
	p, err := uc.repo.Project(ctx, id)
	if err != nil {
		return "", err
	}
	if p.Status != ProjectPendingReview {
		return reviewed(p, approve)
	}
	if approve {
		err := uc.bank.RegisterProject(ctx, BankProject{
			RequestNo: registerRequestNo(p.ID), ProjectNo: bankProjectNo(p.ID), PlatformProjectID: p.ID,
			BorrowerUserNo: p.BorrowerUserNo, Amount: p.Amount,
		})
		if err != nil {
			return "", fmt.Errorf("register project %d at the bank: %w", p.ID, err)
		}
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err = uc.repo.LockProject(ctx, id)
		if err != nil {
			return err
		}
		if p.Status != ProjectPendingReview {
			return nil // a concurrent review came first; answered below
		}
		if approve {
			p.Open(uc.now())
		} else {
			p.Status = ProjectRejected
		}
		return uc.repo.UpdateProject(ctx, p)
	})
	if err != nil {
		return "", err
	}
	return reviewed(p, approve)
}

// reviewed answers a review of a project that has been reviewed already.
func reviewed(p *Project, approve bool) (ProjectStatus, error) {
	switch {
	case approve && p.Status != ProjectRejected && p.Status != ProjectPendingReview:
		return p.Status, nil // approved earlier; it may be FULL or REPAYING by now
	case !approve && p.Status == ProjectRejected:
		return p.Status, nil
	}
	return "", fmt.Errorf("%w: project %d is %s", ErrProjectNotPendingReview, p.ID, p.Status)
}
