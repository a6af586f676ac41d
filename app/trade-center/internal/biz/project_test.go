package biz_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
)

// recordingRepo remembers the filter it was asked for.
type recordingRepo struct {
	filters []biz.ProjectFilter
}

func (r *recordingRepo) Project(context.Context, int64) (*biz.Project, error) {
	return nil, biz.ErrProjectNotFound
}

func (r *recordingRepo) Projects(_ context.Context, f biz.ProjectFilter) ([]biz.Project, error) {
	r.filters = append(r.filters, f)
	return nil, nil
}

func TestParseProjectStatus(t *testing.T) {
	t.Parallel()
	for _, st := range biz.ProjectStatuses {
		got, err := biz.ParseProjectStatus(string(st))
		if err != nil || got != st {
			t.Errorf("ParseProjectStatus(%q) = %q, %v", st, got, err)
		}
	}
	for _, bad := range []string{"", "collecting", "OPEN", " FULL", "FULL "} {
		_, err := biz.ParseProjectStatus(bad)
		if !errors.Is(err, biz.ErrUnknownProjectStatus) {
			t.Errorf("ParseProjectStatus(%q) error = %v, want ErrUnknownProjectStatus", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "PENDING_REVIEW, COLLECTING, FULL, REPAYING, REJECTED") {
			t.Errorf("error %q does not list the valid statuses", err)
		}
	}
}

func TestProjectsFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status  string
		want    biz.ProjectFilter
		wantErr error
	}{
		{status: "", want: biz.ProjectFilter{Limit: biz.MaxListedProjects}},
		{status: "COLLECTING", want: biz.ProjectFilter{Status: biz.ProjectCollecting, Limit: biz.MaxListedProjects}},
		{status: "REPAYING", want: biz.ProjectFilter{Status: biz.ProjectRepaying, Limit: biz.MaxListedProjects}},
		{status: "BOGUS", wantErr: biz.ErrUnknownProjectStatus},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			repo := &recordingRepo{}
			_, err := biz.NewProjectUsecase(repo).Projects(context.Background(), tt.status)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || len(repo.filters) != 0 {
					t.Fatalf("error = %v, repo asked %v; want %v and no query", err, repo.filters, tt.wantErr)
				}
				return
			}
			if err != nil || len(repo.filters) != 1 || repo.filters[0] != tt.want {
				t.Fatalf("error = %v, repo asked %+v; want %+v", err, repo.filters, tt.want)
			}
		})
	}
}
