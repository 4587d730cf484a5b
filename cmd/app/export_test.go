package app

import "github.com/switchyard/switchyard/dialer/acd"

// ACDEngine is the daemon's live ACD (the wallboard benchmark drives its
// agents' states directly).
func (a *App) ACDEngine() *acd.ACD { return a.acd }
