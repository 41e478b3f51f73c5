// Package systemv1 adapts build and runtime facts to switchboard.system.v1.
package systemv1

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	systemv1 "github.com/switchboardhq/switchboard/gen/switchboard/system/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/server/platform/buildinfo"
)

// Handler implements systemv1connect.SystemServiceHandler.
type Handler struct {
	systemv1connect.UnimplementedSystemServiceHandler
	dialect string
	started time.Time
}

// New returns the handler for a process that started at started and stores
// its data in the given database dialect.
func New(dialect string, started time.Time) *Handler {
	return &Handler{dialect: dialect, started: started}
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
