// Package flows will hold the flow-graph model, its validation and the
// interpreter that runs a flow on a live call (ari.Call) — issue "Flow
// engine". The call-side primitives it builds on (answer, play, record,
// gather, bridges, dial legs, variables) are in package ari.
package flows
