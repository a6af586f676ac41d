// Package biz holds trade-center's domain: projects (loan listings) and tenders, and the
// interfaces it needs from storage.
package biz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewProjectUsecase)

// ProjectStatus is where a project is in its life.
type ProjectStatus string

// A project is PENDING_REVIEW until an admin approves (COLLECTING) or rejects (REJECTED)
// it; it is FULL once raised equals amount and REPAYING after the loan is confirmed.
const (
	ProjectPendingReview ProjectStatus = "PENDING_REVIEW"
	ProjectCollecting    ProjectStatus = "COLLECTING"
	ProjectFull          ProjectStatus = "FULL"
	ProjectRepaying      ProjectStatus = "REPAYING"
	ProjectRejected      ProjectStatus = "REJECTED"
)

// ProjectStatuses lists every status in life-cycle order.
var ProjectStatuses = []ProjectStatus{
	ProjectPendingReview, ProjectCollecting, ProjectFull, ProjectRepaying, ProjectRejected,
}

// TenderStatus of one investment.
type TenderStatus string

// A tender is FROZEN while its money waits at the bank, LOANED once transferred.
const (
	TenderFrozen TenderStatus = "FROZEN"
	TenderLoaned TenderStatus = "LOANED"
)

// MaxListedProjects caps one project listing.
const MaxListedProjects = 100

var (
	// ErrProjectNotFound: no project has the id.
	ErrProjectNotFound = errors.New("project not found")
	// ErrUnknownProjectStatus: a status filter names no status.
	ErrUnknownProjectStatus = errors.New("unknown project status")
)

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
	Name       string
	Amount     money.Amount
	Raised     money.Amount
	// AnnualRate is what the borrower pays; InvestorRate what investors earn. The spread
	// is the platform's commission.
	AnnualRate   money.Rate
	InvestorRate money.Rate
	Periods      int
	Status       ProjectStatus
	// BankProjectNo is empty until the bank registers the project.
	BankProjectNo string
	// LoanRequestNo is empty until the loan confirmation is requested at the bank.
	LoanRequestNo string
	LoanedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

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
}

// ProjectUsecase answers project queries.
type ProjectUsecase struct {
	repo ProjectRepo
}

// NewProjectUsecase returns the project use cases.
func NewProjectUsecase(repo ProjectRepo) *ProjectUsecase {
	return &ProjectUsecase{repo: repo}
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
