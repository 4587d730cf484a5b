// Package dialer holds campaigns (the ADS campaign fields and the
// Created/Running/Paused/Finished/Cancelled lifecycle) and the pacer: Runner
// makes one pacing decision per step — multicast (fill up to the
// simultaneous calls), progressive (one call per free agent, live Staffing
// from the ACD), multiplied (free agents × multiplier), predictive
// (Predictor: dial level from staffing, answer rate and handle time, capped
// by the abandon rate over rolling 24 h / 30 d windows) and agent-first (the
// API-driven progressive dialer: call the agent, then the customers from the
// agent's call — the next lead from the account's lead webhook, or from the
// call list — posting the call-log webhook after each customer, until the
// agent hangs up or no lead is left). Records are leased from the store
// (dialerstore), numbers rotate across attempts, failed outcomes retry,
// flows reschedule through $flow.syskey.*, calling windows apply in each
// record's time zone, and a restarted node settles its previous life's
// claims from their call records (deterministic AttemptID) instead of
// dialing them again. Calls are placed through ari.Manager by
// dialer/ariplacer, which also runs AMD and the safe-harbor message. An
// sms campaign runs the same pacer with SMSPlacer in place of the call: one
// SMS per record through an SMSSender, its attempt written before the send
// (SMSJournal) so that no record's accepted message is sent twice.
//
// This package has no persistence. The campaign service that every
// transport calls — creating, editing, searching, starting, pausing,
// resuming and cancelling campaigns, a flow's dialing settings and its
// automatic campaign — is dialer/campaigns; dialer/supervisor runs the
// runners of the stored campaigns.
package dialer
