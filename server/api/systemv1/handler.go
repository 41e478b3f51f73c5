// Package systemv1 adapts build and runtime facts to switchboard.system.v1.
package systemv1

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	systemv1 "github.com/switchboardhq/switchboard/gen/switchboard/system/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/server/platform/buildinfo"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
)

// Handler implements systemv1connect.SystemServiceHandler.
type Handler struct {
	systemv1connect.UnimplementedSystemServiceHandler
	dialect string
	started time.Time
	jobs    *jobs.Registry
}

// New returns the handler for a process that started at started and stores
// its data in the given database dialect.
func New(dialect string, started time.Time, reg *jobs.Registry) *Handler {
	return &Handler{dialect: dialect, started: started, jobs: reg}
}

// ListJobs implements SystemService.ListJobs.
func (h *Handler) ListJobs(context.Context, *connect.Request[systemv1.ListJobsRequest]) (*connect.Response[systemv1.ListJobsResponse], error) {
	out := &systemv1.ListJobsResponse{}
	for _, st := range h.jobs.List() {
		j := &systemv1.Job{Name: st.Name, Description: st.Description, Schedule: st.Schedule, Running: st.Running,
			LastError: st.LastError, LastSummary: st.LastSummary, Runs: int32(st.Runs), Failures: int32(st.Failures)}
		j.LastStartTime = ts(st.LastStart)
		j.LastEndTime = ts(st.LastEnd)
		j.NextRunTime = ts(st.NextRun)
		out.Jobs = append(out.Jobs, j)
	}
	return connect.NewResponse(out), nil
}

// RunJob implements SystemService.RunJob.
func (h *Handler) RunJob(_ context.Context, req *connect.Request[systemv1.RunJobRequest]) (*connect.Response[systemv1.RunJobResponse], error) {
	switch err := h.jobs.RunNow(req.Msg.GetName()); {
	case errors.Is(err, jobs.ErrUnknownJob):
		return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no job %q", req.Msg.GetName())
	case errors.Is(err, jobs.ErrAlreadyRunning):
		return nil, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "the job is already running")
	case errors.Is(err, jobs.ErrStopped):
		return nil, errs.New(errs.Unavailable, errs.ReasonUnavailable, "the job registry has stopped")
	case err != nil:
		return nil, err
	}
	return connect.NewResponse(&systemv1.RunJobResponse{}), nil
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// GetVersion implements SystemService.GetVersion.
func (h *Handler) GetVersion(context.Context, *connect.Request[systemv1.GetVersionRequest]) (*connect.Response[systemv1.GetVersionResponse], error) {
	return connect.NewResponse(&systemv1.GetVersionResponse{
		Version:   buildinfo.Version,
		Revision:  buildinfo.Revision,
		GoVersion: buildinfo.GoVersion(),
		Database:  h.dialect,
		StartTime: timestamppb.New(h.started),
	}), nil
}
