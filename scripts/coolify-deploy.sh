#!/usr/bin/env bash
# Triggers one Coolify deployment through its webhook: scripts/coolify-deploy.sh <name> <webhook-url> [token]
# (or COOLIFY_TOKEN in the environment). Coolify's deploy webhook is GET /api/v1/deploy?uuid=…; the token is a
# Coolify API token, sent as a bearer token when given and never printed. Any answer but 2xx — or no answer —
# fails with the answer's status and body, so a broken deploy turns the CI job red instead of passing quietly.
set -euo pipefail
name="${1:?usage: coolify-deploy.sh <name> <webhook-url> [token]}"
url="${2:-}"
token="${3:-${COOLIFY_TOKEN:-}}"
if [ -z "$url" ]; then
	echo "::error::$name: no Coolify webhook configured (set the secret, or the repository variable COOLIFY_DEPLOY=off to skip deploys)" >&2
	exit 1
fi
case "$url" in http://* | https://*) ;; *)
	echo "::error::$name: the webhook is not an http(s) URL" >&2
	exit 1
	;;
esac
headers=()
if [ -n "$token" ]; then headers=(-H "Authorization: Bearer $token"); fi
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
status="$(curl --silent --show-error --location --max-time "${COOLIFY_TIMEOUT_SECONDS:-60}" --retry 2 --retry-connrefused \
	"${headers[@]}" --output "$body" --write-out '%{http_code}' "$url")" || {
	echo "::error::$name: the webhook did not answer (curl exit $?)" >&2
	exit 1
}
if [ "${status:0:1}" != 2 ]; then
	echo "::error::$name: the webhook answered HTTP $status" >&2
	head -c 2000 "$body" >&2
	echo >&2
	exit 1
fi
echo "$name: deployment queued (HTTP $status)"
head -c 2000 "$body"
echo
