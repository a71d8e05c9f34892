#!/usr/bin/env bash
# `npm run invoke -- <function> <event file>`: serverless invoke local on the local stage, whose
# queue URLs point at `npm start`'s emulator. A timeout guards against invoke local hanging.
set -euo pipefail
fn=${1:?usage: npm run invoke -- <ingest|slack|teams|discord|…> <events/file.json>}
event=${2:?usage: npm run invoke -- <ingest|slack|teams|discord|…> <events/file.json>}
exec timeout 120 serverless invoke local --stage local -f "$fn" -p "$event"
