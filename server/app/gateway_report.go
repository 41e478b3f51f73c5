package app

import (
	"errors"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/server/licensing"
)

// reportPath is DownloadReport's REST binding.
const reportPath = "/api/v1/licensing/report"

// handleReportDownload serves GET /api/v1/licensing/report in place of
// the generated handler, which writes a stream of HttpBody as JSON-lines:
// the marshaler's content type and a newline after every chunk, which
// would corrupt the ZIP. This one relays the same gRPC call (so the same
// interceptors apply) and writes the chunks back to back as
// application/zip, with Content-Disposition naming license-data.zip
// (LI-60). Registered after the generated handlers, it takes precedence
// (the mux tries the latest registration first).
func handleReportDownload(mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := licensingv1.NewLicensingServiceClient(conn)
	filter := &utilities.DoubleArray{Encoding: map[string]int{}}
	return mux.HandlePath(http.MethodGet, reportPath, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		_, out := runtime.MarshalerForRequest(mux, r)
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, licensingv1.LicensingService_DownloadReport_FullMethodName,
			runtime.WithHTTPPathPattern(reportPath))
		if err != nil {
			runtime.HTTPError(r.Context(), mux, out, w, r, err)
			return
		}
		var req licensingv1.DownloadReportRequest
		if err := r.ParseForm(); err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
			return
		}
		if err := runtime.PopulateQueryParameters(&req, r.Form, filter); err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
			return
		}
		stream, err := client.DownloadReport(ctx, &req)
		if err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, err)
			return
		}
		first, err := stream.Recv()
		if err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, err)
			return
		}
		w.Header().Set("Content-Type", first.GetContentType())
		w.Header().Set("Content-Disposition", `attachment; filename="`+licensing.ReportFileName+`"`)
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for msg := first; ; {
			if _, err := w.Write(msg.GetData()); err != nil {
				return // the client went away; the context ends the call
			}
			_ = rc.Flush()
			msg, err = stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				// The status line is sent: cut the response short so the
				// client sees a broken download, not a complete file.
				panic(http.ErrAbortHandler)
			}
		}
	})
}
