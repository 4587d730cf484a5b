package messaging

import (
	"errors"
	"net/http"
	"strconv"
)

// ReportPath is where the SMS gateway's delivery reports arrive.
const ReportPath = "/sms/dlr"

// ReportHandler serves the gateway's delivery reports (GET ReportPath
// with id, token, type, smsc_id and reply). It needs no login: the
// message's token is the credential, and a report without the right token
// changes nothing (404, the same as an unknown message).
func (s *Service) ReportHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		id, err := strconv.ParseInt(q.Get("id"), 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, "unknown delivery report", http.StatusNotFound)
			return
		}
		typ, err := strconv.Atoi(q.Get("type"))
		if err != nil {
			http.Error(w, "type: not a delivery report type", http.StatusBadRequest)
			return
		}
		_, err = s.DeliveryReport(req.Context(), Report{ID: id, Token: q.Get("token"), Type: typ,
			GatewayID: q.Get("smsc_id"), Reply: q.Get("reply")})
		switch {
		case err == nil:
			_, _ = w.Write([]byte("ok\n"))
		case errors.Is(err, ErrReport):
			s.log.Warn("delivery report refused: unknown message or wrong token", "message", id, "remote", req.RemoteAddr)
			http.Error(w, "unknown delivery report", http.StatusNotFound)
		case errors.Is(err, ErrInvalid):
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			s.log.Error("delivery report not recorded", "message", id, "error", err)
			http.Error(w, "not recorded", http.StatusInternalServerError)
		}
	})
}
