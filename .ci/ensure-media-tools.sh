#!/usr/bin/env bash
# Prompts and text-to-speech convert and synthesise audio with Debian's
# sox (with its mp3 format) and espeak-ng. Install them when missing.
set -euo pipefail
missing=()
command -v sox >/dev/null 2>&1 || missing+=(sox)
# sox reads mp3 only with libsox-fmt-mp3.
if command -v sox >/dev/null 2>&1 && ! sox --help 2>/dev/null | grep -qw mp3; then
  missing+=(libsox-fmt-mp3)
fi
command -v sox >/dev/null 2>&1 || missing+=(libsox-fmt-mp3)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]} and apt-get is not available: install sox (with mp3 support) and espeak-ng for prompts and text-to-speech" >&2
  exit 1
fi
echo "installing ${missing[*]} for prompts and text-to-speech"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
