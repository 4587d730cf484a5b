// Package dialer will hold campaigns, pacing and retries — issue "Dialer".
// It places calls through ari.Manager.Originate, which writes the attempt
// record, routes the call's events before the channel exists and maps the
// outcome to the seed's call statuses (ari.StatusFromCause).
package dialer
