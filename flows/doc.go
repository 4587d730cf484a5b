// Package flows is the flow engine: the JSON flow-graph format, its
// validator, the values of the variables on a call (the variable model
// itself, $flow.key.*, $user.key.*, $sys.*, $call.*, $flow.syskey.* and
// their interpolation, is flows/variables), the webhook widget's contract
// (request fields and $flow.key.response_* variables), caller-ID/CRM
// identification (OMniLeads' customer identification node) and the
// interpreter that runs a flow on a live call (ari.Call), writing a
// per-attempt journey.
//
// # Format (version 1)
//
//	{"format": 1, "name": "Main line", "type": "inbound", "start": "hello",
//	 "variables": ["customer_name", "amount"],
//	 "nodes": [{"id": "hello", "type": "play",
//	            "params": {"media": ["sound:hello-world"]}, "exits": ["bye"]},
//	           {"id": "bye", "type": "hangup", "params": {"cause": 16}}]}
//
// type is inbound, outbound_multicast, outbound_dialer or
// emergency_notification. exits[i] is the node reached on line i: line 0
// success, line 1 failure, more where a widget has more outcomes; an empty
// or missing line ends the flow (the call is hung up). variables declares
// the $flow.key.* names the flow uses (with or without the prefix).
// Validate reports every problem at once, each with the node id and the
// field (see Problem); unknown fields and parameters are errors.
//
// # Widgets (params; exit lines)
//
//	answer           -; 0 ok, 1 failed
//	play             media (list), barge_in; 0 played, 1 failed (missing media, unset variable, no TTS)
//	say              type (number|digits|alphabet|date|time), value (variables allowed, e.g.
//	                 $flow.key.due_date), grammar (a grammar's name; default the sample English
//	                 grammar) or tts (true: one tts: item), barge_in; 0 said, 1 failed (bad value,
//	                 unknown grammar, missing segment, unset variable)
//	record           beep, max_duration, max_silence, terminator (none|any|*|#), format (gsm|wav|ulaw|
//	                 alaw|sln, default gsm), variable; 0, 1
//	play_and_record  prompt (required), name (the moduleName in the file name; default the node id)
//	                 + record's; 0, 1
//	gather           prompt, min_digits, max_digits, terminator, timeout, inter_digit_timeout,
//	                 overall_timeout, retries, no_input_prompt, invalid_prompt, pattern (regex), variable;
//	                 0 valid input, 1 no valid input after the retries
//	menu             prompt, options {"digit": line} (line 0 or ≥ 2), timeout, retries,
//	                 no_input_prompt, invalid_prompt, variable; the digit's line, 1 no input/invalid
//	decision         match (all|any), conditions [{left, op, right}], op eq ne lt gt (numeric when both
//	                 are numbers) contains regex empty not_empty; 0 true, 1 false
//	time_condition   timezone, ranges [{days [mon..sun], from "HH:MM", to "HH:MM"}], holidays
//	                 ["YYYY-MM-DD"]; 0 open, 1 closed, 2 holiday (1 when line 2 is not connected)
//	set_variable     assign [{name, value}]; 0
//	webhook          webhook (configured name) and/or inline method, url, username, password,
//	                 headers, query, body_type (json|form|raw), body; extract {"$flow.key.x": "$.json.path"};
//	                 timeout; 0 success, 1 failure (sets $flow.key.response_*)
//	caller_id        mode (none|true_false|destination), id_length, audio, url, attempts, timeout,
//	                 http_timeout, user_agent (default "OMniLeads"), request_format (text|form|json:
//	                 the POST body carries idContact; text, the default, is the CRM contract's plain/text
//	                 "idContact=<id>"), variable, routes [{type, id, exit}];
//	                 0 positive, 1 negative, routes' lines for "X,Y" destinations
//	transfer         endpoint, caller_id, timeout; 0 answered (after the bridge ends), 1 failed,
//	                 2 busy, 3 no answer, 4 congestion/unavailable (1 when the line is not connected);
//	                 sets IN_ANSWER, IN_BUSY, IN_NOANSWER, IN_CANCEL, IN_CONGESTION, IN_CHANUNAVAIL
//	queue            queue, timeout; needs the agents-and-queues feature (QueueRunner)
//	sms              to (default the customer: an inbound call's caller, an outbound call's called
//	                 number), text (required); variables allowed in both; sent through
//	                 Engine.Messages (the Kannel gateway); 0 sent, 1 not sent (refused, gateway
//	                 unreachable, blocked by the blacklist/DNC); outputs message_id, status, reason;
//	                 a sent SMS sets $flow.key.sms_number (the call report's SMS number)
//	email            to (one or more addresses, comma-separated), subject, text (all required,
//	                 variables allowed); through the outbound relay, the email blacklist honoured;
//	                 0 sent, 1 not sent; a sent mail sets $flow.key.email (the report's email)
//	goto             node
//	hangup           cause (Q.850, default 16)
//
// Media items are "sound:<name>", "prompt:<name>" (an approved prompt of
// the account's prompt library, through the PromptResolver; a flow naming
// an unknown or unapproved one cannot be published), "recording:<name>",
// "digits:<digits>", "number:<n>" or "tts:<text>" (through the TTS
// interface: the tts package). A tts item may start with a voice choice in
// brackets — "tts:[en-gb] Hello", "tts:[local/fr] Bonjour" (the local
// espeak-ng engine), "tts:[polly_main/Joanna] Hi" (a cloud account by
// alias), "tts:[] [text]" (defaults) — else the account's engine and voice
// speak it; text starting with "<speak" is SSML. At most 3,000 bytes.
//
// # Variables
//
// $flow.key.<name>, $user.key.<name> (account-wide, via UserVarStore),
// $sys.datetime|date|time, $call.* and $flow.syskey.* (the lists are in
// flows/variables and docs/flow-variables.md) may appear in every string
// parameter; ${flow.key.name} delimits a name explicitly. An unset variable in a webhook field fails
// the widget with response_error=true, error_reason=INVALID_FLOW_VAR.
//
// # Running
//
// Engine.Run / RunOutbound (dialer: the record's variables), Engine.Route
// (the ari.Manager Route for "inbound" DID calls and "flow" FastAGI
// entries) and Engine.AGIHandler (register on "flow/"). The call status is
// IVR_STARTED while the flow runs and IVR_FINISHED once it reaches its end
// (a transfer's IN_* or a queue's QUEUE_* status wins). The journey (Journey) is saved through
// JourneySaver for the call's attempt.
//
// # Recordings
//
// Names follow the call recording format (extension = format, gsm by
// default):
// record_<acct>_<flow>_<cli>_<dnis>_<start ms> (record widget),
// _play_and_record_<acct>_<flow>_<cli>_<dnis>_<moduleName>_<start ms>
// (play_and_record) and call_<acct>_<flow>_<cli>_<dnis>_<start ms> (the
// whole call, flow setting "record_call": a snoop channel on the call,
// recorded while the widgets play and gather; CallRecorder, SnoopRecorder).
// Names are unique: a name already used on the call moves on by 1 ms, and
// Asterisk refuses an existing one (ifExists=fail, 409) so it is retried at
// +1 ms. $call.ivr_recording.recordingUri, $call.play_and_record.recordingUri,
// $call.flow.recordingUri and $call.recordingUri (the whole call's when
// recorded, else the last widget recording) hold "recording:<name>" and
// read as the recording's signed, expiring download URL when the engine
// has RecordingLinks (a play widget given that URL plays the recording).
//
// At the end of the journey (after it is saved, never on the audio path)
// the finished recordings go to Engine.Recordings and the report fields
// (the last queue widget's queue, the flow variables sms_number and email)
// to Engine.Reports; errors are logged and never fail the call.
package flows
