#!/bin/sh
# agent-env.sh (agent-audit fix, issue 12): start an agent with a scrubbed environment.
#   agent-env.sh COMMAND [ARGS...]      e.g. agent-env.sh claude
# Only these variables reach the agent: HOME, PATH, USER, LANG, TERM (when set), and the proxy
# variables HTTPS_PROXY, HTTP_PROXY, https_proxy, http_proxy, NO_PROXY, no_proxy. Everything
# else is dropped. If the agent itself needs a variable (its model provider's key), add its name
# to KEEP, knowing every command the agent runs can read it.
#
# Secret-holding variables the audit found in the environment:
#   ANTHROPIC_API_KEY: removed
#     Disable the key in the Anthropic Console (Settings > API keys); give the agent a key in a separate workspace with a spend limit, or route it through a proxy that holds the key.
#   AWS_ACCESS_KEY_ID: removed
#     Deactivate the key in IAM; give the agent short-lived role credentials (SSO or an assumed role) scoped to what it needs.
#     Deactivate the user's access key in IAM and hand the agent short-lived role credentials (IAM Identity Center or an assumed role session, with a session policy limited to its task).
#   AWS_SECRET_ACCESS_KEY: removed
#     Replace long-lived keys with short-lived role credentials (SSO, an assumed role, or instance/pod identity) scoped to what the agent needs.
#   DATABASE_URL: removed
#     Change the role's password (ALTER ROLE ... PASSWORD) and give the agent a separate role with only the grants it needs, or a short-lived IAM/database token.
#   GITHUB_TOKEN: removed
#     Revoke it at github.com/settings/tokens; give the agent a fine-grained token scoped to one repository, or a GitHub App installation token.
#     Revoke the classic token at github.com/settings/tokens and create a fine-grained token limited to the agent's repositories and permissions, with an expiry.
#   GROQ_API_KEY: removed
#     Revoke the key in console.groq.com/keys; give the agent a separate key with a spend limit, or route it through a proxy that holds the key.
#   HTTPS_PROXY: replaced by the proxy
#     Authenticate the agent to the proxy by network identity (source address, mTLS, a per-sandbox token the proxy issues) rather than a shared password in its environment.
#   OPENAI_API_KEY: removed
#     Revoke the key at platform.openai.com/api-keys; give the agent a project key with restricted permissions and a budget, or route it through a proxy that holds the key.
set -eu
KEEP='HOME PATH USER LANG TERM'
PROXY=http://127.0.0.1:3128
NOPROXY=localhost,127.0.0.1,::1
if [ "$#" -eq 0 ]; then
  echo 'usage: agent-env.sh COMMAND [ARGS...]' >&2
  exit 64
fi
case "$1" in
  *=*) echo 'agent-env.sh: the command must not contain "=" (env would read it as a variable)' >&2; exit 64 ;;
esac
# The kept variables go in front of the command, in reverse order, after the proxy variables.
for name in $KEEP; do
  case "$name" in
    '' | [0-9]* | *[!A-Za-z0-9_]*) echo 'agent-env.sh: KEEP holds a name that is not a variable name' >&2; exit 64 ;;
  esac
  eval "isset=\${$name+x}"
  if [ -n "$isset" ]; then
    eval "value=\$$name"
    set -- "$name=$value" "$@"
  fi
done
exec /usr/bin/env -i HTTPS_PROXY="$PROXY" HTTP_PROXY="$PROXY" https_proxy="$PROXY" http_proxy="$PROXY" NO_PROXY="$NOPROXY" no_proxy="$NOPROXY" "$@"
