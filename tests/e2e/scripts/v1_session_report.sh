#!/usr/bin/env bash
# The session part of a v1 monitoring script, written the way such scripts are written against the compatible
# API: a token from the password grant, the PolicyBackup sessions, and per session its status, type, policy,
# duration in seconds (awk over executionDuration) and stop time in epoch seconds (date -d).
# Usage: v1_session_report.sh BASE_URL USER PASSWORD
set -euo pipefail

base="$1"
user="$2"
password="$3"

token=$(curl -s -X POST "$base/api/oauth2/token" \
  -H "Content-Type: application/x-www-form-urlencoded" -H "Accept: application/json" \
  -d "Username=$user&Password=$password&refresh_token=&grant_type=Password&mfa_token=&mfa_code=" |
  jq -r '.access_token')

sessions=$(curl -s -X GET "$base/api/v1/jobSessions?Types=PolicyBackup" \
  -H "Authorization: bearer $token" -H "Accept: application/json")

for id in $(echo "$sessions" | jq -r '.results[].id'); do
  session=$(echo "$sessions" | jq -c ".results[] | select(.id == \"$id\")")
  status=$(echo "$session" | jq -r '.status')
  type=$(echo "$session" | jq -r '.type')
  policy_id=$(echo "$session" | jq -r '.backupJobInfo.policyId')
  policy_name=$(echo "$session" | jq -r '.backupJobInfo.policyName')
  duration=$(echo "$session" | jq -r '.executionDuration')
  seconds=$(echo "$duration" | awk -F: '{ print ($1 * 3600) + ($2 * 60) + $3 }')
  stop=$(echo "$session" | jq -r '.executionStopTime')
  stop_epoch=$(date -d "$stop" +%s)
  echo "$id|$status|$type|$policy_id|$policy_name|$seconds|$stop_epoch"
done
